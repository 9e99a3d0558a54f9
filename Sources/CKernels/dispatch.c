// One entry point per elementwise kernel: the level (nmt_isa) is an argument, so that tests can
// run every level side by side in one process; Swift passes Kernels.path.
#include "CKernels.h"

#define DECLARE(sfx)                                                                                           \
    void nmt_exp_##sfx(const float *, float *, int64_t);                                                      \
    void nmt_sigmoid_##sfx(const float *, float *, int64_t);                                                  \
    void nmt_tanh_##sfx(const float *, float *, int64_t);                                                     \
    float nmt_softmax_##sfx(float *, int64_t);                                                                \
    void nmt_lstm_forward_row_##sfx(int64_t, const float *, float *, const float *, const float *, float *,  \
                                    float *, float *, float *, float *, float *);                             \
    void nmt_lstm_backward_row_##sfx(int64_t, const float *, const float *, const float *, const float *,    \
                                     float *, float *, float *);                                              \
    void nmt_gru_forward_row_##sfx(int64_t, const float *, const float *, const float *, const float *,      \
                                   float *, float *, float *, float *);                                       \
    void nmt_gru_backward_row_##sfx(int64_t, const float *, const float *, const float *, float *, float *,  \
                                    float *);                                                                 \
    void nmt_xent_row_##sfx(float *, int64_t, int64_t, float, float, float, int, double *, double *, double *); \
    void nmt_attention_scores_##sfx(int64_t, const float *, const float *, const float *, int64_t, int64_t,   \
                                    float *);                                                                 \
    void nmt_attention_scores_backward_##sfx(int64_t, const float *, const float *, const float *, int64_t,   \
                                             float *, int64_t, int64_t, const float *, float *, float *);     \
    void nmt_weighted_row_sum_##sfx(int64_t, int64_t, const float *, const float *, int64_t, float *);       \
    void nmt_row_dots_##sfx(int64_t, int64_t, const float *, int64_t, const float *, float *);               \
    void nmt_log_softmax_##sfx(float *, int64_t);                                                            \
    void nmt_layer_norm_row_##sfx(int64_t, const float *, const float *, const float *, float, float *, float *, \
                                  float *);                                                                  \
    void nmt_layer_norm_backward_row_##sfx(int64_t, const float *, const float *, const float *, float, float *, \
                                           float *, float *);                                                \
    void nmt_adam_##sfx(float *, const float *, float *, float *, int64_t, float, float, float, float, float, \
                        float);
DECLARE(generic)
DECLARE(avx2)
DECLARE(avx512)

#define DISPATCH(name, ...)                                                 \
    switch (isa) {                                                          \
    case NMT_ISA_AVX512: return name##_avx512(__VA_ARGS__);                 \
    case NMT_ISA_AVX2: return name##_avx2(__VA_ARGS__);                     \
    default: return name##_generic(__VA_ARGS__);                            \
    }

void nmt_v_exp(nmt_isa isa, const float *x, float *y, int64_t n) { DISPATCH(nmt_exp, x, y, n) }
void nmt_v_sigmoid(nmt_isa isa, const float *x, float *y, int64_t n) { DISPATCH(nmt_sigmoid, x, y, n) }
void nmt_v_tanh(nmt_isa isa, const float *x, float *y, int64_t n) { DISPATCH(nmt_tanh, x, y, n) }
float nmt_v_softmax(nmt_isa isa, float *row, int64_t n) { DISPATCH(nmt_softmax, row, n) }

void nmt_lstm_forward_row(nmt_isa isa, int64_t H, const float *bias, float *gates, const float *rec, const float *c,
                          float *c_new, float *c_out, float *tanh_c_out, float *h, float *h_out, float *out) {
    DISPATCH(nmt_lstm_forward_row, H, bias, gates, rec, c, c_new, c_out, tanh_c_out, h, h_out, out)
}
void nmt_lstm_backward_row(nmt_isa isa, int64_t H, const float *gates, const float *tanh_c, const float *c_prev,
                           const float *d_out, float *dh, float *dc, float *d_gates) {
    DISPATCH(nmt_lstm_backward_row, H, gates, tanh_c, c_prev, d_out, dh, dc, d_gates)
}
void nmt_gru_forward_row(nmt_isa isa, int64_t H, const float *b_hh, const float *proj, const float *rec,
                         const float *h_prev, float *h_next, float *h_saved, float *cache, float *out) {
    DISPATCH(nmt_gru_forward_row, H, b_hh, proj, rec, h_prev, h_next, h_saved, cache, out)
}
void nmt_gru_backward_row(nmt_isa isa, int64_t H, const float *cache, const float *h_prev, const float *d_out,
                          float *dh, float *dx, float *dhp) {
    DISPATCH(nmt_gru_backward_row, H, cache, h_prev, d_out, dh, dx, dhp)
}
void nmt_adam(nmt_isa isa, float *w, const float *g, float *m, float *v, int64_t count, float beta1, float beta2,
              float step_size, float inv_sqrt_bc2, float epsilon, float decay) {
    DISPATCH(nmt_adam, w, g, m, v, count, beta1, beta2, step_size, inv_sqrt_bc2, epsilon, decay)
}
void nmt_xent_row(nmt_isa isa, float *row, int64_t V, int64_t y, float off_scaled, float scale, float gold_extra,
                  int write, double *lse, double *sum_z, double *z_y) {
    DISPATCH(nmt_xent_row, row, V, y, off_scaled, scale, gold_extra, write, lse, sum_z, z_y)
}
void nmt_attention_scores(nmt_isa isa, int64_t A, const float *v, const float *q, const float *keys, int64_t key_stride,
                          int64_t len, float *scores) {
    DISPATCH(nmt_attention_scores, A, v, q, keys, key_stride, len, scores)
}
void nmt_attention_scores_backward(nmt_isa isa, int64_t A, const float *v, const float *q, const float *keys,
                                   int64_t key_stride, float *dkeys, int64_t dkey_stride, int64_t len, const float *ds,
                                   float *dv, float *dq) {
    DISPATCH(nmt_attention_scores_backward, A, v, q, keys, key_stride, dkeys, dkey_stride, len, ds, dv, dq)
}
void nmt_weighted_row_sum(nmt_isa isa, int64_t C, int64_t len, const float *w, const float *rows, int64_t stride,
                          float *out) {
    DISPATCH(nmt_weighted_row_sum, C, len, w, rows, stride, out)
}
void nmt_row_dots(nmt_isa isa, int64_t C, int64_t len, const float *rows, int64_t stride, const float *x, float *out) {
    DISPATCH(nmt_row_dots, C, len, rows, stride, x, out)
}
void nmt_log_softmax(nmt_isa isa, float *row, int64_t count) { DISPATCH(nmt_log_softmax, row, count) }
void nmt_layer_norm_row(nmt_isa isa, int64_t G, const float *x, const float *g, const float *b, float eps, float *y,
                        float *nr, float *rstd) {
    DISPATCH(nmt_layer_norm_row, G, x, g, b, eps, y, nr, rstd)
}
void nmt_layer_norm_backward_row(nmt_isa isa, int64_t G, const float *dy, const float *g, const float *nr, float rstd,
                                 float *dx, float *dg, float *db) {
    DISPATCH(nmt_layer_norm_backward_row, G, dy, g, nr, rstd, dx, dg, db)
}
