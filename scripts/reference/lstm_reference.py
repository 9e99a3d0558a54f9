#!/usr/bin/env python3
"""Independent reference for the Swift LSTM (Sources/NMTModel/Layers/LSTM.swift).

Plain numpy, float64, exact sigmoid/tanh. Builds fixed weights and inputs from closed-form
formulas (so the Swift test constructs identical ones without files), runs one LSTM layer over a
padded time-major batch in both directions, and prints Swift array literals that
Tests/NMTModelTests/LSTMTests.swift holds. Regenerate with:

    python3 scripts/reference/lstm_reference.py

Conventions (docs/layers.md): gate order i, f, g, o; W_ih (4H, In), W_hh (4H, H), one bias b (4H);
x (T*B, In) time-major (row t*B + b); padded steps carry the state and output 0; the reverse
direction starts at each sequence's real end. The forward case uses the initial state (h0, c0),
the reverse case starts from zeros.
"""
import numpy as np

IN, H, T = 3, 9, 3
LENGTHS = [3, 1, 2]
B = len(LENGTHS)


def weights():
    w_ih = np.array([[0.4 * np.sin(0.37 * (r * IN + c) + 0.3) for c in range(IN)] for r in range(4 * H)])
    w_hh = np.array([[0.4 * np.cos(0.23 * (r * H + c) + 0.1) for c in range(H)] for r in range(4 * H)])
    b = np.array([0.2 * np.sin(0.71 * r + 0.5) for r in range(4 * H)])
    x = np.array([[1.5 * np.sin(0.37 * (row * IN + c)) for c in range(IN)] for row in range(T * B)])
    h0 = np.array([[0.3 * np.sin(0.5 * (bb * H + j) + 1.0) for j in range(H)] for bb in range(B)])
    c0 = np.array([[0.3 * np.cos(0.45 * (bb * H + j)) for j in range(H)] for bb in range(B)])
    return w_ih, w_hh, b, x, h0, c0


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def lstm(w_ih, w_hh, b, x, h0, c0, reverse):
    out = np.zeros((T * B, H))
    fh = np.zeros((B, H))
    fc = np.zeros((B, H))
    for bb in range(B):
        h, c = h0[bb].copy(), c0[bb].copy()
        n = LENGTHS[bb]
        times = range(n - 1, -1, -1) if reverse else range(n)
        for t in times:
            z = w_ih @ x[t * B + bb] + w_hh @ h + b
            i, f, g, o = sigmoid(z[:H]), sigmoid(z[H:2 * H]), np.tanh(z[2 * H:3 * H]), sigmoid(z[3 * H:])
            c = f * c + i * g
            h = o * np.tanh(c)
            out[t * B + bb] = h
        fh[bb], fc[bb] = h, c
    return out, fh, fc


def literal(name, a):
    vals = ", ".join(f"{v:.8g}" for v in np.asarray(a).ravel())
    return f"    static let {name}: [Float] = [{vals}]"


def main():
    w_ih, w_hh, b, x, h0, c0 = weights()
    zeros = np.zeros((B, H))
    for tag, rev, (hi, ci) in (("fwd", False, (h0, c0)), ("rev", True, (zeros, zeros))):
        out, fh, fc = lstm(w_ih, w_hh, b, x, hi, ci, rev)
        print(literal(f"{tag}Outputs", out))
        print(literal(f"{tag}FinalH", fh))
        print(literal(f"{tag}FinalC", fc))


if __name__ == "__main__":
    main()
