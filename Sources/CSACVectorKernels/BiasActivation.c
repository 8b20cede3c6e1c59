// A dense layer's bias and ReLU in one pass over its output, after a product that overwrote it.
#include "CSACVectorKernels.h"

#if defined(__x86_64__)
#include <immintrin.h>

__attribute__((target("avx512f")))
static void addBiasVectors(float *output, const float *bias, long rows, long columns, int relu) {
    const __m512 zero = _mm512_setzero_ps();
    for (long r = 0; r < rows; r++) {
        float *row = output + r * columns;
        for (long c = 0; c < columns; c += 16) {
            const __mmask16 keep = columns - c >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << (columns - c)) - 1);
            __m512 y = _mm512_add_ps(_mm512_maskz_loadu_ps(keep, row + c), _mm512_maskz_loadu_ps(keep, bias + c));
            // MAXPS returns its second operand when either is NaN: NaN becomes 0, as Swift's max(0, x) gives.
            if (relu) y = _mm512_max_ps(y, zero);
            _mm512_mask_storeu_ps(row + c, keep, y);
        }
    }
}
#endif

void sac_add_bias(float *output, const float *bias, long rows, long columns, int relu, int useAVX512) {
#if defined(__x86_64__)
    if (useAVX512) { addBiasVectors(output, bias, rows, columns, relu); return; }
#else
    (void)useAVX512;
#endif
    for (long r = 0; r < rows; r++) {
        for (long c = 0; c < columns; c++) {
            const float y = output[r * columns + c] + bias[c];
            output[r * columns + c] = relu ? (y >= 0 ? y : 0) : y;
        }
    }
}
