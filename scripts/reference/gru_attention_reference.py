#!/usr/bin/env python3
"""Expected values for Tests/NMTModelTests/{GRU,Attention,Loss,Decoder}Tests.swift (the
"reference" tests): an independent float64 numpy implementation of the decoder side.

Every tensor is filled from a deterministic formula, so the Swift tests build the same numbers
without data files: element i (row-major) of the tensor with key k is

    det(i, k) = float32(0.5 * sin(0.37 * i + 0.71 * k))      (times a stated scale)

Definitions (must match the Swift code):
  GRU (PyTorch, gate order r, z, n):  r = σ(W_ir x + b_ir + W_hr h + b_hr),
      z = σ(W_iz x + b_iz + W_hz h + b_hz), n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn)),
      h' = (1 − z) ⊙ n + z ⊙ h.
  Attention: K = encOut U_kᵀ + b (time-major rows j·B + s), q = s W_qᵀ,
      score_j = v · tanh(q + K_j) for j < srcLen, softmax over those, α_j = 0 beyond; c = Σ α_j h_j.
  Loss (label smoothing ε, fairseq): target q = 1 − ε on gold, ε/(V−1) on every other token;
      loss = −Σ q log p; nll = −log p_gold; padding rows (gold 0) skipped; grad = scale·(p − q).
  Decoder: x_t = [e_t ; c_{t−1}] (c_{−1} = 0), s_t = GRU(x_t, s_{t−1}), (α_t, c_t) = attn(s_t),
      o_t = tanh(W_o [s_t ; c_t] + b_o); rows with t ≥ tgtLen carry s and output o = 0.

Run: python3 scripts/reference/gru_attention_reference.py
"""
import numpy as np


def det(shape, k, scale=1.0):
    n = int(np.prod(shape))
    i = np.arange(n, dtype=np.float64)
    v = (0.5 * np.sin(0.37 * i + 0.71 * k)).astype(np.float32) * np.float32(scale)
    return v.astype(np.float64).reshape(shape)


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def gru_step(W_ih, W_hh, b_ih, b_hh, x, h):
    H = h.shape[1]
    gi = x @ W_ih.T + b_ih
    gh = h @ W_hh.T + b_hh
    r = sigmoid(gi[:, :H] + gh[:, :H])
    z = sigmoid(gi[:, H:2 * H] + gh[:, H:2 * H])
    n = np.tanh(gi[:, 2 * H:] + r * gh[:, 2 * H:])
    return (1 - z) * n + z * h


def attention(W_q, U_k, b, v, s, enc, lens):
    B = s.shape[0]
    Tx = enc.shape[0] // B
    K = enc @ U_k.T + b
    q = s @ W_q.T
    alpha = np.zeros((B, Tx))
    ctx = np.zeros((B, enc.shape[1]))
    for bi in range(B):
        L = lens[bi]
        sc = np.array([v @ np.tanh(q[bi] + K[j * B + bi]) for j in range(L)])
        e = np.exp(sc - sc.max())
        alpha[bi, :L] = e / e.sum()
        for j in range(L):
            ctx[bi] += alpha[bi, j] * enc[j * B + bi]
    return alpha, ctx


def loss(logits, targets, eps, scale):
    N, V = logits.shape
    total = nll = 0.0
    tokens = 0
    grad = np.zeros_like(logits)
    for i in range(N):
        y = targets[i]
        if y == 0:
            continue
        z = logits[i]
        lse = z.max() + np.log(np.exp(z - z.max()).sum())
        logp = z - lse
        q = np.full(V, eps / (V - 1))
        q[y] = 1 - eps
        total += -(q * logp).sum()
        nll += -logp[y]
        tokens += 1
        grad[i] = scale * (np.exp(logp) - q)
    return total, nll, tokens, grad


def fmt(name, a):
    a = np.asarray(a, dtype=np.float64).ravel()
    print(f"{name}: [" + ", ".join(f"{x:.9g}" for x in a) + "]")


# 1. GRU step: B=2, In=3, H=3.
W_ih, W_hh, b_ih, b_hh = det((9, 3), 0), det((9, 3), 1), det((9,), 2), det((9,), 3)
x, h = det((2, 3), 4, 2.0), det((2, 3), 5, 2.0)
fmt("gru_h", gru_step(W_ih, W_hh, b_ih, b_hh, x, h))

# 2. Attention: Bs=2, Tx=3, srcLen [3, 2], Hd=3, C=4, A=2.
alpha, ctx = attention(det((2, 3), 10, 2.0), det((2, 4), 11, 2.0), det((2,), 12), det((2,), 13, 4.0),
                       det((2, 3), 14, 2.0), det((6, 4), 15, 2.0), [3, 2])
fmt("attn_alpha", alpha)
fmt("attn_context", ctx)

# 3. Loss: N=3, V=5, targets [2, 0 (padding), 4], ε = 0.1, scale 0.5.
total, nll, tokens, grad = loss(det((3, 5), 20, 4.0), [2, 0, 4], 0.1, 0.5)
fmt("loss_sum", [total])
fmt("loss_nll", [nll])
print("loss_tokens:", tokens)
fmt("loss_grad", grad)

# 4. Decoder, 2 steps: B=2, Tx=3, srcLen [3, 2], Ty=2, tgtLen [2, 1], E=3, C=4, Hd=3, A=2, P=3.
B, E, C, H, P = 2, 3, 4, 3, 3
g = dict(W_ih=det((9, E + C), 30), W_hh=det((9, H), 31), b_ih=det((9,), 32), b_hh=det((9,), 33))
a = dict(W_q=det((2, H), 34, 2.0), U_k=det((2, C), 35, 2.0), b=det((2,), 36), v=det((2,), 37, 4.0))
W_o, b_o = det((P, H + C), 38), det((P,), 39)
emb, enc, s = det((4, E), 40, 2.0), det((6, C), 41, 2.0), det((B, H), 42)
src, tgt = [3, 2], [2, 1]
c = np.zeros((B, C))
outs, alphas = [], []
for t in range(2):
    xt = np.concatenate([emb[t * B:(t + 1) * B], c], axis=1)
    s_new = gru_step(g["W_ih"], g["W_hh"], g["b_ih"], g["b_hh"], xt, s)
    al, c_new = attention(a["W_q"], a["U_k"], a["b"], a["v"], s_new, enc, src)
    act = np.array([t < tgt[b] for b in range(B)])[:, None]
    s = np.where(act, s_new, s)
    c = np.where(act, c_new, 0.0)
    o = np.tanh(np.concatenate([s, c], axis=1) @ W_o.T + b_o) * act
    outs.append(o)
    alphas.append(np.where(act, al, 0.0))
fmt("dec_o", np.concatenate(outs))
fmt("dec_alpha", np.concatenate(alphas))
