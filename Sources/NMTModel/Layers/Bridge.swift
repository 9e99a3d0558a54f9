// Bridge from the encoder's final states to the decoder's initial state:
//
//   s0 = tanh(W_b·[h_fwd_final ; h_bwd_final] + b_b)      (B, C) → (B, Hd)
//
// Parameters `<name>.weight` (Hd, C) and `<name>.bias` (Hd), PyTorch Linear layout. The caller
// writes the two directions' final hidden states into the two column halves of one (B, C) matrix.

import NMTTensor

public struct Bridge {
    public let input: Int    // C
    public let output: Int   // Hd
    public let weight: Param // (Hd, C)
    public let bias: Param   // (Hd)

    public init(_ arena: ParameterArena, name: String = "bridge", input: Int, output: Int) {
        self.input = input
        self.output = output
        weight = arena.register("\(name).weight", shape: [output, input], initializer: .uniform(1 / Float(input).squareRoot()))
        bias = arena.register("\(name).bias", shape: [output], initializer: .zeros)
    }

    /// s0 (B, Hd) = tanh(h (B, C)·Wᵀ + b). s0 is also the cache of the backward.
    public func forward(_ arena: ParameterArena, _ h: MatrixRef, into s0: MatrixRef) {
        gemm(h, arena.value(weight), transB: true, into: s0)
        addRowVector(arena.value(bias).ptr, to: s0)
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
        gemm(dS0, transA: true, h, into: arena.grad(weight), beta: 1)
        accumulateColumnSums(of: dS0, into: arena.grad(bias).ptr)
        if let dH { gemm(dS0, arena.value(weight), into: dH, beta: accumulateDH ? 1 : 0) }
    }
}
