#ifndef ALLOCATION_COUNTER_H
#define ALLOCATION_COUNTER_H

/// Starts counting heap allocations (malloc, calloc, realloc, posix_memalign, aligned_alloc, memalign)
/// made by the calling thread and by every thread named "WorkerPair" (the update's second thread).
/// Linked into a test executable, this target's definitions of those functions take the place of
/// glibc's for the whole process (ELF symbol interposition) and forward to glibc's own
/// (`__libc_malloc` and friends); other threads are not counted. One measurement runs at a time in the
/// process: a start waits for another thread's stop, so suites running in parallel do not reset or stop
/// each other's counts.
void allocation_counter_start(void);

/// Stops counting and returns the number of allocations since the start: the calling thread's plus the
/// worker threads'.
long long allocation_counter_stop(void);

/// The worker threads' part of the count the last `allocation_counter_stop` returned.
long long allocation_counter_last_worker_count(void);

#endif
