#include "CSACVectorKernels.h"
#include "BFloat16Rounding.h"

#if defined(__x86_64__)
#include <immintrin.h>

__attribute__((target("avx512f,avx512bf16,avx512vl")))
static long convert_avx512_bf16(const float *source, uint16_t *destination, long count) {
    long i = 0;
    for (; i + 32 <= count; i += 32) {
        __m512bh pair = _mm512_cvtne2ps_pbh(_mm512_loadu_ps(source + i + 16), _mm512_loadu_ps(source + i));
        _mm512_storeu_si512((void *)(destination + i), (__m512i)pair);
    }
    return i;
}
#endif

void sac_bfloat16_from_float(const float *source, uint16_t *destination, long count, int useAVX512BF16) {
    long i = 0;
#if defined(__x86_64__)
    if (useAVX512BF16) i = convert_avx512_bf16(source, destination, count);
#else
    (void)useAVX512BF16;
#endif
    for (; i < count; i++) destination[i] = sac_bfloat16_rounded(source[i]);
}

