// oneDNN's C API (Debian libdnnl-dev), for the bfloat16 matrix products.
#include <oneapi/dnnl/dnnl.h>

// Debian's oneDNN threads with OpenMP (libgomp). The number of threads is per calling thread in OpenMP,
// so each product sets it to one just before it runs: two update threads then run two single-threaded
// products side by side, as with OpenBLAS, and the summation order never changes.
extern void omp_set_num_threads(int count);
