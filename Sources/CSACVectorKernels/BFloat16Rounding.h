#ifndef SAC_BFLOAT16_ROUNDING_H
#define SAC_BFLOAT16_ROUNDING_H

#include <stdint.h>
#include <string.h>

/// One float rounded to bfloat16, to nearest even, as VCVTNE2PS2BF16 does; a NaN stays a (quiet) NaN.
static inline uint16_t sac_bfloat16_rounded(float value) {
    uint32_t bits;
    memcpy(&bits, &value, sizeof bits);
    if ((bits & 0x7fffffffu) > 0x7f800000u) return (uint16_t)((bits >> 16) | 0x40);
    bits += 0x7fffu + ((bits >> 16) & 1u);
    return (uint16_t)(bits >> 16);
}

#endif
