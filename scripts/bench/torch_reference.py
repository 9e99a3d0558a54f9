#!/usr/bin/env python3
"""swift-nmt's Seq2Seq model in PyTorch, written to be as fast as eager PyTorch allows on CPU.

It is the speed yardstick of issue 6 and, through scripts/reference/model_reference.py (which
imports `Seq2SeqTorch` from here), an independent numeric reference of the composed model.

The model (Sources/NMTModel/Seq2Seq.swift, Decoder.swift, Layers/*.swift), time-major:

  src (Tx, B) ─ Embedding(Vs, E, padding_idx 0) ─ dropout p ─► nn.LSTM(E, H, L layers,
      bidirectional, dropout p between layers) ─► enc (Tx, B, 2H), h_n
  s0   = tanh(bridge([h_fwd ; h_bwd] of the top layer))                     (B, Hd)
  keys = enc·U_kᵀ + b                         once per batch                 (B, Tx, A)
  tgt_in (Ty, B) ─ Embedding(Vt, E, padding_idx 0) ─ dropout p ─► e (Ty, B, E)
  for t: x_t = [e_t ; c_{t−1}] (c_{−1} = 0)   s_t = GRUCell(x_t, s_{t−1})  (gate order r, z, n,
         n = tanh(W_in x + b_in + r ⊙ (W_hn s + b_hn)), PyTorch's)
         score_j = v·tanh(W_q s_t + keys_j)   masked softmax over the real source positions
         c_t = Σ_j α_j enc_j
  o      = dropout(tanh(W_o [s ; c] + b_o))   all Ty·B rows after the loop   (Ty·B, P)
  logits = generator(o)                       all Ty·B rows at once           (Ty·B, V)
  loss   = label-smoothed cross-entropy, padding (id 0) ignored, mean over target tokens.

Label smoothing: swift-nmt (fairseq) puts 1 − ε on the gold token and ε/(V−1) on each other
token; PyTorch's `label_smoothing=ε'` puts 1 − ε' + ε'/V on gold and ε'/V on every token. The two
are the same distribution when ε' = ε·V/(V−1) (then ε'/V = ε/(V−1) and 1 − ε' + ε'/V = 1 − ε), so
this script passes ε·V/(V−1) and computes exactly swift-nmt's loss (for timing it would not matter).

LSTM biases: swift-nmt has one bias b (4H) per direction = PyTorch's bias_ih; bias_hh is kept at 0
(`--load-safetensors` zeroes it; in `train` it is a trainable parameter like in any nn.LSTM —
a (4H) add per step, irrelevant for speed).

Modes
  train   warm-up + timed Adam steps (lr 1e-3, global-norm clipping 5) on a synthetic batch; prints
          JSON with target tokens/s, ms/step, achieved GFLOP/s and peak RSS.
  decode  greedy and beam-5 decoding of N synthetic sentences (lengths 8–20, as Multi30k test),
          batched (64 sentences, sorted by length like swift-nmt's Translator) and one at a time;
          with random weights EOS is never reliable, so every sentence is decoded to a FIXED
          length = source length + 2 (same work for both toolkits); prints JSON.
  eval    loss of the tiny padded test batch (used with --load-safetensors to check a swift-nmt
          model file loads correctly).

FLOP count (`flops_per_target_token`, the table in scripts/bench/README.md; multiply-add = 2 FLOP; the recurrent
encoder and the keys run per source token and are scaled by Tx/Ty):
  output projection   2·P·V                       6.14 M at the reference shape
  decoder GRU         2·3Hd·(E + 2H + Hd)         3.93 M
  encoder BiLSTM      Σ_layers 2·2·4H·(In_k + H)  2.10 M (In_0 = E, In_k = 2H)
  pre-output          2·P·(Hd + 2H)               1.05 M
  attention keys      2·A·2H                      0.52 M
  attention query     2·A·Hd                      0.52 M
  forward ≈ 14.3 M; forward + backward = 3 × forward ≈ 42.8 M per target token.
(Scores/contexts, 2·Tx·(A + 2H) per token, the bridge and the softmax are not counted, as in the table.)

Usage:
  python3 scripts/bench/torch_reference.py train  [--threads 2] [--steps 20] [--warmup 3] ...
  python3 scripts/bench/torch_reference.py decode [--sentences 1000] [--src-file ids.txt] ...
  python3 scripts/bench/torch_reference.py eval --load-safetensors model.safetensors --enc-layers 2 ...
"""
import argparse
import json
import math
import os
import resource
import struct
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

PAD, UNK, BOS, EOS = 0, 1, 2, 3
FIRST_REAL_ID = 5          # ids 0–4 are the specials <pad> <unk> <s> </s> <mask>


class Seq2SeqTorch(nn.Module):
    def __init__(self, src_vocab, tgt_vocab, emb=256, enc_hidden=256, enc_layers=1, dec_hidden=512,
                 attention=512, pre_output=512, dropout=0.3, label_smoothing=0.1, tie=False):
        super().__init__()
        E, H, Hd, A, P, C = emb, enc_hidden, dec_hidden, attention, pre_output, 2 * enc_hidden
        self.E, self.H, self.L, self.Hd, self.A, self.P, self.C = E, H, enc_layers, Hd, A, P, C
        self.Vs, self.Vt = src_vocab, tgt_vocab
        self.p = dropout
        self.eps = label_smoothing
        self.src_emb = nn.Embedding(src_vocab, E, padding_idx=PAD)
        self.tgt_emb = nn.Embedding(tgt_vocab, E, padding_idx=PAD)
        self.encoder = nn.LSTM(E, H, num_layers=enc_layers, bidirectional=True,
                               dropout=dropout if enc_layers > 1 else 0.0)
        self.bridge = nn.Linear(C, Hd)
        self.gru = nn.GRUCell(E + C, Hd)
        self.W_q = nn.Parameter(torch.empty(A, Hd).uniform_(-Hd ** -0.5, Hd ** -0.5))
        self.U_k = nn.Parameter(torch.empty(A, C).uniform_(-C ** -0.5, C ** -0.5))
        self.attn_b = nn.Parameter(torch.zeros(A))
        self.v = nn.Parameter(torch.empty(A).uniform_(-A ** -0.5, A ** -0.5))
        self.out = nn.Linear(Hd + C, P)
        self.tie = tie
        if tie:   # swift-nmt --tie-embeddings: weight = target embedding, a P → E projection when P ≠ E
            self.gen_proj = nn.Linear(P, E, bias=False) if P != E else None
            self.gen_bias = nn.Parameter(torch.empty(tgt_vocab).uniform_(-E ** -0.5, E ** -0.5))
        else:
            self.generator = nn.Linear(P, tgt_vocab)

    def logits(self, o):
        """The output layer: o (N, P) → (N, V)."""
        if not self.tie:
            return self.generator(o)
        g = self.gen_proj(o) if self.gen_proj is not None else o
        return F.linear(g, self.tgt_emb.weight, self.gen_bias)

    # ---- encoder + bridge -------------------------------------------------------------------
    def encode(self, src, src_len):
        """src (Tx, B) long, src_len (B) long → enc (B, Tx, C), keys (B, Tx, A), mask (B, Tx) True
        at padding, s0 (B, Hd)."""
        Tx, B = src.shape
        x = F.dropout(self.src_emb(src), self.p, self.training)                  # (Tx, B, E)
        if bool((src_len == Tx).all()):
            enc, (h_n, _) = self.encoder(x)                                       # plain: no padding
        else:
            packed = nn.utils.rnn.pack_padded_sequence(x, src_len.cpu(), enforce_sorted=False)
            enc, (h_n, _) = self.encoder(packed)
            enc, _ = nn.utils.rnn.pad_packed_sequence(enc, total_length=Tx)      # 0 at padding
        s0 = torch.tanh(self.bridge(torch.cat([h_n[-2], h_n[-1]], dim=1)))      # (B, Hd)
        enc = enc.transpose(0, 1).contiguous()                                    # (B, Tx, C)
        keys = F.linear(enc, self.U_k, self.attn_b)                               # (B, Tx, A)
        mask = torch.arange(Tx, device=src.device)[None, :] >= src_len[:, None]   # (B, Tx)
        return enc, keys, mask, s0

    def attend(self, s, enc, keys, mask):
        """s (R, Hd) → alpha (R, Tx), context (R, C)."""
        q = F.linear(s, self.W_q)                                                 # (R, A)
        scores = torch.matmul(torch.tanh(q.unsqueeze(1) + keys), self.v)          # (R, Tx)
        alpha = torch.softmax(scores.masked_fill(mask, float("-inf")), dim=1)
        ctx = torch.bmm(alpha.unsqueeze(1), enc).squeeze(1)                       # (R, C)
        return alpha, ctx

    # ---- teacher-forced forward -------------------------------------------------------------
    def forward(self, src, src_len, tgt_in, split_gru=True):
        """→ o (Ty, B, P) after dropout, plus (states, contexts, alphas) (Ty, B, ·)."""
        Ty, B = tgt_in.shape
        enc, keys, mask, s = self.encode(src, src_len)
        e = F.dropout(self.tgt_emb(tgt_in), self.p, self.training)                # (Ty, B, E)
        E, Hd = self.E, self.Hd
        w_ih, w_hh, b_ih, b_hh = self.gru.weight_ih, self.gru.weight_hh, self.gru.bias_ih, self.gru.bias_hh
        c = enc.new_zeros(B, self.C)
        states, contexts, alphas = [], [], []
        if split_gru:
            # Embedding part of every step's input projection in one gemm (Marian/swift-nmt split).
            gi_e = F.linear(e, w_ih[:, :E], b_ih)                                 # (Ty, B, 3Hd)
            w_c = w_ih[:, E:]
            for t in range(Ty):
                gi = gi_e[t] if t == 0 else torch.addmm(gi_e[t], c, w_c.t())
                gh = torch.addmm(b_hh, s, w_hh.t())
                i_r, i_z, i_n = gi.chunk(3, 1)
                h_r, h_z, h_n = gh.chunk(3, 1)
                r = torch.sigmoid(i_r + h_r)
                z = torch.sigmoid(i_z + h_z)
                n = torch.tanh(torch.addcmul(i_n, r, h_n))
                s = torch.lerp(n, s, z)                                            # (1−z)·n + z·s
                alpha, c = self.attend(s, enc, keys, mask)
                states.append(s); contexts.append(c); alphas.append(alpha)
        else:
            for t in range(Ty):
                s = self.gru(torch.cat([e[t], c], dim=1), s)
                alpha, c = self.attend(s, enc, keys, mask)
                states.append(s); contexts.append(c); alphas.append(alpha)
        S = torch.stack(states)                                                   # (Ty, B, Hd)
        Cx = torch.stack(contexts)                                                # (Ty, B, C)
        o = torch.tanh(self.out(torch.cat([S, Cx], dim=2)))                       # (Ty, B, P)
        o = F.dropout(o, self.p, self.training)
        return o, (S, Cx, torch.stack(alphas))

    def loss(self, o, tgt_out):
        """Σ-over-tokens smoothed loss / tokens, and the token count (swift-nmt's smoothing, see top)."""
        V = self.Vt
        logits = self.logits(o.reshape(-1, self.P))                               # (Ty·B, V)
        tgt = tgt_out.reshape(-1)
        tokens = int((tgt != PAD).sum())
        eps_torch = self.eps * V / (V - 1)
        loss = F.cross_entropy(logits, tgt, ignore_index=PAD, label_smoothing=eps_torch, reduction="sum")
        return loss / max(tokens, 1), tokens, logits

    # ---- decoding ----------------------------------------------------------------------------
    def _step(self, prev, s, c, enc, keys, mask):
        s = self.gru(torch.cat([self.tgt_emb(prev), c], dim=1), s)
        _, c = self.attend(s, enc, keys, mask)
        o = torch.tanh(self.out(torch.cat([s, c], dim=1)))
        return self.logits(o), s, c

    def greedy(self, src, src_len, out_len):
        """src (Tx, B) with src_len sorted descending, out_len (B) non-increasing python ints.
        Decodes exactly out_len[b] tokens for sentence b. → list of token lists."""
        B = src.shape[1]
        enc, keys, mask, s = self.encode(src, src_len)
        c = enc.new_zeros(B, self.C)
        prev = torch.full((B,), BOS, dtype=torch.long)
        cols = []
        nb = B
        for t in range(out_len[0]):
            while out_len[nb - 1] <= t:
                nb -= 1
            if nb < s.shape[0]:                 # finished sentences are a suffix: drop them
                s, c, prev = s[:nb], c[:nb], prev[:nb]
                enc, keys, mask = enc[:nb], keys[:nb], mask[:nb]
            logits, s, c = self._step(prev, s, c, enc, keys, mask)
            prev = logits.argmax(dim=1)
            cols.append(prev)
        cols = [x.tolist() for x in cols]
        return [[cols[t][b] for t in range(out_len[b])] for b in range(B)]

    def beam(self, src, src_len, out_len, K=5):
        """Batched beam search (top-k over K·V per sentence), fixed output length out_len[b]
        (non-increasing). → best token list per sentence."""
        B = src.shape[1]
        V = self.Vt
        enc, keys, mask, s = self.encode(src, src_len)
        enc = enc.repeat_interleave(K, 0); keys = keys.repeat_interleave(K, 0)
        mask = mask.repeat_interleave(K, 0); s = s.repeat_interleave(K, 0)      # rows b·K + k
        c = enc.new_zeros(B * K, self.C)
        prev = torch.full((B * K,), BOS, dtype=torch.long)
        scores = enc.new_full((B, K), float("-inf")); scores[:, 0] = 0          # one live beam at t = 0
        back, toks = [], []
        nb = B
        for t in range(out_len[0]):
            while out_len[nb - 1] <= t:
                nb -= 1
            if nb * K < s.shape[0]:
                R = nb * K
                s, c, prev, scores = s[:R], c[:R], prev[:R], scores[:nb]
                enc, keys, mask = enc[:R], keys[:R], mask[:R]
            logits, s, c = self._step(prev, s, c, enc, keys, mask)
            cand = (scores.reshape(-1, 1) + torch.log_softmax(logits, dim=1)).view(nb, K * V)
            scores, idx = cand.topk(K, dim=1)                                     # (nb, K)
            beam_of = torch.div(idx, V, rounding_mode="floor")
            tok = idx - beam_of * V
            rows = (torch.arange(nb)[:, None] * K + beam_of).view(-1)
            s, c, prev = s.index_select(0, rows), c.index_select(0, rows), tok.view(-1)
            back.append(beam_of.numpy()); toks.append(tok.numpy())
        out = []
        for b in range(B):                      # best final hypothesis is beam 0 (topk is sorted)
            k, hyp = 0, []
            for t in range(out_len[b] - 1, -1, -1):
                hyp.append(int(toks[t][b, k])); k = int(back[t][b, k])
            out.append(hyp[::-1])
        return out


# ---- swift-nmt parameter names -------------------------------------------------------------------

def swift_param_names(enc_layers, tie=False, projected=False):
    """swift-nmt's parameter names in arena registration order (Seq2Seq.init)."""
    names = ["source_embedding.weight", "target_embedding.weight"]
    for k in range(enc_layers):
        for d in ("fwd", "bwd"):
            names += [f"encoder.l{k}.{d}.W_ih", f"encoder.l{k}.{d}.W_hh", f"encoder.l{k}.{d}.b"]
    names += ["bridge.weight", "bridge.bias",
              "decoder.gru.W_ih", "decoder.gru.W_hh", "decoder.gru.b_ih", "decoder.gru.b_hh",
              "decoder.attn.W_q", "decoder.attn.U_k", "decoder.attn.b", "decoder.attn.v",
              "decoder.out.weight", "decoder.out.bias"]
    if tie:
        names += (["generator_projection.weight"] if projected else []) + ["generator.bias"]
    else:
        names += ["generator.weight", "generator.bias"]
    return names


def swift_to_torch(model, name):
    """The torch tensor a swift-nmt parameter maps to (same shape, PyTorch layout)."""
    fixed = {
        "source_embedding.weight": model.src_emb.weight, "target_embedding.weight": model.tgt_emb.weight,
        "bridge.weight": model.bridge.weight, "bridge.bias": model.bridge.bias,
        "decoder.gru.W_ih": model.gru.weight_ih, "decoder.gru.W_hh": model.gru.weight_hh,
        "decoder.gru.b_ih": model.gru.bias_ih, "decoder.gru.b_hh": model.gru.bias_hh,
        "decoder.attn.W_q": model.W_q, "decoder.attn.U_k": model.U_k, "decoder.attn.b": model.attn_b,
        "decoder.attn.v": model.v, "decoder.out.weight": model.out.weight, "decoder.out.bias": model.out.bias,
    }
    if model.tie:
        fixed["generator.bias"] = model.gen_bias
        if model.gen_proj is not None:
            fixed["generator_projection.weight"] = model.gen_proj.weight
    else:
        fixed["generator.weight"], fixed["generator.bias"] = model.generator.weight, model.generator.bias
    if name in fixed:
        return fixed[name]
    _, layer, d, p = name.split(".")                       # encoder.l{k}.{fwd,bwd}.{W_ih,W_hh,b}
    suffix = layer[1:] + ("_reverse" if d == "bwd" else "")
    return getattr(model.encoder, {"W_ih": "weight_ih_l", "W_hh": "weight_hh_l", "b": "bias_ih_l"}[p] + suffix)


@torch.no_grad()
def load_swift_params(model, tensors):
    """tensors: {swift name: numpy array}. Copies every parameter; LSTM bias_hh := 0; the padding
    rows of the embeddings := 0 (swift-nmt never reads row 0: id 0 embeds to zeros)."""
    for name in swift_param_names(model.L, model.tie, model.tie and model.P != model.E):
        dst = swift_to_torch(model, name)
        src = torch.from_numpy(np.array(tensors[name]))          # a writable copy.to(dst.dtype)
        if tuple(src.shape) != tuple(dst.shape):
            raise ValueError(f"{name}: shape {tuple(src.shape)}, torch expects {tuple(dst.shape)}")
        dst.copy_(src)
    for k in range(model.L):
        for suffix in (str(k), f"{k}_reverse"):
            getattr(model.encoder, "bias_hh_l" + suffix).zero_()
    model.src_emb.weight[PAD].zero_()
    model.tgt_emb.weight[PAD].zero_()


def read_safetensors(path):
    """Minimal F32 safetensors reader (no dependency): {name: numpy array}."""
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n])
    base = 8 + n
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        if info["dtype"] != "F32":
            raise ValueError(f"{name}: dtype {info['dtype']}, expected F32")
        b, e = info["data_offsets"]
        out[name] = np.frombuffer(data[base + b:base + e], dtype="<f4").reshape(info["shape"])
    return out


# ---- FLOPs, data ---------------------------------------------------------------------------------

def flops_per_target_token(a, src_len=None, tgt_len=None):
    """Forward + backward FLOP per target token (scripts/bench/README.md's table; see the module docstring)."""
    E, H, L, Hd, A, P, V = a.emb, a.enc_hidden, a.enc_layers, a.dec_hidden, a.attention, a.pre_output, a.tgt_vocab
    C = 2 * H
    ratio = (src_len or a.src_len) / (tgt_len or a.tgt_len)
    enc = sum(2 * 2 * 4 * H * ((E if k == 0 else C) + H) for k in range(L)) * ratio
    rows = {"output projection": 2 * P * V, "decoder GRU": 2 * 3 * Hd * (E + C + Hd), "encoder BiLSTM": enc,
            "pre-output": 2 * P * (Hd + C), "attention keys": 2 * A * C * ratio, "attention query": 2 * A * Hd}
    return 3 * sum(rows.values()), rows


def build_model(a, dtype=torch.float32):
    m = Seq2SeqTorch(a.src_vocab, a.tgt_vocab, a.emb, a.enc_hidden, a.enc_layers, a.dec_hidden,
                     a.attention, a.pre_output, a.dropout, a.label_smoothing, a.tie_embeddings).to(dtype)
    if a.load_safetensors:
        load_swift_params(m, read_safetensors(a.load_safetensors))
    return m


def cpu_seconds():
    """User + system CPU time of this process (all threads). Next to the wall time it shows
    contention: with 1 thread, cpu ≈ wall on an idle machine; with N threads OpenMP's spinning
    counts as CPU, so cpu/wall near N means the threads ran, far below N means they waited."""
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def peak_rss_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0   # Linux: KiB


def synthetic_train_batch(a, g):
    B, Tx, Ty = a.batch, a.src_len, a.tgt_len
    src = torch.randint(FIRST_REAL_ID, a.src_vocab, (Tx, B), generator=g)
    y = torch.randint(FIRST_REAL_ID, a.tgt_vocab, (Ty - 1, B), generator=g)
    tgt_in = torch.cat([torch.full((1, B), BOS), y])                      # <s> y1 … y_{Ty−1}
    tgt_out = torch.cat([y, torch.full((1, B), EOS)])                     # y1 … y_{Ty−1} </s>
    return src, torch.full((B,), Tx, dtype=torch.long), tgt_in, tgt_out


# ---- modes ---------------------------------------------------------------------------------------

def run_train(a):
    torch.manual_seed(a.seed)
    g = torch.Generator().manual_seed(a.seed)
    model = build_model(a)
    model.train()
    try:
        opt = torch.optim.Adam(model.parameters(), lr=1e-3, fused=True)
        opt_kind = "fused"
    except (RuntimeError, TypeError):
        opt = torch.optim.Adam(model.parameters(), lr=1e-3, foreach=True)
        opt_kind = "foreach"
    batches = [synthetic_train_batch(a, g) for _ in range(4)]
    split = a.gru == "split"

    def step(i):
        src, sl, tin, tout = batches[i % len(batches)]
        opt.zero_grad(set_to_none=True)
        o, _ = model(src, sl, tin, split_gru=split)
        loss, tokens, _ = model.loss(o, tout)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 5.0, foreach=True)
        opt.step()
        return loss.item(), tokens

    for i in range(a.warmup):
        step(i)
    times, tokens_total, losses = [], 0, []
    cpu0 = cpu_seconds()
    t_all = time.perf_counter()
    for i in range(a.steps):
        t0 = time.perf_counter()
        l, tok = step(i)
        times.append(time.perf_counter() - t0)
        tokens_total += tok
        losses.append(l)
    wall = time.perf_counter() - t_all
    cpu = cpu_seconds() - cpu0
    fpt, rows = flops_per_target_token(a)
    tps = tokens_total / wall
    res = {
        "mode": "train", "toolkit": f"pytorch {torch.__version__}", "threads": torch.get_num_threads(),
        "batch": a.batch, "src_len": a.src_len, "tgt_len": a.tgt_len, "enc_layers": a.enc_layers,
        "gru": a.gru, "adam": opt_kind, "steps": a.steps, "warmup": a.warmup,
        "target_tokens_per_s": round(tps, 1),
        "ms_per_step": round(1000 * wall / a.steps, 2),
        "ms_per_step_median": round(1000 * sorted(times)[len(times) // 2], 2),
        "cpu_s_per_step": round(cpu / a.steps, 3),
        "mflop_per_target_token": round(fpt / 1e6, 2),
        "mflop_rows_forward": {k: round(v / 1e6, 3) for k, v in rows.items()},
        "gflop_per_s": round(tps * fpt / 1e9, 1),
        "first_loss": round(losses[0], 4), "last_loss": round(losses[-1], 4),
        "peak_rss_mb": round(peak_rss_mb(), 1),
    }
    print(json.dumps(res, indent=1))


def decode_sources(a):
    if a.src_file:
        with open(a.src_file) as f:
            sents = [[int(x) for x in line.split()] for line in f if line.strip()]
        return sents[:a.sentences] if a.sentences else sents
    rng = np.random.default_rng(a.seed)
    lens = rng.integers(8, 21, size=a.sentences)                         # 8–20 tokens
    return [rng.integers(FIRST_REAL_ID, a.src_vocab, size=n).tolist() for n in lens]


def make_src(sents):
    """sentences sorted by length descending → src (Tx, B), src_len (B), out_len list."""
    B, Tx = len(sents), len(sents[0])
    src = torch.zeros((Tx, B), dtype=torch.long)
    for b, s in enumerate(sents):
        src[:len(s), b] = torch.tensor(s)
    lens = [len(s) for s in sents]
    return src, torch.tensor(lens), [n + 2 for n in lens]


def run_decode(a):
    torch.manual_seed(a.seed)
    model = build_model(a).eval()
    sents = decode_sources(a)
    order = sorted(range(len(sents)), key=lambda i: (-len(sents[i]), i))
    ordered = [sents[i] for i in order]
    N = len(sents)
    out_tokens = sum(len(s) + 2 for s in sents)
    res = {"mode": "decode", "toolkit": f"pytorch {torch.__version__}", "threads": torch.get_num_threads(),
           "sentences": N, "source_tokens": sum(map(len, sents)), "output_tokens": out_tokens,
           "output_length": "source length + 2 (fixed, no EOS)", "beam": a.beam, "batch": a.batch}
    with torch.inference_mode():
        # warm-up (allocator, OpenMP pool)
        model.greedy(*make_src(ordered[:a.batch]))
        model.beam(*make_src(ordered[:8]), K=a.beam)
        for name, fn, bs in (("greedy_batched", "greedy", a.batch), ("greedy_single", "greedy", 1),
                             ("beam_batched", "beam", a.batch), ("beam_single", "beam", 1)):
            pool = ordered
            if bs == 1 and a.single_sentences and a.single_sentences < N:
                pool = ordered[::N // a.single_sentences][:a.single_sentences]   # same length mix
            n = len(pool)
            c0, t0 = cpu_seconds(), time.perf_counter()
            for i in range(0, n, bs):
                chunk = pool[i:i + bs]
                if fn == "greedy":
                    model.greedy(*make_src(chunk))
                else:
                    model.beam(*make_src(chunk), K=a.beam)
            dt, cpu = time.perf_counter() - t0, cpu_seconds() - c0
            res[name] = {"sentences": n, "seconds": round(dt, 3), "cpu_seconds": round(cpu, 3), "sentences_per_s": round(n / dt, 1),
                         "ms_per_sentence": round(1000 * dt / n, 3)}
    res["peak_rss_mb"] = round(peak_rss_mb(), 1)
    print(json.dumps(res, indent=1))


def run_eval(a):
    """Loss of the tiny padded batch of Seq2SeqTests (for checking a loaded swift-nmt model)."""
    model = build_model(a, torch.float64).eval()
    pairs = [([5, 6, 7, 8], [4, 5, 6]), ([6, 5], [7]), ([8, 7, 6], [5, 4])]
    src, sl, tin, tout = padded_batch(pairs)
    with torch.no_grad():
        o, _ = model(src, sl, tin)
        loss, tokens, logits = model.loss(o, tout)
    print(json.dumps({"loss_sum": float(loss) * tokens, "tokens": tokens}))


def padded_batch(pairs):
    """Seq2SeqTests.batch: time-major src (Tx, B), lengths, tgt_in (<s> y…), tgt_out (y… </s>)."""
    B = len(pairs)
    tx = max(len(p[0]) for p in pairs)
    ty = max(len(p[1]) for p in pairs) + 1
    src = torch.zeros((tx, B), dtype=torch.long)
    tin = torch.zeros((ty, B), dtype=torch.long)
    tout = torch.zeros((ty, B), dtype=torch.long)
    for b, (s, y) in enumerate(pairs):
        src[:len(s), b] = torch.tensor(s)
        tin[0, b] = BOS
        for t, i in enumerate(y):
            tin[t + 1, b] = i
            tout[t, b] = i
        tout[len(y), b] = EOS
    return src, torch.tensor([len(p[0]) for p in pairs]), tin, tout


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("mode", choices=["train", "decode", "eval"])
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--batch", type=int, default=64, help="sentences per batch")
    ap.add_argument("--src-len", type=int, default=14)
    ap.add_argument("--tgt-len", type=int, default=14)
    ap.add_argument("--src-vocab", type=int, default=8000)
    ap.add_argument("--tgt-vocab", type=int, default=6000)
    ap.add_argument("--emb", type=int, default=256)
    ap.add_argument("--enc-hidden", type=int, default=256, help="per direction")
    ap.add_argument("--enc-layers", type=int, default=1)
    ap.add_argument("--dec-hidden", type=int, default=512)
    ap.add_argument("--attention", type=int, default=512)
    ap.add_argument("--pre-output", type=int, default=512)
    ap.add_argument("--tie-embeddings", action="store_true", help="output layer = target embedding (swift-nmt --tie-embeddings)")
    ap.add_argument("--dropout", type=float, default=0.3)
    ap.add_argument("--label-smoothing", type=float, default=0.1)
    ap.add_argument("--steps", type=int, default=20, help="timed training steps")
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--gru", choices=["split", "cell"], default="split",
                    help="training decoder: split input projection (one gemm for all embeddings) or nn.GRUCell on [e;c]")
    ap.add_argument("--sentences", type=int, default=1000)
    ap.add_argument("--single-sentences", type=int, default=None,
                    help="one-at-a-time modes: decode only this many (every k-th by length, default: all)")
    ap.add_argument("--src-file", default=None, help="source ids, one sentence per line, space separated")
    ap.add_argument("--beam", type=int, default=5)
    ap.add_argument("--load-safetensors", default=None, help="a swift-nmt model.safetensors")
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    {"train": run_train, "decode": run_decode, "eval": run_eval}[a.mode](a)


if __name__ == "__main__":
    main()
