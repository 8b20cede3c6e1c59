// bfloat16 operands laid out for libxsmm's kernels, rounded from row-major float32 matrices in one pass.
// Every function has an AVX-512 path (whole matrices, any size: partial blocks use masks), taken with
// `useAVX512BF16`, and a scalar one with the same bits.
#include "CSACVectorKernels.h"
#include "BFloat16Rounding.h"

#if defined(__x86_64__)
#include <immintrin.h>
#define SAC_BF16_TARGET __attribute__((target("avx512f,avx512bw,avx512bf16,avx512vl")))

static inline __mmask16 mask16(long count) { return count >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << count) - 1); }
static inline __mmask32 mask32(long count) { return count >= 32 ? (__mmask32)0xffffffffu : (__mmask32)((1u << count) - 1); }

/// `count` (≤ 32) floats from `row` rounded into one vector, the lanes past `count` zero.
SAC_BF16_TARGET static inline __m512i round32(const float *row, long count) {
    __m512 low = _mm512_maskz_loadu_ps(mask16(count), row);
    __m512 high = count > 16 ? _mm512_maskz_loadu_ps(mask16(count - 16), row + 16) : _mm512_setzero_ps();
    return (__m512i)_mm512_cvtne2ps_pbh(high, low);
}

/// Transposes 16 vectors of 16 32-bit lanes in place.
SAC_BF16_TARGET static inline void transpose16x16(__m512i v[16]) {
    __m512i t[16];
    for (int i = 0; i < 16; i += 2) {
        t[i] = _mm512_unpacklo_epi32(v[i], v[i + 1]);
        t[i + 1] = _mm512_unpackhi_epi32(v[i], v[i + 1]);
    }
    for (int i = 0; i < 16; i += 4) {
        v[i] = _mm512_unpacklo_epi64(t[i], t[i + 2]);
        v[i + 1] = _mm512_unpackhi_epi64(t[i], t[i + 2]);
        v[i + 2] = _mm512_unpacklo_epi64(t[i + 1], t[i + 3]);
        v[i + 3] = _mm512_unpackhi_epi64(t[i + 1], t[i + 3]);
    }
    for (int i = 0; i < 16; i += 8) {
        for (int j = 0; j < 4; j++) {
            t[i + j] = _mm512_shuffle_i32x4(v[i + j], v[i + j + 4], 0x88);
            t[i + j + 4] = _mm512_shuffle_i32x4(v[i + j], v[i + j + 4], 0xdd);
        }
    }
    for (int j = 0; j < 8; j++) {
        v[j] = _mm512_shuffle_i32x4(t[j], t[j + 8], 0x88);
        v[j + 8] = _mm512_shuffle_i32x4(t[j], t[j + 8], 0xdd);
    }
}

/// Rows r… (up to 16) and columns c… (up to 32) of a row-major matrix, rounded: row r+i's values in
/// vector i (zero past the matrix), optionally stored row-major into `padded` as well, then transposed so
/// that vector t holds the column pair (c+2t, c+2t+1) of every row, one 32-bit unit per row.
SAC_BF16_TARGET static inline void roundBlock(const float *source, long rows, long columns, long r, long c, __m512i v[16],
                                              uint16_t *padded, long paddedColumns) {
    const long width = columns - c < 32 ? columns - c : 32;
    for (int i = 0; i < 16; i++) {
        if (r + i < rows) {
            v[i] = round32(source + (r + i) * columns + c, width);
            if (padded) _mm512_mask_storeu_epi16(padded + (r + i) * paddedColumns + c, mask32(width), v[i]);
        } else {
            v[i] = _mm512_setzero_si512();
        }
    }
    transpose16x16(v);
}

SAC_BF16_TARGET static void packColumnPairsVectors(const float *source, long rows, long columns, uint16_t *destination) {
    uint32_t *out = (uint32_t *)destination;
    const long pairs = (columns + 1) / 2;
    for (long r = 0; r < rows; r += 16) {
        const __mmask16 keep = mask16(rows - r);
        for (long c = 0; c < columns; c += 32) {
            __m512i v[16];
            roundBlock(source, rows, columns, r, c, v, 0, 0);
            for (long t = 0; t < 16 && c / 2 + t < pairs; t++) _mm512_mask_storeu_epi32(out + (c / 2 + t) * rows + r, keep, v[t]);
        }
    }
}

SAC_BF16_TARGET static void roundTransposedVectors(const float *source, long rows, long columns, uint16_t *transposed,
                                                  long transposedColumns, uint16_t *padded, long paddedColumns) {
    // A unit holds (column 2t, column 2t + 1) of a row: even lanes go to one output row, odd to the next.
    const __m512i split = _mm512_set_epi16(31, 29, 27, 25, 23, 21, 19, 17, 15, 13, 11, 9, 7, 5, 3, 1,
                                           30, 28, 26, 24, 22, 20, 18, 16, 14, 12, 10, 8, 6, 4, 2, 0);
    for (long r = 0; r < rows; r += 16) {
        const __mmask16 keep = mask16(rows - r);
        for (long c = 0; c < columns; c += 32) {
            __m512i v[16];
            roundBlock(source, rows, columns, r, c, v, padded, paddedColumns);
            for (long t = 0; t < 16 && c + 2 * t < columns; t++) {
                __m512i w = _mm512_permutexvar_epi16(split, v[t]);
                _mm256_mask_storeu_epi16(transposed + (c + 2 * t) * transposedColumns + r, keep, _mm512_castsi512_si256(w));
                if (c + 2 * t + 1 < columns) {
                    _mm256_mask_storeu_epi16(transposed + (c + 2 * t + 1) * transposedColumns + r, keep, _mm512_extracti64x4_epi64(w, 1));
                }
            }
        }
    }
}

SAC_BF16_TARGET static void packRowPairsVectors(const float *source, long rows, long columns, uint16_t *destination) {
    const __m512i interleave = _mm512_set_epi16(31, 15, 30, 14, 29, 13, 28, 12, 27, 11, 26, 10, 25, 9, 24, 8,
                                                23, 7, 22, 6, 21, 5, 20, 4, 19, 3, 18, 2, 17, 1, 16, 0);
    for (long r = 0; r < rows; r += 2) {
        const float *a = source + r * columns;
        const int hasB = r + 1 < rows;
        uint16_t *out = destination + r * columns;
        for (long c = 0; c < columns; c += 16) {
            const __mmask16 keep = mask16(columns - c);
            __m512 b = hasB ? _mm512_maskz_loadu_ps(keep, a + columns + c) : _mm512_setzero_ps();
            __m512i v = (__m512i)_mm512_cvtne2ps_pbh(b, _mm512_maskz_loadu_ps(keep, a + c));
            _mm512_mask_storeu_epi16(out + 2 * c, mask32(2 * (columns - c)), _mm512_permutexvar_epi16(interleave, v));
        }
    }
}
#endif

void sac_bfloat16_round_padded(const float *source, long rows, long columns, uint16_t *destination, long destinationColumns,
                               int useAVX512BF16) {
    for (long r = 0; r < rows; r++) {
        sac_bfloat16_from_float(source + r * columns, destination + r * destinationColumns, columns, useAVX512BF16);
        for (long c = columns; c < destinationColumns; c++) destination[r * destinationColumns + c] = 0;
    }
}

void sac_bfloat16_pack_row_pairs(const float *source, long rows, long columns, uint16_t *destination, int useAVX512BF16) {
#if defined(__x86_64__)
    if (useAVX512BF16) { packRowPairsVectors(source, rows, columns, destination); return; }
#else
    (void)useAVX512BF16;
#endif
    for (long r = 0; r < rows; r += 2) {
        const float *a = source + r * columns, *b = r + 1 < rows ? a + columns : 0;
        uint16_t *out = destination + r * columns;
        for (long c = 0; c < columns; c++) {
            out[2 * c] = sac_bfloat16_rounded(a[c]);
            out[2 * c + 1] = b ? sac_bfloat16_rounded(b[c]) : 0;
        }
    }
}

void sac_bfloat16_pack_column_pairs(const float *source, long rows, long columns, uint16_t *destination, int useAVX512BF16) {
#if defined(__x86_64__)
    if (useAVX512BF16) { packColumnPairsVectors(source, rows, columns, destination); return; }
#else
    (void)useAVX512BF16;
#endif
    const long pairs = (columns + 1) / 2;
    for (long r = 0; r < rows; r++) {
        const float *row = source + r * columns;
        for (long j = 0; j < pairs; j++) {
            uint16_t *out = destination + (j * rows + r) * 2;
            out[0] = sac_bfloat16_rounded(row[2 * j]);
            out[1] = 2 * j + 1 < columns ? sac_bfloat16_rounded(row[2 * j + 1]) : 0;
        }
    }
}

void sac_bfloat16_round_transposed(const float *source, long rows, long columns, uint16_t *transposed, long transposedColumns,
                                   uint16_t *padded, long paddedColumns, int useAVX512BF16) {
    for (long c = 0; c < columns; c++) {
        for (long r = rows; r < transposedColumns; r++) transposed[c * transposedColumns + r] = 0;
    }
    if (padded) {
        for (long r = 0; r < rows; r++) {
            for (long c = columns; c < paddedColumns; c++) padded[r * paddedColumns + c] = 0;
        }
    }
#if defined(__x86_64__)
    if (useAVX512BF16) { roundTransposedVectors(source, rows, columns, transposed, transposedColumns, padded, paddedColumns); return; }
#else
    (void)useAVX512BF16;
#endif
    for (long r = 0; r < rows; r++) {
        for (long c = 0; c < columns; c++) {
            const uint16_t value = sac_bfloat16_rounded(source[r * columns + c]);
            transposed[c * transposedColumns + r] = value;
            if (padded) padded[r * paddedColumns + c] = value;
        }
    }
}
