#include "CSACVectorKernels.h"

#if defined(__x86_64__)
#include <immintrin.h>

// No contraction into fused multiply-adds: each operation rounds as the Swift code's does.
#pragma clang fp contract(off)

__attribute__((target("avx512f")))
void sac_adam_apply_avx512(float stepSize, float inverseCorrection2, float oneMinusBeta1, float beta2, float oneMinusBeta2,
                           float epsilon, float *m, float *v, float *p, const float *g, long begin, long end) {
    const __m512 step = _mm512_set1_ps(stepSize), correction = _mm512_set1_ps(inverseCorrection2);
    const __m512 b1 = _mm512_set1_ps(oneMinusBeta1), b2 = _mm512_set1_ps(beta2), c2 = _mm512_set1_ps(oneMinusBeta2);
    const __m512 eps = _mm512_set1_ps(epsilon);
    long i = begin;
    for (; i + 16 <= end; i += 16) {
        const __m512 gi = _mm512_loadu_ps(g + i);
        __m512 mi = _mm512_loadu_ps(m + i), vi = _mm512_loadu_ps(v + i);
        mi = _mm512_add_ps(mi, _mm512_mul_ps(b1, _mm512_sub_ps(gi, mi)));
        vi = _mm512_add_ps(_mm512_mul_ps(b2, vi), _mm512_mul_ps(_mm512_mul_ps(c2, gi), gi));
        _mm512_storeu_ps(m + i, mi);
        _mm512_storeu_ps(v + i, vi);
        const __m512 denominator = _mm512_add_ps(_mm512_mul_ps(_mm512_sqrt_ps(vi), correction), eps);
        _mm512_storeu_ps(p + i, _mm512_sub_ps(_mm512_loadu_ps(p + i), _mm512_mul_ps(step, _mm512_div_ps(mi, denominator))));
    }
    for (; i < end; i++) {
        const float gi = g[i];
        const float mi = m[i] + oneMinusBeta1 * (gi - m[i]);
        const float vi = beta2 * v[i] + oneMinusBeta2 * gi * gi;
        m[i] = mi;
        v[i] = vi;
        p[i] = p[i] - stepSize * (mi / (__builtin_sqrtf(vi) * inverseCorrection2 + epsilon));
    }
}
#else
// Never called off x86-64 (the CPU check answers no AVX-512); defined so that the package links there.
void sac_adam_apply_avx512(float stepSize, float inverseCorrection2, float oneMinusBeta1, float beta2, float oneMinusBeta2,
                           float epsilon, float *m, float *v, float *p, const float *g, long begin, long end) {
    (void)stepSize; (void)inverseCorrection2; (void)oneMinusBeta1; (void)beta2; (void)oneMinusBeta2; (void)epsilon;
    (void)m; (void)v; (void)p; (void)g; (void)begin; (void)end;
}
#endif
