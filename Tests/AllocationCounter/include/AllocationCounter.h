#ifndef ALLOCATION_COUNTER_H
#define ALLOCATION_COUNTER_H

/// Starts counting heap allocations (malloc, calloc, realloc, posix_memalign, aligned_alloc, memalign)
/// made by the calling thread. Linked into a test executable, this target's definitions of those
/// functions take the place of glibc's for the whole process (ELF symbol interposition) and forward to
/// glibc's own (`__libc_malloc` and friends); only the counting thread's calls are counted, so tests
/// running on other threads do not disturb a measurement.
void allocation_counter_start(void);

/// Stops counting on the calling thread and returns the number of allocations since the start.
long long allocation_counter_stop(void);

#endif
