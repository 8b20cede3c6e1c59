// OpenBLAS's own cblas.h (found through pkg-config's include path) is the only one that declares
// openblas_set_num_threads; the generic Debian cblas.h does not.
#include <cblas.h>
