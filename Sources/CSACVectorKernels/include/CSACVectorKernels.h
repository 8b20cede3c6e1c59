#ifndef SAC_VECTOR_KERNELS_H
#define SAC_VECTOR_KERNELS_H

#include <stdint.h>

/// One Adam step on elements [begin, end) of the moments and parameters, sixteen lanes at a time
/// (AVX-512 F; call only where the CPU and OS have AVX-512, as CSACOpenBLAS's sac_cpu_vector_level() tells). Evaluates exactly the
/// operations of SACNeuralNetworks' Adam.apply, in its order and without fused multiply-adds, so the
/// results are the same bits:
///   m ← m + (1−β₁)(g − m);  v ← β₂v + ((1−β₂)g)g;  p ← p − stepSize · m / (√v · inverseCorrection2 + ε)
void sac_adam_apply_avx512(float stepSize, float inverseCorrection2, float oneMinusBeta1, float beta2, float oneMinusBeta2,
                           float epsilon, float *firstMoment, float *secondMoment, float *parameters,
                           const float *gradients, long begin, long end);

/// Rounds `count` floats to bfloat16 (the upper 16 bits of a float32), to nearest even, as the CPU's
/// VCVTNE2PS2BF16 does; NaN stays NaN. `useAVX512BF16` (only where the CPU has AVX512_BF16) converts 32 at a
/// time with that instruction, giving the same bits.
void sac_bfloat16_from_float(const float *source, uint16_t *destination, long count, int useAVX512BF16);

/// Rounds a rows × columns matrix into rows × destinationColumns, the extra columns zero.
void sac_bfloat16_round_padded(const float *source, long rows, long columns, uint16_t *destination, long destinationColumns,
                               int useAVX512BF16);
/// Rounds a rows × columns matrix into libxsmm's VNNI layout along its rows: element (r, c) at
/// ((r / 2) · columns + c) · 2 + r % 2; an odd last row is paired with zeros.
void sac_bfloat16_pack_row_pairs(const float *source, long rows, long columns, uint16_t *destination, int useAVX512BF16);
/// Rounds a rows × columns matrix into VNNI layout along its columns, transposed: element (r, c) at
/// ((c / 2) · rows + r) · 2 + c % 2; an odd last column is paired with zeros.
void sac_bfloat16_pack_column_pairs(const float *source, long rows, long columns, uint16_t *destination, int useAVX512BF16);
/// Rounds a rows × columns matrix into its transpose, columns × transposedColumns (≥ rows), zero-padded,
/// and, unless `padded` is NULL, into rows × paddedColumns (≥ columns) as well, zero-padded: one pass
/// for both of the layouts a layer's output gradient takes.
void sac_bfloat16_round_transposed(const float *source, long rows, long columns, uint16_t *transposed, long transposedColumns,
                                   uint16_t *padded, long paddedColumns, int useAVX512BF16);

/// `output[r][c] ← output[r][c] + bias[c]` for a row-major rows × columns output, then, with `relu`,
/// `max(0, ·)` (NaN becomes 0): a layer's bias and activation in one pass, sixteen lanes at a time with
/// `useAVX512` (only where the CPU has AVX-512 F), the same bits either way.
void sac_add_bias(float *output, const float *bias, long rows, long columns, int relu, int useAVX512);

#endif
