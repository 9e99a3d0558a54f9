#!/usr/bin/env python3
"""Expected values for Tests/NMTModelTests/TorchReferenceTests.swift: the whole Seq2Seq forward
(embeddings → 2-layer BiLSTM encoder → bridge → GRU decoder with input feeding and additive
attention → pre-output → generator → label-smoothed loss) computed by PyTorch's own modules
(nn.Embedding, nn.LSTM over packed sequences, nn.GRUCell, nn.Linear) in float64.

The model is `Seq2SeqTorch` of scripts/bench/torch_reference.py — the same module the speed
benchmark times, so this check also shows that the benchmark runs the identical model.

Shape: Seq2SeqTests.tinyConfig(layers: 2, dropout: 0): source vocab 9, target vocab 8,
embedding 4, encoder 3 per direction, 2 encoder layers, decoder GRU 4, attention 3, pre-output 5,
label smoothing 0.1, no dropout.

Weights: parameter number k in swift-nmt's registration order (Seq2Seq.init; the list is printed
and checked by the Swift test) at row-major flat index i is

    w(k, i) = float32(1.0 · sin(0.37 · i + 1.7 · k))

(amplitude 1, not smaller: with small weights the attention is almost uniform and the check
would barely see the scores)

mapped to PyTorch as in torch_reference.swift_to_torch: LSTM b → bias_ih, bias_hh = 0; GRU
W_ih/W_hh/b_ih/b_hh → GRUCell weight_ih/weight_hh/bias_ih/bias_hh (gate order r, z, n, both);
the embeddings' row 0 is set to 0 (swift-nmt's id 0 always embeds to zeros).

Batch: Seq2SeqTests.padded = [([5,6,7,8], [4,5,6]), ([6,5], [7]), ([8,7,6], [5,4])]
(target input <s>=2 y…, output y… </s>=3, padded with 0; time-major).

Loss with swift-nmt's smoothing (Loss.swift): q = 1 − ε on gold, ε/(V−1) on each other token,
loss = −Σ_k q_k log p_k, summed over real tokens; nll = Σ −log p_gold. Computed explicitly here and
cross-checked against F.cross_entropy(label_smoothing = ε·V/(V−1)), which is the same distribution.

Run: python3 scripts/reference/model_reference.py
"""
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "bench"))
from torch_reference import (PAD, Seq2SeqTorch, load_swift_params, padded_batch,  # noqa: E402
                             swift_param_names, swift_to_torch)

PAIRS = [([5, 6, 7, 8], [4, 5, 6]), ([6, 5], [7]), ([8, 7, 6], [5, 4])]
EPS = 0.1
AMP = 1.0


def formula(shape, k):
    n = int(np.prod(shape))
    i = np.arange(n, dtype=np.float64)
    return (AMP * np.sin(0.37 * i + 1.7 * k)).astype(np.float32).astype(np.float64).reshape(shape)


def fmt(xs):
    return ", ".join(f"{x:.9g}" for x in xs)


def main():
    torch.set_num_threads(1)
    model = Seq2SeqTorch(9, 8, emb=4, enc_hidden=3, enc_layers=2, dec_hidden=4, attention=3, pre_output=5,
                         dropout=0.0, label_smoothing=EPS).double().eval()
    names = swift_param_names(2)
    tensors = {n: formula(tuple(swift_to_torch(model, n).shape), k) for k, n in enumerate(names)}
    load_swift_params(model, tensors)

    src, src_len, tin, tout = padded_batch(PAIRS)
    Ty, B = tin.shape
    with torch.no_grad():
        o, (S, Cx, alpha) = model(src, src_len, tin, split_gru=False)   # nn.GRUCell path
        o2, (S2, _, _) = model(src, src_len, tin, split_gru=True)       # the benchmark's split path
        assert torch.allclose(o, o2, rtol=1e-12, atol=1e-13) and torch.allclose(S, S2, rtol=1e-12, atol=1e-13)
        cross, tokens, logits = model.loss(o, tout)
        logp = torch.log_softmax(logits, dim=1)                          # (Ty·B, V)
    V = logits.shape[1]
    tgt = tout.reshape(-1)
    real = tgt != PAD
    lp_gold = logp[torch.arange(len(tgt)), tgt][real]
    lp_sum = logp.sum(dim=1)[real]
    loss = float((-(1 - EPS) * lp_gold - EPS / (V - 1) * (lp_sum - lp_gold)).sum())
    nll = float((-lp_gold).sum())
    assert abs(loss - float(cross) * tokens) < 1e-10 * abs(loss), (loss, float(cross) * tokens)

    tgt_len = [len(p[1]) + 1 for p in PAIRS]
    rows = [t * B + b for t in range(Ty) for b in range(B) if t < tgt_len[b]]   # active rows, time-major
    Sf, Cf, Af = S.reshape(Ty * B, -1), Cx.reshape(Ty * B, -1), alpha.reshape(Ty * B, -1)

    print("// python3 scripts/reference/model_reference.py")
    print(f"static let names = [{', '.join(chr(34) + n + chr(34) for n in names)}]")
    print(f"static let shapes: [[Int]] = [{', '.join(str(list(swift_to_torch(model, n).shape)) for n in names)}]")
    print(f"static let lossSum = {loss:.12g}")
    print(f"static let nllSum = {nll:.12g}")
    print(f"static let tokens = {tokens}")
    print(f"static let activeRows = [{', '.join(map(str, rows))}]")
    print(f"// decoder states s_t (Ty·B, Hd) at the active rows, row-major")
    print(f"static let states: [Double] = [{fmt(Sf[rows].reshape(-1).tolist())}]")
    print(f"// contexts c_t (Ty·B, 2H) at the active rows")
    print(f"static let contexts: [Double] = [{fmt(Cf[rows].reshape(-1).tolist())}]")
    print(f"// attention weights (Ty·B, Tx) at the active rows")
    print(f"static let attention: [Double] = [{fmt(Af[rows].reshape(-1).tolist())}]")
    tied_loss()


def tied_loss():
    """The same shape with --tie-embeddings (P = 5 ≠ E = 4: a projection without bias, then the
    target embedding as the output weight): loss and nll sums, and the parameter names in
    swift-nmt's order. The target embedding's row 0 is 0 here (load_swift_params), so the Swift
    test zeroes it too (as the output layer's <pad> row it is read)."""
    model = Seq2SeqTorch(9, 8, emb=4, enc_hidden=3, enc_layers=2, dec_hidden=4, attention=3, pre_output=5,
                         dropout=0.0, label_smoothing=EPS, tie=True).double().eval()
    names = swift_param_names(2, tie=True, projected=True)
    tensors = {n: formula(tuple(swift_to_torch(model, n).shape), k) for k, n in enumerate(names)}
    load_swift_params(model, tensors)
    src, src_len, tin, tout = padded_batch(PAIRS)
    with torch.no_grad():
        o, _ = model(src, src_len, tin)
        cross, tokens, logits = model.loss(o, tout)
        logp = torch.log_softmax(logits, dim=1)
    tgt = tout.reshape(-1)
    real = tgt != PAD
    nll = float((-logp[torch.arange(len(tgt)), tgt][real]).sum())
    print("// tied embeddings through the projection (tie=True, pre_output 5 ≠ emb 4)")
    print(f"static let tiedNames = [{', '.join(chr(34) + n + chr(34) for n in names)}]")
    print(f"static let tiedLossSum = {float(cross) * tokens:.12g}")
    print(f"static let tiedNllSum = {nll:.12g}")


if __name__ == "__main__":
    main()
