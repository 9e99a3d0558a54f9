// The elementwise kernels, written once over the vector macros of vec_sse2.h / vec_avx2.h /
// vec_avx512.h and compiled once per instruction-set level (kernels_*.c), each function with
// that level's target attribute: one binary, the level chosen at run time (dispatch.c).
//
// exp(x): x = n·ln2 + r, |r| ≤ ln2/2 (Cody–Waite), exp(r) by its degree-7 Taylor polynomial,
// times 2^n built in the exponent bits; x clamped to [-87.3, 88.3] (results stay finite and
// normal): relative error < 4e-7 against libm, the same algorithm as FastMathSIMD.swift.
// sigmoid(x) = 1 / (1 + exp(−x)), tanh(x) = 2 / (1 + exp(−2x)) − 1.

#include <math.h>
#include <stddef.h>
#include <stdint.h>

#define CAT2(a, b) a##_##b
#define CAT(a, b) CAT2(a, b)
#define K(name) CAT(name, VSUFFIX)
#define KF __attribute__((target(VTARGET)))
#define KI static inline __attribute__((target(VTARGET), always_inline))

KI vf K(vexp)(vf x) {
    x = VMAX(VMIN(x, VSET1(88.3f)), VSET1(-87.3f));
    const vf magic = VSET1(12582912.0f);  // 1.5 · 2^23
    vf t = VFMA(x, VSET1(1.44269504f), magic);
    vf n = VSUB(t, magic);
    vf r = VFNMA(n, VSET1(0.69314575f), x);
    r = VFNMA(n, VSET1(1.4286068e-6f), r);
    vf p = VSET1(1.0f / 5040.0f);
    p = VFMA(p, r, VSET1(1.0f / 720.0f));
    p = VFMA(p, r, VSET1(1.0f / 120.0f));
    p = VFMA(p, r, VSET1(1.0f / 24.0f));
    p = VFMA(p, r, VSET1(1.0f / 6.0f));
    p = VFMA(p, r, VSET1(0.5f));
    p = VFMA(p, r, VSET1(1.0f));
    p = VFMA(p, r, VSET1(1.0f));
    vi ni = VI_SUB(VCAST_I(t), VI_SET1(0x4B400000));
    vf pow2 = VCAST_F(VI_SLL(VI_ADD(ni, VI_SET1(127)), 23));
    return VMUL(p, pow2);
}

KI vf K(vsigmoid)(vf x) {
    return VDIV(VSET1(1.0f), VADD(VSET1(1.0f), K(vexp)(VSUB(VZERO(), x))));
}

KI vf K(vtanh)(vf x) {
    return VSUB(VDIV(VSET1(2.0f), VADD(VSET1(1.0f), K(vexp)(VMUL(VSET1(-2.0f), x)))), VSET1(1.0f));
}

// ---- arrays ----------------------------------------------------------------------------------

#define ARRAY_MAP(name, f)                                                                  \
    KF void K(name)(const float *x, float *y, int64_t count) {                              \
        int64_t i = 0;                                                                      \
        for (; i + VW <= count; i += VW) VSTORE(y + i, f(VLOAD(x + i)));                     \
        if (i < count) VSTOREN(y + i, f(VLOADN(x + i, (int)(count - i))), (int)(count - i)); \
    }
ARRAY_MAP(nmt_exp, K(vexp))
ARRAY_MAP(nmt_sigmoid, K(vsigmoid))
ARRAY_MAP(nmt_tanh, K(vtanh))

/// The largest of count floats (count > 0).
KI float K(vrowmax)(const float *row, int64_t count) {
    vf mv = VSET1(-__builtin_inff());
    int64_t i = 0;
    for (; i + VW <= count; i += VW) mv = VMAX(mv, VLOAD(row + i));
    float m = VHMAX(mv);
    for (; i < count; i++) m = row[i] > m ? row[i] : m;
    return m;
}

/// row ← softmax(row) in place; returns log Σ exp(row) of the input (count > 0).
KF float K(nmt_softmax)(float *row, int64_t count) {
    const float m = K(vrowmax)(row, count);
    int64_t i;
    const vf mm = VSET1(m);
    vf s = VZERO();
    float tail = 0;
    for (i = 0; i < count; i += VW) {
        int n = count - i < VW ? (int)(count - i) : VW;
        if (n == VW) {
            vf e = K(vexp)(VSUB(VLOAD(row + i), mm));
            VSTORE(row + i, e);
            s = VADD(s, e);
        } else {
            VSTOREN(row + i, K(vexp)(VSUB(VLOADN(row + i, n), mm)), n);
            for (int j = 0; j < n; j++) tail += row[i + j];
        }
    }
    float total = VHSUM(s) + tail;
    const vf inv = VSET1(1.0f / total);
    for (i = 0; i < count; i += VW) {
        int n = count - i < VW ? (int)(count - i) : VW;
        if (n == VW) VSTORE(row + i, VMUL(VLOAD(row + i), inv));
        else VSTOREN(row + i, VMUL(VLOADN(row + i, n), inv), n);
    }
    return m + logf(total);
}

// ---- LSTM (LSTMCell.swift: gates i f g o, PyTorch layout) --------------------------------------

/// gates (4H): the input projection on entry, the activated gates on exit; rec (4H) = h·W_hhᵀ.
KF void K(nmt_lstm_forward_row)(int64_t H, const float *bias, float *gates, const float *rec, const float *c,
                                 float *c_new, float *c_out, float *tanh_c_out, float *h, float *h_out, float *out) {
    float *gi = gates, *gf = gates + H, *gg = gates + 2 * H, *go = gates + 3 * H;
    for (int64_t j = 0; j < H; j += VW) {
        int n = H - j < VW ? (int)(H - j) : VW;
#define L(p) (n == VW ? VLOAD(p) : VLOADN((p), n))
#define S(p, v) (n == VW ? VSTORE((p), (v)) : VSTOREN((p), (v), n))
        vf i = K(vsigmoid)(VADD(VADD(L(gi + j), L(rec + j)), L(bias + j)));
        vf f = K(vsigmoid)(VADD(VADD(L(gf + j), L(rec + H + j)), L(bias + H + j)));
        vf g = K(vtanh)(VADD(VADD(L(gg + j), L(rec + 2 * H + j)), L(bias + 2 * H + j)));
        vf o = K(vsigmoid)(VADD(VADD(L(go + j), L(rec + 3 * H + j)), L(bias + 3 * H + j)));
        S(gi + j, i); S(gf + j, f); S(gg + j, g); S(go + j, o);
        vf cn = VFMA(f, L(c + j), VMUL(i, g));
        vf tc = K(vtanh)(cn);
        vf hn = VMUL(o, tc);
        S(c_new + j, cn); S(c_out + j, cn); S(tanh_c_out + j, tc);
        S(h + j, hn); S(h_out + j, hn); S(out + j, hn);
    }
}

/// dh, dc: ∂L/∂h' (without d_out, added here) and ∂L/∂c' on entry; 0 and ∂L/∂c on exit.
KF void K(nmt_lstm_backward_row)(int64_t H, const float *gates, const float *tanh_c, const float *c_prev,
                                  const float *d_out, float *dh, float *dc, float *d_gates) {
    const float *gi = gates, *gf = gates + H, *gg = gates + 2 * H, *go = gates + 3 * H;
    const vf one = VSET1(1.0f);
    for (int64_t j = 0; j < H; j += VW) {
        int n = H - j < VW ? (int)(H - j) : VW;
        vf dhv = L(dh + j);
        if (d_out) dhv = VADD(dhv, L(d_out + j));
        vf i = L(gi + j), f = L(gf + j), g = L(gg + j), o = L(go + j), tc = L(tanh_c + j);
        vf dct = VFMA(VMUL(dhv, o), VFNMA(tc, tc, one), L(dc + j));
        S(d_gates + j, VMUL(VMUL(VMUL(dct, g), i), VSUB(one, i)));
        S(d_gates + H + j, VMUL(VMUL(VMUL(dct, L(c_prev + j)), f), VSUB(one, f)));
        S(d_gates + 2 * H + j, VMUL(VMUL(dct, i), VFNMA(g, g, one)));
        S(d_gates + 3 * H + j, VMUL(VMUL(VMUL(dhv, tc), o), VSUB(one, o)));
        S(dc + j, VMUL(dct, f));
        S(dh + j, VZERO());
    }
}

// ---- GRU (GRUCell.swift: gates r z n, reset after the recurrent product) -----------------------

/// proj (3H) = x·W_ihᵀ + b_ih; rec (3H) = h·W_hhᵀ; cache (4H) ← [r | z | n | hn].
KF void K(nmt_gru_forward_row)(int64_t H, const float *b_hh, const float *proj, const float *rec, const float *h_prev,
                                float *h_next, float *h_saved, float *cache, float *out) {
    for (int64_t j = 0; j < H; j += VW) {
        int n = H - j < VW ? (int)(H - j) : VW;
        vf r = K(vsigmoid)(VADD(VADD(L(proj + j), L(rec + j)), L(b_hh + j)));
        vf z = K(vsigmoid)(VADD(VADD(L(proj + H + j), L(rec + H + j)), L(b_hh + H + j)));
        vf hn = VADD(L(rec + 2 * H + j), L(b_hh + 2 * H + j));
        vf nn = K(vtanh)(VFMA(r, hn, L(proj + 2 * H + j)));
        vf h = L(h_prev + j);
        vf h_new = VFMA(z, VSUB(h, nn), nn);
        S(h_next + j, h_new); S(h_saved + j, h_new); S(out + j, h_new);
        S(cache + j, r); S(cache + H + j, z); S(cache + 2 * H + j, nn); S(cache + 3 * H + j, hn);
    }
}

/// dh: ∂L/∂h' without d_out on entry, d ⊙ z on exit; dx (3H) = [da_r | da_z | da_n],
/// dhp (3H) = [da_r | da_z | da_n ⊙ r].
KF void K(nmt_gru_backward_row)(int64_t H, const float *cache, const float *h_prev, const float *d_out, float *dh,
                                 float *dx, float *dhp) {
    const vf one = VSET1(1.0f);
    for (int64_t j = 0; j < H; j += VW) {
        int n = H - j < VW ? (int)(H - j) : VW;
        vf d = L(dh + j);
        if (d_out) d = VADD(d, L(d_out + j));
        vf r = L(cache + j), z = L(cache + H + j), nn = L(cache + 2 * H + j), hn = L(cache + 3 * H + j);
        vf h = L(h_prev + j);
        vf dan = VMUL(VMUL(d, VSUB(one, z)), VFNMA(nn, nn, one));
        vf dar = VMUL(VMUL(VMUL(dan, hn), r), VSUB(one, r));
        vf daz = VMUL(VMUL(VMUL(d, VSUB(h, nn)), z), VSUB(one, z));
        S(dx + j, dar); S(dx + H + j, daz); S(dx + 2 * H + j, dan);
        S(dhp + j, dar); S(dhp + H + j, daz); S(dhp + 2 * H + j, VMUL(dan, r));
        S(dh + j, VMUL(d, z));
    }
}
#undef L
#undef S

// ---- layer normalisation, one row (LayerNorm.swift) ---------------------------------------------

#define L(p) (n == VW ? VLOAD(p) : VLOADN((p), n))
#define S(p, v) (n == VW ? VSTORE((p), (v)) : VSTOREN((p), (v), n))

/// x̂ = (x − mean)·rstd with rstd = 1/sqrt(var + eps) (biased variance, two passes), y = g ⊙ x̂
/// (+ b when b is not NULL); x̂ into nr (G), rstd into *rstd_out. y may be x. The lanes' sums are
/// added in double.
KF void K(nmt_layer_norm_row)(int64_t G, const float *x, const float *g, const float *b, float eps, float *y,
                               float *nr, float *rstd_out) {
    vf sv = VZERO();
    int64_t j = 0;
    for (; j + VW <= G; j += VW) sv = VADD(sv, VLOAD(x + j));
    double sum = (double)VHSUM(sv);
    for (int64_t k = j; k < G; k++) sum += (double)x[k];
    const float mean = (float)(sum / (double)G);
    const vf mv = VSET1(mean);
    vf qv = VZERO();
    for (j = 0; j + VW <= G; j += VW) {
        vf d = VSUB(VLOAD(x + j), mv);
        qv = VFMA(d, d, qv);
    }
    double sq = (double)VHSUM(qv);
    for (int64_t k = j; k < G; k++) { double d = (double)(x[k] - mean); sq += d * d; }
    const float r = (float)(1.0 / sqrt(sq / (double)G + (double)eps));
    *rstd_out = r;
    const vf rv = VSET1(r);
    for (j = 0; j < G; j += VW) {
        int n = G - j < VW ? (int)(G - j) : VW;
        vf xh = VMUL(VSUB(L(x + j), mv), rv);
        S(nr + j, xh);
        vf out = VMUL(L(g + j), xh);
        if (b) out = VADD(out, L(b + j));
        S(y + j, out);
    }
}

/// dx = rstd·(dx̂ − mean(dx̂) − x̂·mean(dx̂ ⊙ x̂)) with dx̂ = dy ⊙ g; dg += dy ⊙ x̂, db += dy (when
/// db is not NULL). dx may be dy.
KF void K(nmt_layer_norm_backward_row)(int64_t G, const float *dy, const float *g, const float *nr, float rstd,
                                        float *dx, float *dg, float *db) {
    vf s1 = VZERO(), s2 = VZERO();
    for (int64_t j = 0; j < G; j += VW) {
        int n = G - j < VW ? (int)(G - j) : VW;
        vf d = L(dy + j), xh = L(nr + j);
        vf dn = VMUL(d, L(g + j));
        s1 = VADD(s1, dn);
        s2 = VFMA(dn, xh, s2);
        S(dg + j, VFMA(d, xh, L(dg + j)));
        if (db) S(db + j, VADD(L(db + j), d));
    }
    const vf m1 = VSET1((float)((double)VHSUM(s1) / (double)G));
    const vf m2 = VSET1((float)((double)VHSUM(s2) / (double)G));
    const vf rv = VSET1(rstd);
    for (int64_t j = 0; j < G; j += VW) {
        int n = G - j < VW ? (int)(G - j) : VW;
        vf dn = VMUL(L(dy + j), L(g + j));
        S(dx + j, VMUL(rv, VFNMA(L(nr + j), m2, VSUB(dn, m1))));
    }
}
#undef L
#undef S

// ---- softmax cross-entropy with label smoothing, one row (Loss.swift) -----------------------------

/// Writes lse = log Σ exp(z), Σ z (Double) and z_y; when `write`, row ← scale·(p − q) with
/// q = off everywhere and 1 − ε at y (`gold_extra` = scale·(1 − ε − off)).
KF void K(nmt_xent_row)(float *row, int64_t V, int64_t y, float off_scaled, float scale, float gold_extra, int write,
                         double *lse, double *sum_z, double *z_y) {
    vf mv = VSET1(-__builtin_inff()), sv = VZERO();
    int64_t k = 0;
    for (; k + VW <= V; k += VW) {
        vf z = VLOAD(row + k);
        mv = VMAX(mv, z);
        sv = VADD(sv, z);
    }
    float m = VHMAX(mv);
    double sz = (double)VHSUM(sv);
    for (; k < V; k++) { m = row[k] > m ? row[k] : m; sz += row[k]; }
    *z_y = row[y];
    *sum_z = sz;
    const vf mb = VSET1(m);
    vf ev = VZERO();
    float tail = 0;
    for (k = 0; k + VW <= V; k += VW) {
        vf e = K(vexp)(VSUB(VLOAD(row + k), mb));
        if (write) VSTORE(row + k, e);
        ev = VADD(ev, e);
    }
    if (k < V) {
        int n = (int)(V - k);
        float t[VW];
        VSTORE(t, K(vexp)(VSUB(VLOADN(row + k, n), mb)));
        for (int j = 0; j < n; j++) { tail += t[j]; if (write) row[k + j] = t[j]; }
    }
    float total = VHSUM(ev) + tail;
    *lse = (double)m + log((double)total);
    if (!write) return;
    const vf a = VSET1(scale / total), bq = VSET1(off_scaled);
    for (k = 0; k < V; k += VW) {
        int n = V - k < VW ? (int)(V - k) : VW;
        if (n == VW) VSTORE(row + k, VFNMA(VSET1(1.0f), bq, VMUL(VLOAD(row + k), a)));
        else VSTOREN(row + k, VSUB(VMUL(VLOADN(row + k, n), a), bq), n);
    }
    row[y] -= gold_extra;
}

// ---- additive attention scores (Attention.swift) --------------------------------------------------

/// score_j = Σ_i v_i · tanh(q_i + k_{j,i}) for the len keys k_j = keys + j·key_stride.
KF void K(nmt_attention_scores)(int64_t A, const float *v, const float *q, const float *keys, int64_t key_stride,
                                 int64_t len, float *scores) {
    for (int64_t j = 0; j < len; j++) {
        const float *k = keys + j * key_stride;
        vf acc = VZERO();
        int64_t i = 0;
        for (; i + VW <= A; i += VW) acc = VFMA(VLOAD(v + i), K(vtanh)(VADD(VLOAD(q + i), VLOAD(k + i))), acc);
        if (i < A) {
            int n = (int)(A - i);
            acc = VFMA(VLOADN(v + i, n), K(vtanh)(VADD(VLOADN(q + i, n), VLOADN(k + i, n))), acc);
        }
        scores[j] = VHSUM(acc);
    }
}

/// Backward of the scores given ds_j = ∂L/∂score_j: for every j with ds_j ≠ 0, with t = tanh(q + k_j):
/// dv += ds_j·t, dq += ds_j·v⊙(1 − t²), dk_j += the same.
KF void K(nmt_attention_scores_backward)(int64_t A, const float *v, const float *q, const float *keys, int64_t key_stride,
                                          float *dkeys, int64_t dkey_stride, int64_t len, const float *ds, float *dv, float *dq) {
    const vf one = VSET1(1.0f);
    for (int64_t j = 0; j < len; j++) {
        if (ds[j] == 0) continue;
        const float *k = keys + j * key_stride;
        float *dk = dkeys + j * dkey_stride;
        const vf d = VSET1(ds[j]);
        for (int64_t i = 0; i < A; i += VW) {
            int n = A - i < VW ? (int)(A - i) : VW;
#define L(p) (n == VW ? VLOAD(p) : VLOADN((p), n))
#define S(p, x) (n == VW ? VSTORE((p), (x)) : VSTOREN((p), (x), n))
            vf t = K(vtanh)(VADD(L(q + i), L(k + i)));
            vf dpre = VMUL(VMUL(d, L(v + i)), VFNMA(t, t, one));
            S(dv + i, VFMA(d, t, L(dv + i)));
            S(dq + i, VADD(L(dq + i), dpre));
            S(dk + i, VADD(L(dk + i), dpre));
#undef L
#undef S
        }
    }
}

/// out = Σ_j w_j · row_j over len rows of width C (row_j = rows + j·stride).
KF void K(nmt_weighted_row_sum)(int64_t C, int64_t len, const float *w, const float *rows, int64_t stride, float *out) {
    for (int64_t i = 0; i < C; i += VW) {
        int n = C - i < VW ? (int)(C - i) : VW;
        vf acc = VZERO();
        if (n == VW) {
            for (int64_t j = 0; j < len; j++) acc = VFMA(VSET1(w[j]), VLOAD(rows + j * stride + i), acc);
            VSTORE(out + i, acc);
        } else {
            for (int64_t j = 0; j < len; j++) acc = VFMA(VSET1(w[j]), VLOADN(rows + j * stride + i, n), acc);
            VSTOREN(out + i, acc, n);
        }
    }
}

/// out_j = row_j · x for len rows of width C (row_j = rows + j·stride).
KF void K(nmt_row_dots)(int64_t C, int64_t len, const float *rows, int64_t stride, const float *x, float *out) {
    for (int64_t j = 0; j < len; j++) {
        const float *r = rows + j * stride;
        vf acc = VZERO();
        int64_t i = 0;
        for (; i + VW <= C; i += VW) acc = VFMA(VLOAD(r + i), VLOAD(x + i), acc);
        if (i < C) acc = VFMA(VLOADN(r + i, (int)(C - i)), VLOADN(x + i, (int)(C - i)), acc);
        out[j] = VHSUM(acc);
    }
}

/// row ← row − log Σ exp(row) (count > 0).
KF void K(nmt_log_softmax)(float *row, int64_t count) {
    const float m = K(vrowmax)(row, count);
    int64_t i;
    const vf mm = VSET1(m);
    vf s = VZERO();
    float tail = 0;
    for (i = 0; i + VW <= count; i += VW) s = VADD(s, K(vexp)(VSUB(VLOAD(row + i), mm)));
    if (i < count) {
        int n = (int)(count - i);
        float t[VW];
        VSTORE(t, K(vexp)(VSUB(VLOADN(row + i, n), mm)));
        for (int j = 0; j < n; j++) tail += t[j];
    }
    const vf l = VSET1(m + logf(VHSUM(s) + tail));
    for (i = 0; i < count; i += VW) {
        int n = count - i < VW ? (int)(count - i) : VW;
        if (n == VW) VSTORE(row + i, VSUB(VLOAD(row + i), l));
        else VSTOREN(row + i, VSUB(VLOADN(row + i, n), l), n);
    }
}

// ---- Adam (Adam.swift) -------------------------------------------------------------------------

KF void K(nmt_adam)(float *w, const float *g, float *m, float *v, int64_t count, float beta1, float beta2,
                     float step_size, float inv_sqrt_bc2, float epsilon, float decay) {
    const vf b1 = VSET1(beta1), b2 = VSET1(beta2), ob1 = VSET1(1 - beta1), ob2 = VSET1(1 - beta2);
    const vf st = VSET1(step_size), inv = VSET1(inv_sqrt_bc2), eps = VSET1(epsilon), dec = VSET1(decay);
    for (int64_t i = 0; i < count; i += VW) {
        int n = count - i < VW ? (int)(count - i) : VW;
        vf gi = n == VW ? VLOAD(g + i) : VLOADN(g + i, n);
        vf mi = VFMA(b1, n == VW ? VLOAD(m + i) : VLOADN(m + i, n), VMUL(ob1, gi));
        vf vi_ = VFMA(b2, n == VW ? VLOAD(v + i) : VLOADN(v + i, n), VMUL(VMUL(ob2, gi), gi));
        vf wi = n == VW ? VLOAD(w + i) : VLOADN(w + i, n);
        if (decay != 1) wi = VMUL(wi, dec);
        wi = VSUB(wi, VDIV(VMUL(st, mi), VFMA(VSQRT(vi_), inv, eps)));
        if (n == VW) { VSTORE(m + i, mi); VSTORE(v + i, vi_); VSTORE(w + i, wi); }
        else { VSTOREN(m + i, mi, n); VSTOREN(v + i, vi_, n); VSTOREN(w + i, wi, n); }
    }
}
