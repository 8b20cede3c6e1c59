// Counts heap allocations; see include/SACAllocationCounter.h. Linux/glibc only.
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <string.h>
#include <sys/prctl.h>
#include "SACAllocationCounter.h"

extern void *__libc_malloc(size_t size);
extern void *__libc_calloc(size_t count, size_t size);
extern void *__libc_realloc(void *pointer, size_t size);
extern void *__libc_memalign(size_t alignment, size_t size);
extern void __libc_free(void *pointer);

// Initial-exec thread-locals in the executable: reading them never allocates, so malloc cannot recurse.
static __thread int counting;
static __thread long long allocations;
// The worker threads' allocations, counted while a measurement runs.
static atomic_int countingWorkers;
static atomic_llong workerAllocations;

// A thread's name is read with prctl (a system call, no allocation) on each allocation during a
// measurement: it is set after the thread starts, so an early answer could not be cached.
static int isWorkerThread(void) {
    char name[16] = {0};
    if (prctl(PR_GET_NAME, name, 0, 0, 0) != 0) return 0;
    return strcmp(name, "WorkerPair") == 0;
}

static inline void note(void) {
    if (counting) {
        allocations += 1;
    } else if (atomic_load_explicit(&countingWorkers, memory_order_relaxed) && isWorkerThread()) {
        atomic_fetch_add(&workerAllocations, 1);
    }
}

void *malloc(size_t size) { note(); return __libc_malloc(size); }
void *calloc(size_t count, size_t size) { note(); return __libc_calloc(count, size); }
void *realloc(void *pointer, size_t size) { note(); return __libc_realloc(pointer, size); }
void free(void *pointer) { __libc_free(pointer); }
void *memalign(size_t alignment, size_t size) { note(); return __libc_memalign(alignment, size); }
void *aligned_alloc(size_t alignment, size_t size) { note(); return __libc_memalign(alignment, size); }

int posix_memalign(void **result, size_t alignment, size_t size) {
    note();
    void *pointer = __libc_memalign(alignment, size);
    if (pointer == NULL) return ENOMEM;
    *result = pointer;
    return 0;
}

// One measurement at a time in the whole process: the workers' count is shared, so two tests measuring at
// once (suites run in parallel) would reset and stop each other's. A start waits for the other's stop.
static pthread_mutex_t window = PTHREAD_MUTEX_INITIALIZER;
static __thread long long lastWorkerCount;

void allocation_counter_start(void) {
    pthread_mutex_lock(&window);
    allocations = 0;
    atomic_store(&workerAllocations, 0);
    atomic_store(&countingWorkers, 1);
    counting = 1;
}

long long allocation_counter_stop(void) {
    counting = 0;
    atomic_store(&countingWorkers, 0);
    lastWorkerCount = atomic_load(&workerAllocations);
    long long total = allocations + lastWorkerCount;
    pthread_mutex_unlock(&window);
    return total;
}

// The workers' part of this thread's last measurement (kept per thread: another may have started since).
long long allocation_counter_last_worker_count(void) { return lastWorkerCount; }
