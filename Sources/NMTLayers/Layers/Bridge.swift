// Bridge from the encoder's final states to the decoder's initial state:
//
//   s0 = tanh(W_b·[h_fwd_final ; h_bwd_final] + b_b)      (B, C) → (B, Hd)
//
// Parameters `<name>.weight` (Hd, C) and `<name>.bias` (Hd): a `Linear` (PyTorch layout and init). The caller
// writes the two directions' final hidden states into the two column halves of one (B, C) matrix.

import NMTTensor

public struct Bridge {
    public let input: Int    // C
    public let output: Int   // Hd
    public let linear: Linear
    public var weight: Param { linear.weight }   // (Hd, C)
    public var bias: Param { linear.bias! }      // (Hd)

    public init(_ arena: ParameterArena, name: String = "bridge", input: Int, output: Int) {
        self.input = input
        self.output = output
        linear = Linear(arena, name: name, input: input, output: output)
    }

    /// s0 (B, Hd) = tanh(h (B, C)·Wᵀ + b). s0 is also the cache of the backward.
    public func forward(_ arena: ParameterArena, _ h: MatrixRef, into s0: MatrixRef) {
        linear.forward(arena, h, into: s0)
        for r in 0..<s0.rows { vTanh(s0.row(r), s0.row(r), count: s0.cols) }
    }

    /// Backward: dS0 (B, Hd) is overwritten with ∂L/∂(pre-activation); weight/bias grads (+=);
    /// dH (B, C) (=), unless `accumulateDH` (then +=).
    public func backward(_ arena: ParameterArena, h: MatrixRef, s0: MatrixRef, dS0: MatrixRef,
                         dH: MatrixRef?, accumulateDH: Bool = false) {
        for r in 0..<dS0.rows {
            let d = dS0.row(r), s = s0.row(r)
            for c in 0..<dS0.cols { d[c] *= 1 - s[c] * s[c] }
        }
        linear.backward(arena, x: h, dY: dS0, dX: dH, accumulateDX: accumulateDH)
    }
}
