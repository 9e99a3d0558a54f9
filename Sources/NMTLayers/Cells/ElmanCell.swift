// The vanilla (Elman) RNN cell, forward and backward kernels.
//
//   h' = tanh(W_ih·x + W_hh·h + b)
//
// Parameters: W_ih (H, In), W_hh (H, H), b (H): torch.nn.RNN's weight_ih_l0 / weight_hh_l0 with
// bias_ih_l0 + bias_hh_l0 = b (one bias: the two are never distinguishable).
//
// RecurrentCell: gate width H, state (h), no per-row cache: the forward kernel leaves h' in the
// projection row, which is all backward needs (tanh' = 1 − h'²). The projection and the
// recurrent product are summed before the non-linearity: one gradient buffer (shared).

import NMTTensor

public struct ElmanCell: SingleBiasCell {
    public let W_ih: Param   // (H, In)
    public let W_hh: Param   // (H, H)
    public let b: Param      // (H)
    public let input: Int
    public let hidden: Int

    /// Registers "\(name).W_ih", "\(name).W_hh", "\(name).b".
    /// W_ih uniform ±1/√H (PyTorch's), W_hh orthogonal (a tanh RNN keeps its gradient norm longest
    /// from an orthogonal start), b zero.
    public init(_ arena: ParameterArena, name: String, input: Int, hidden: Int) {
        precondition(input > 0 && hidden > 0, "RNN \(name): sizes must be positive")
        self.input = input
        self.hidden = hidden
        let bound = 1 / Float(hidden).squareRoot()
        W_ih = arena.register("\(name).W_ih", shape: [hidden, input], initializer: .uniform(bound))
        W_hh = arena.register("\(name).W_hh", shape: [hidden, hidden], initializer: .orthogonal(blockRows: hidden))
        b = arena.register("\(name).b", shape: [hidden], initializer: .zeros)
    }

    @inlinable public var gateWidth: Int { hidden }
    @inlinable public var cacheWidth: Int { 0 }
    @inlinable public static var stateParts: Int { 1 }
    @inlinable public static var sharedGateGradient: Bool { true }

    /// proj (H): x·W_ihᵀ on entry, h' on exit; rec (H): h·W_hhᵀ; writes h' to next, saved and out.
    @inlinable @inline(__always)
    public func forwardRow(_ bias: UnsafePointer<Float>, step: Int, proj: UnsafeMutablePointer<Float>, rec: UnsafePointer<Float>,
                           prev: StateRow, next: StateRow, saved: StateRow, cache: UnsafeMutablePointer<Float>,
                           out: UnsafeMutablePointer<Float>) {
        let H = hidden
        let h = next.part(0), hs = saved.part(0)
        var j = 0
        while j < H {
            let n = min(8, H - j)
            let v = simdTanh(load8(proj + j, n) + load8(rec + j, n) + load8(bias + j, n))
            store8(v, proj + j, n); store8(v, h + j, n); store8(v, hs + j, n); store8(v, out + j, n)
            j += 8
        }
    }

    /// d = dh + dOut; dProj = dRec = d ⊙ (1 − h'²); dh = 0 (the caller adds dRec·W_hh).
    @inlinable @inline(__always)
    public func backwardRow(_ bias: UnsafePointer<Float>, step: Int, proj: UnsafePointer<Float>, cache: UnsafePointer<Float>,
                            prev: StateRow, dOut: UnsafePointer<Float>?, dState: StateRow,
                            dProj: UnsafeMutablePointer<Float>, dRec: UnsafeMutablePointer<Float>) {
        let H = hidden
        let dh = dState.part(0)
        var j = 0
        while j < H {
            let n = min(8, H - j)
            var d = load8(dh + j, n)
            if let dOut { d += load8(dOut + j, n) }
            let h = load8(proj + j, n)
            store8(d * (1 - h * h), dProj + j, n)
            store8(Float8(), dh + j, n)
            j += 8
        }
    }
}
