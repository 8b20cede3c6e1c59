// The matrix products of one SAC update, shape by shape, four ways on one thread: OpenBLAS sgemm with
// the forward pass's bias and ReLU as separate passes (what float32 updates run), oneDNN's float32 matmul
// with bias and ReLU fused as post-ops, oneDNN's bfloat16 matmul with float32 accumulation beside the cost
// of rounding its two operands, and libxsmm's bfloat16 kernel (what bf16 updates run) beside the cost of
// laying its operands out (the project's own kernels, Sources/CSACVectorKernels). Built and run by
// benchmarks/matmul-shapes; prints a Markdown table of microseconds per product.
#include <cblas.h>
#include <immintrin.h>
#include <libxsmm.h>
#include <oneapi/dnnl/dnnl.h>
#include "CSACVectorKernels.h"
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

extern void omp_set_num_threads(int);

#define CHECK(call)                                                                          \
    do {                                                                                     \
        dnnl_status_t status_ = (call);                                                      \
        if (status_ != dnnl_success) {                                                       \
            fprintf(stderr, "%s failed: %d\n", #call, (int)status_);                        \
            exit(1);                                                                         \
        }                                                                                    \
    } while (0)

static dnnl_engine_t engine;
static dnnl_stream_t stream;

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

typedef struct {
    dnnl_primitive_t primitive;
    dnnl_memory_t a, b, c, bias;
    int hasBias;
} product;

// C[m×n] = op(A)·op(B) on row-major buffers, A and B of type `type`; `biasReLU` fuses C += bias, C = max(C, 0).
static product make(int m, int n, int k, int transposeA, int transposeB, dnnl_data_type_t type, int biasReLU) {
    dnnl_memory_desc_t a, b, c, bias;
    dnnl_dims_t aDims = {m, k}, bDims = {k, n}, cDims = {m, n}, biasDims = {1, n};
    dnnl_dims_t aStrides = {transposeA ? 1 : k, transposeA ? m : 1}, bStrides = {transposeB ? 1 : n, transposeB ? k : 1};
    dnnl_dims_t cStrides = {n, 1}, biasStrides = {n, 1};
    CHECK(dnnl_memory_desc_init_by_strides(&a, 2, aDims, type, aStrides));
    CHECK(dnnl_memory_desc_init_by_strides(&b, 2, bDims, type, bStrides));
    CHECK(dnnl_memory_desc_init_by_strides(&c, 2, cDims, dnnl_f32, cStrides));
    CHECK(dnnl_memory_desc_init_by_strides(&bias, 2, biasDims, dnnl_f32, biasStrides));
    dnnl_matmul_desc_t desc;
    CHECK(dnnl_matmul_desc_init(&desc, &a, &b, biasReLU ? &bias : NULL, &c));
    dnnl_primitive_attr_t attributes;
    CHECK(dnnl_primitive_attr_create(&attributes));
    if (biasReLU) {
        dnnl_post_ops_t postOps;
        CHECK(dnnl_post_ops_create(&postOps));
        CHECK(dnnl_post_ops_append_eltwise(postOps, 1, dnnl_eltwise_relu, 0, 0));
        CHECK(dnnl_primitive_attr_set_post_ops(attributes, postOps));
        dnnl_post_ops_destroy(postOps);
    }
    dnnl_primitive_desc_t primitiveDesc;
    CHECK(dnnl_primitive_desc_create(&primitiveDesc, &desc, attributes, engine, NULL));
    product p;
    p.hasBias = biasReLU;
    CHECK(dnnl_primitive_create(&p.primitive, primitiveDesc));
    CHECK(dnnl_memory_create(&p.a, &a, engine, DNNL_MEMORY_NONE));
    CHECK(dnnl_memory_create(&p.b, &b, engine, DNNL_MEMORY_NONE));
    CHECK(dnnl_memory_create(&p.c, &c, engine, DNNL_MEMORY_NONE));
    CHECK(dnnl_memory_create(&p.bias, &bias, engine, DNNL_MEMORY_NONE));
    dnnl_primitive_desc_destroy(primitiveDesc);
    dnnl_primitive_attr_destroy(attributes);
    return p;
}

static void run(product *p, void *a, void *b, float *c, float *bias) {
    dnnl_memory_set_data_handle(p->a, a);
    dnnl_memory_set_data_handle(p->b, b);
    dnnl_memory_set_data_handle(p->c, c);
    dnnl_memory_set_data_handle(p->bias, bias);
    dnnl_exec_arg_t arguments[4] = {
        {DNNL_ARG_SRC, p->a}, {DNNL_ARG_WEIGHTS, p->b}, {DNNL_ARG_DST, p->c}, {DNNL_ARG_BIAS, p->bias}};
    CHECK(dnnl_primitive_execute(p->primitive, stream, p->hasBias ? 4 : 3, arguments));
}

__attribute__((target("avx512f,avx512bf16,avx512vl"))) static void round_bf16(const float *x, uint16_t *y, int count) {
    int i = 0;
    for (; i + 32 <= count; i += 32) {
        __m512bh pair = _mm512_cvtne2ps_pbh(_mm512_loadu_ps(x + i + 16), _mm512_loadu_ps(x + i));
        _mm512_storeu_si512((void *)(y + i), (__m512i)pair);
    }
    for (; i < count; i++) {
        uint32_t bits;
        memcpy(&bits, x + i, 4);
        y[i] = (uint16_t)((bits + 0x7fff + ((bits >> 16) & 1)) >> 16);
    }
}

enum { forward, weightGradient, inputGradient };

// libxsmm's column-major C (m×n) = A·B, A in VNNI pairs along k, as BFloat16Product builds it.
static libxsmm_bsmmfunction xsmm(int m, int n, int k) {
    const libxsmm_blasint lda = m, ldb = k, ldc = m;
    const float alpha = 1, beta = 0;
    const int flags = LIBXSMM_GEMM_FLAG_VNNI_A | LIBXSMM_GEMM_FLAG_BETA_0;
    libxsmm_bsmmfunction kernel = libxsmm_bsmmdispatch(m, n, k, &lda, &ldb, &ldc, &alpha, &beta, &flags, NULL);
    if (!kernel) { fprintf(stderr, "libxsmm has no %d×%d×%d kernel\n", m, n, k); exit(1); }
    return kernel;
}

// The median of `rounds` timings of `repetitions` calls, in microseconds per call.
#define TIME(result, statement)                                                              \
    do {                                                                                     \
        double samples_[7];                                                                  \
        for (int r_ = 0; r_ < 7; r_++) {                                                     \
            double t0_ = now();                                                              \
            for (int i_ = 0; i_ < repetitions; i_++) { statement; }                          \
            samples_[r_] = (now() - t0_) / repetitions * 1e6;                                \
        }                                                                                    \
        for (int i_ = 0; i_ < 7; i_++)                                                       \
            for (int j_ = i_ + 1; j_ < 7; j_++)                                              \
                if (samples_[j_] < samples_[i_]) { double s_ = samples_[i_]; samples_[i_] = samples_[j_]; samples_[j_] = s_; } \
        result = samples_[3];                                                                \
    } while (0)

int main(void) {
    omp_set_num_threads(1);
    openblas_set_num_threads(1);
    CHECK(dnnl_engine_create(&engine, dnnl_cpu, 0));
    CHECK(dnnl_stream_create(&stream, engine, dnnl_stream_default_flags));
    enum { capacity = 512 * 512 };
    float *x = aligned_alloc(64, capacity * 4), *w = aligned_alloc(64, capacity * 4), *y = aligned_alloc(64, capacity * 4);
    float *bias = aligned_alloc(64, 4096 * 4);
    uint16_t *xh = aligned_alloc(64, capacity * 2), *wh = aligned_alloc(64, capacity * 2);
    for (int i = 0; i < capacity; i++) { x[i] = (i % 97) / 97.f - .5f; w[i] = (i % 89) / 89.f - .5f; }
    for (int i = 0; i < 4096; i++) bias[i] = (i % 13) / 13.f - .5f;
    round_bf16(x, xh, capacity);
    round_bf16(w, wh, capacity);
    // Dense layers (rows, inputs, outputs) of a twin-q update at batch 256: critics on [s, a] (Pendulum 4,
    // HalfCheetah 23 inputs), the actor on [s; s′] (512 rows, 3 or 17 inputs, 2 or 12 outputs).
    const char *names[] = {"Pendulum critic", "Pendulum critic", "Pendulum critic", "Pendulum actor", "Pendulum actor",
                           "HalfCheetah critic", "HalfCheetah actor", "HalfCheetah actor"};
    int layers[][3] = {{256, 4, 256}, {256, 256, 256}, {256, 256, 1}, {512, 3, 256}, {512, 256, 2},
                       {256, 23, 256}, {512, 17, 256}, {512, 256, 12}};
    const char *kinds[] = {"forward y = x·Wᵀ + b", "weight gradient (∂L/∂y)ᵀ·x", "input gradient (∂L/∂y)·W"};
    libxsmm_init();
    uint16_t *xp = aligned_alloc(64, capacity * 2), *wp = aligned_alloc(64, capacity * 2);
    printf("| layer | rows×in→out | product | sgemm (+ bias, ReLU) µs | oneDNN f32 (fused) µs | oneDNN bf16 µs | rounding µs "
           "| libxsmm bf16 µs | layouts µs | oneDNN bf16 + rounding vs sgemm | libxsmm bf16 + layouts vs sgemm |\n");
    printf("|---|---|---|---|---|---|---|---|---|---|---|\n");
    for (int l = 0; l < (int)(sizeof layers / sizeof layers[0]); l++) {
        int rows = layers[l][0], in = layers[l][1], out = layers[l][2];
        for (int kind = forward; kind <= inputGradient; kind++) {
            if (kind == inputGradient && in < 32) continue;  // the first layer's full input gradient is not needed
            int m, n, k, ta, tb;
            if (kind == forward) { m = rows; n = out; k = in; ta = 0; tb = 1; }
            else if (kind == weightGradient) { m = out; n = in; k = rows; ta = 1; tb = 0; }
            else { m = rows; n = in; k = out; ta = 0; tb = 0; }
            int relu = kind == forward && out > 12;
            product single = make(m, n, k, ta, tb, dnnl_f32, kind == forward);
            product half = make(m, n, k, ta, tb, dnnl_bf16, 0);
            int repetitions = (int)(2e7 / (2.0 * m * n * k)) + 20;
            double tBLAS, tSingle, tHalf, tRound;
            TIME(tBLAS, {
                if (kind == forward) for (int r = 0; r < m; r++) memcpy(y + r * n, bias, n * 4);
                cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, m, n, k, 1, x,
                            ta ? m : k, w, tb ? k : n, kind == forward ? 1 : 0, y, n);
                if (relu) for (int e = 0; e < m * n; e++) y[e] = y[e] > 0 ? y[e] : 0;
            });
            TIME(tSingle, run(&single, x, w, y, bias));
            TIME(tHalf, run(&half, xh, wh, y, bias));
            TIME(tRound, { round_bf16(x, xh, m * k); round_bf16(w, wh, k * n); });
            // libxsmm, as BFloat16LayerProducts lays the operands out (x: rows × in, W: out × in, ∂L/∂y: rows × out).
            const int evenIn = in + in % 2, evenOut = out + out % 2, evenRows = rows + rows % 2;
            libxsmm_bsmmfunction kernel = kind == forward ? xsmm(out, rows, evenIn)
                                        : kind == weightGradient ? xsmm(in, out, evenRows) : xsmm(in, rows, evenOut);
            double tXSMM, tLayout;
            TIME(tXSMM, kernel((const libxsmm_bfloat16 *)wp, (const libxsmm_bfloat16 *)xp, y));
            if (kind == forward) {
                TIME(tLayout, { sac_bfloat16_round_padded(x, rows, in, xp, evenIn, 1); sac_bfloat16_pack_column_pairs(w, out, in, wp, 1); });
            } else if (kind == weightGradient) {
                TIME(tLayout, { sac_bfloat16_pack_row_pairs(x, rows, in, wp, 1); sac_bfloat16_round_transposed(w, rows, out, xp, evenRows, 0, 0, 1); });
            } else {
                TIME(tLayout, { sac_bfloat16_pack_row_pairs(w, out, in, wp, 1); sac_bfloat16_round_padded(x, rows, out, xp, evenOut, 1); });
            }
            printf("| %s | %d×%d→%d | %s | %.1f | %.1f | %.1f | %.1f | %.1f | %.1f | %.2f× | %.2f× |\n", names[l], rows, in, out, kinds[kind],
                   tBLAS, tSingle, tHalf, tRound, tXSMM, tLayout, tBLAS / (tHalf + tRound), tBLAS / (tXSMM + tLayout));
            fflush(stdout);
        }
    }
    return 0;
}
