#ifndef SAC_VECTOR_KERNELS_H
#define SAC_VECTOR_KERNELS_H

/// One Adam step on elements [begin, end) of the moments and parameters, sixteen lanes at a time
/// (AVX-512 F; call only where the CPU and OS have AVX-512, as CSACOpenBLAS's sac_cpu_vector_level() tells). Evaluates exactly the
/// operations of SACNeuralNetworks' Adam.apply, in its order and without fused multiply-adds, so the
/// results are the same bits:
///   m ← m + (1−β₁)(g − m);  v ← β₂v + ((1−β₂)g)g;  p ← p − stepSize · m / (√v · inverseCorrection2 + ε)
void sac_adam_apply_avx512(float stepSize, float inverseCorrection2, float oneMinusBeta1, float beta2, float oneMinusBeta2,
                           float epsilon, float *firstMoment, float *secondMoment, float *parameters,
                           const float *gradients, long begin, long end);

#endif
