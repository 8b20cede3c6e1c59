#include "CSACVectorKernels.h"
#include <string.h>

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

/// Round to nearest even, as VCVTNE2PS2BF16 does; a NaN stays a (quiet) NaN.
static uint16_t bfloat16_from_float(float value) {
    uint32_t bits;
    memcpy(&bits, &value, sizeof bits);
    if ((bits & 0x7fffffffu) > 0x7f800000u) return (uint16_t)((bits >> 16) | 0x40);
    bits += 0x7fffu + ((bits >> 16) & 1u);
    return (uint16_t)(bits >> 16);
}

void sac_bfloat16_from_float(const float *source, uint16_t *destination, long count, int useAVX512BF16) {
    long i = 0;
#if defined(__x86_64__)
    if (useAVX512BF16) i = convert_avx512_bf16(source, destination, count);
#else
    (void)useAVX512BF16;
#endif
    for (; i < count; i++) destination[i] = bfloat16_from_float(source[i]);
}

