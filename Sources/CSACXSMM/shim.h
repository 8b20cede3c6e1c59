// libxsmm (Debian libxsmm-dev 1.17): JIT-compiled small matrix kernels, for the bfloat16 products.
#include <stdint.h>
#include <libxsmm.h>

/// A kernel for column-major C (m×n, ldc = m) = A·B + beta·C, A bfloat16 in libxsmm's VNNI layout (pairs
/// along k), B bfloat16 (k×n, ldb = k), C float32; beta is 0 or 1. NULL where libxsmm has none.
static inline void *sac_xsmm_bfloat16_kernel(int m, int n, int k, int accumulate) {
    libxsmm_init();
    const libxsmm_blasint lda = m, ldb = k, ldc = m;
    const float alpha = 1, beta = accumulate ? 1 : 0;
    const int flags = LIBXSMM_GEMM_FLAG_VNNI_A | (accumulate ? 0 : LIBXSMM_GEMM_FLAG_BETA_0);
    return (void *)libxsmm_bsmmdispatch(m, n, k, &lda, &ldb, &ldc, &alpha, &beta, &flags, NULL);
}

/// Runs a kernel from sac_xsmm_bfloat16_kernel (the kernel's type is variadic, which Swift cannot call).
/// libxsmm 1.17's kernels return with the upper halves of the vector registers dirty; VZEROUPPER clears
/// them, or every SSE instruction after (Swift's element-wise loops are SSE) runs at a fraction of its
/// speed. Only called where the CPU has AVX512_BF16, so VZEROUPPER exists.
static inline void sac_xsmm_bfloat16_run(void *kernel, const uint16_t *a, const uint16_t *b, float *c) {
    ((libxsmm_bsmmfunction)kernel)((const libxsmm_bfloat16 *)a, (const libxsmm_bfloat16 *)b, c);
    __asm__ volatile("vzeroupper" ::: "memory");
}
