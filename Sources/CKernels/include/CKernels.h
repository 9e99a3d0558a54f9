// The CPU's features and the matrix-product engines, behind one small C interface.
// Only the .c files include the libraries' headers (cblas.h, dnnl.h, omp.h), as with ICU.
#ifndef NMT_CKERNELS_H
#define NMT_CKERNELS_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Instruction-set levels this project has code paths for.
typedef enum {
    NMT_ISA_GENERIC = 0,   ///< SSE2, what every x86-64 (and any other CPU) runs
    NMT_ISA_AVX2 = 1,      ///< AVX2 with FMA3
    NMT_ISA_AVX512 = 2,    ///< AVX-512 F, BW, VL and DQ
} nmt_isa;

/// Whether the CPU (and the OS, which must save the wider registers) supports the level.
int nmt_cpu_supports(nmt_isa isa);

/// The matrix-product engines.
typedef enum {
    NMT_ENGINE_OPENBLAS = 0,
    NMT_ENGINE_ONEDNN = 1,
} nmt_engine;

/// Caps oneDNN's instruction set (before its first use; later calls fail and return 0).
int nmt_onednn_cap_isa(nmt_isa isa);
/// oneDNN's version as major*10000 + minor*100 + patch.
int nmt_onednn_version(void);
/// OpenBLAS's own description of the kernel it chose (its core name).
const char *nmt_openblas_core(void);

/// The thread count both engines use (the calling thread's own when it set one).
void nmt_set_threads(int n);
int nmt_get_threads(void);
/// The count for the calling thread only (a decoding worker): oneDNN's OpenMP team and our own
/// parallel loops; OpenBLAS keeps the process's.
void nmt_set_threads_for_this_thread(int n);

/// C = alpha · op(A) · op(B) + beta · C, row-major, by the given engine.
void nmt_sgemm(nmt_engine engine, int trans_a, int trans_b, int64_t m, int64_t n, int64_t k, float alpha,
               const float *a, int64_t lda, const float *b, int64_t ldb, float beta, float *c, int64_t ldc);

// ---- Elementwise kernels, each at the given level (a level the CPU lacks must not be passed) ----

/// y = exp(x) / sigmoid(x) / tanh(x), elementwise (y may be x).
void nmt_v_exp(nmt_isa isa, const float *x, float *y, int64_t n);
void nmt_v_sigmoid(nmt_isa isa, const float *x, float *y, int64_t n);
void nmt_v_tanh(nmt_isa isa, const float *x, float *y, int64_t n);
/// row ← softmax(row) in place (n > 0); returns log Σ exp of the input row.
float nmt_v_softmax(nmt_isa isa, float *row, int64_t n);

/// One LSTM row (LSTMCell.swift's forwardRow / backwardRow; d_out may be NULL).
void nmt_lstm_forward_row(nmt_isa isa, int64_t H, const float *bias, float *gates, const float *rec, const float *c,
                          float *c_new, float *c_out, float *tanh_c_out, float *h, float *h_out, float *out);
void nmt_lstm_backward_row(nmt_isa isa, int64_t H, const float *gates, const float *tanh_c, const float *c_prev,
                           const float *d_out, float *dh, float *dc, float *d_gates);
/// One GRU row (GRUCell.swift's forwardKernel / backwardKernel; d_out may be NULL).
void nmt_gru_forward_row(nmt_isa isa, int64_t H, const float *b_hh, const float *proj, const float *rec,
                         const float *h_prev, float *h_next, float *h_saved, float *cache, float *out);
void nmt_gru_backward_row(nmt_isa isa, int64_t H, const float *cache, const float *h_prev, const float *d_out,
                          float *dh, float *dx, float *dhp);
/// One row of the label-smoothed softmax cross-entropy (Loss.swift): lse, Σ z and z_y out; when
/// `write`, row ← scale·(softmax − q), q = off_scaled/scale off the gold id y, gold_extra = scale·(1 − ε − off).
void nmt_xent_row(nmt_isa isa, float *row, int64_t V, int64_t y, float off_scaled, float scale, float gold_extra,
                  int write, double *lse, double *sum_z, double *z_y);
/// Additive attention (Attention.swift): score_j = v · tanh(q + k_j), k_j = keys + j·key_stride,
/// and its backward given ds_j (dv, dq and dk_j accumulate; rows with ds_j = 0 are skipped).
void nmt_attention_scores(nmt_isa isa, int64_t A, const float *v, const float *q, const float *keys, int64_t key_stride,
                          int64_t len, float *scores);
void nmt_attention_scores_backward(nmt_isa isa, int64_t A, const float *v, const float *q, const float *keys,
                                   int64_t key_stride, float *dkeys, int64_t dkey_stride, int64_t len, const float *ds,
                                   float *dv, float *dq);
/// out = Σ_j w_j · row_j, and out_j = row_j · x, over len rows of width C at rows + j·stride.
void nmt_weighted_row_sum(nmt_isa isa, int64_t C, int64_t len, const float *w, const float *rows, int64_t stride,
                          float *out);
void nmt_row_dots(nmt_isa isa, int64_t C, int64_t len, const float *rows, int64_t stride, const float *x, float *out);
/// row ← row − log Σ exp(row) (count > 0).
void nmt_log_softmax(nmt_isa isa, float *row, int64_t count);
/// One row of layer normalisation (LayerNorm.swift): y = g ⊙ x̂ (+ b), x̂ into nr, 1/sqrt(var + eps)
/// into *rstd (y may be x); backward: dx from dy (may alias), dg += dy ⊙ x̂, db += dy (b, db may be NULL).
void nmt_layer_norm_row(nmt_isa isa, int64_t G, const float *x, const float *g, const float *b, float eps, float *y,
                        float *nr, float *rstd);
void nmt_layer_norm_backward_row(nmt_isa isa, int64_t G, const float *dy, const float *g, const float *nr, float rstd,
                                 float *dx, float *dg, float *db);
/// One Adam update over count floats (Adam.swift); decay = 1 − lr·weight decay (1: none).
void nmt_adam(nmt_isa isa, float *w, const float *g, float *m, float *v, int64_t count, float beta1, float beta2,
              float step_size, float inv_sqrt_bc2, float epsilon, float decay);

#ifdef __cplusplus
}
#endif
#endif
