#!/usr/bin/env python3
"""PyTorch reference for the GRU cell in the shared sequence loop (RecurrentLayer<GRUCell>,
Sources/NMTLayers/Recurrence/SequenceLoop.swift + Sources/NMTLayers/Cells/GRUCell.swift).

torch.nn.GRU in float64 over a padded, time-major batch with unsorted lengths (packed sequence),
forward direction from an initial state h0, and the reverse direction (each sequence read from
its real end, i.e. nn.GRU over the flipped real prefix) from zeros. Weights and inputs come from
closed-form formulas, so the Swift test (Tests/NMTLayersTests/GRUSequenceTests.swift) builds the
same numbers without files; the printed Swift literals are committed there. Regenerate with:

    python3 scripts/reference/gru_sequence_reference.py

Conventions (docs/layers.md): gate order r, z, n; W_ih (3H, In), W_hh (3H, H), b_ih, b_hh (3H),
torch's weight_ih_l0 / weight_hh_l0 / bias_ih_l0 / bias_hh_l0; x (T*B, In) time-major (row
t*B + b); padded steps carry the state and output 0.
"""
import math

import torch

IN, H, T = 3, 9, 4
LENGTHS = [4, 1, 3]
B = len(LENGTHS)


def weights():
    w_ih = [[0.4 * math.sin(0.37 * (r * IN + c) + 0.3) for c in range(IN)] for r in range(3 * H)]
    w_hh = [[0.4 * math.cos(0.23 * (r * H + c) + 0.1) for c in range(H)] for r in range(3 * H)]
    b_ih = [0.2 * math.sin(0.71 * r + 0.5) for r in range(3 * H)]
    b_hh = [0.2 * math.cos(0.53 * r + 0.2) for r in range(3 * H)]
    x = [[1.5 * math.sin(0.37 * (row * IN + c)) for c in range(IN)] for row in range(T * B)]
    h0 = [[0.3 * math.sin(0.5 * (bb * H + j) + 1.0) for j in range(H)] for bb in range(B)]
    # The Swift side stores float32: round here too, then compute in float64.
    f = lambda a: torch.tensor(a, dtype=torch.float32).to(torch.float64)
    return f(w_ih), f(w_hh), f(b_ih), f(b_hh), f(x), f(h0)


def run(reverse):
    w_ih, w_hh, b_ih, b_hh, x, h0 = weights()
    gru = torch.nn.GRU(IN, H).to(torch.float64)
    with torch.no_grad():
        gru.weight_ih_l0.copy_(w_ih); gru.weight_hh_l0.copy_(w_hh)
        gru.bias_ih_l0.copy_(b_ih); gru.bias_hh_l0.copy_(b_hh)
    xs = x.reshape(T, B, IN)
    out = torch.zeros(T, B, H, dtype=torch.float64)
    fh = torch.zeros(B, H, dtype=torch.float64)
    with torch.no_grad():
        if not reverse:
            packed = torch.nn.utils.rnn.pack_padded_sequence(xs, torch.tensor(LENGTHS), enforce_sorted=False)
            o, hn = gru(packed, h0.unsqueeze(0))
            o, _ = torch.nn.utils.rnn.pad_packed_sequence(o, total_length=T)
            out, fh = o, hn[0]
        else:
            for bb, n in enumerate(LENGTHS):
                seq = xs[:n, bb:bb + 1].flip(0)
                o, hn = gru(seq)
                out[:n, bb] = o[:, 0].flip(0)
                fh[bb] = hn[0, 0]
    return out.reshape(T * B, H), fh


def literal(name, a):
    vals = ", ".join(f"{v:.8g}" for v in a.reshape(-1).tolist())
    return f"    static let {name}: [Float] = [{vals}]"


def main():
    print(f"    // torch {torch.__version__}")
    for tag, rev in (("fwd", False), ("rev", True)):
        out, fh = run(rev)
        print(literal(f"{tag}Outputs", out))
        print(literal(f"{tag}FinalH", fh))


if __name__ == "__main__":
    main()
