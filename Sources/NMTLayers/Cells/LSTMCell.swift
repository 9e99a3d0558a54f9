// The LSTM cell (PyTorch layout, gate order i, f, g, o), forward and backward kernels.
//
//   W_ih (4H, In), W_hh (4H, H), b (4H)   (PyTorch's bias_ih = b, bias_hh = 0)
//   i = σ(x·W_iiᵀ + h·W_hiᵀ + b_i)   f = σ(…_f)   g = tanh(…_g)   o = σ(…_o)
//   c' = f ⊙ c + i ⊙ g               h' = o ⊙ tanh(c')
//
// RecurrentCell: gate width 4H, state (h, c), per-row cache tanh(c') (H). The input projection
// is x·W_ihᵀ without bias; the step kernel adds b, applies the activations in place in the
// projection row (which then holds the activated gates backward reads) and updates c and h.
// The gradients of the projection and of the recurrent product are the same (shared).

import NMTTensor

public struct LSTMCell: SingleBiasCell {
    public let W_ih: Param   // (4H, In)
    public let W_hh: Param   // (4H, H)
    public let b: Param      // (4H)
    public let input: Int
    public let hidden: Int

    /// Registers "\(name).W_ih", "\(name).W_hh", "\(name).b".
    /// W_ih uniform ±1/sqrt(H) (PyTorch); W_hh uniform ±1/sqrt(H) or, with `orthogonalRecurrent`,
    /// an orthogonal (H, H) block per gate; b uniform ±1/sqrt(H). The forget-gate block of b
    /// is set to 1 by `initializeForgetBias(_:)`, which must be called once after
    /// `arena.allocate` (ParamInit has no per-block initialiser).
    public init(_ arena: ParameterArena, name: String, input: Int, hidden: Int, orthogonalRecurrent: Bool = false) {
        precondition(input > 0 && hidden > 0, "LSTM \(name): sizes must be positive")
        self.input = input
        self.hidden = hidden
        let bound = 1 / Float(hidden).squareRoot()
        W_ih = arena.register("\(name).W_ih", shape: [4 * hidden, input], initializer: .uniform(bound))
        W_hh = arena.register("\(name).W_hh", shape: [4 * hidden, hidden],
                              initializer: orthogonalRecurrent ? .orthogonal(blockRows: hidden) : .uniform(bound))
        b = arena.register("\(name).b", shape: [4 * hidden], initializer: .uniform(bound))
    }

    /// Sets the forget-gate block b[H..<2H] to 1. Call once after `arena.allocate(seed:)`.
    public func initializeForgetBias(_ arena: ParameterArena) {
        arena.value(b).cols(hidden ..< 2 * hidden).fill(1)
    }

    @inlinable public var gateWidth: Int { 4 * hidden }
    @inlinable public var cacheWidth: Int { hidden }
    @inlinable public static var stateParts: Int { 2 }
    @inlinable public static var sharedGateGradient: Bool { true }

    /// Forward of one row. proj (4H): the input projection on entry, the activated gates on exit.
    /// rec (4H): h·W_hhᵀ. Reads c from prev; writes c' to next and saved, tanh(c') to cache (H),
    /// h' to next, saved and out.
    @inlinable @inline(__always)
    public func forwardRow(_ bias: UnsafePointer<Float>, step: Int, proj gates: UnsafeMutablePointer<Float>, rec: UnsafePointer<Float>,
                           prev: StateRow, next: StateRow, saved: StateRow, cache tanhCOut: UnsafeMutablePointer<Float>,
                           out: UnsafeMutablePointer<Float>) {
        let H = hidden
        let gi = gates, gf = gates + H, gg = gates + 2 * H, go = gates + 3 * H
        let c = prev.part(1), cNew = next.part(1), cOut = saved.part(1)   // (H)
        let h = next.part(0), hOut = saved.part(0)                        // (H)
        var j = 0
        while j + 8 <= H {
            let i = simdSigmoid(load8(gi + j) + load8(rec + j) + load8(bias + j))
            let f = simdSigmoid(load8(gf + j) + load8(rec + H + j) + load8(bias + H + j))
            let g = simdTanh(load8(gg + j) + load8(rec + 2 * H + j) + load8(bias + 2 * H + j))
            let o = simdSigmoid(load8(go + j) + load8(rec + 3 * H + j) + load8(bias + 3 * H + j))
            store8(i, gi + j); store8(f, gf + j); store8(g, gg + j); store8(o, go + j)
            let cn = f * load8(c + j) + i * g
            let tc = simdTanh(cn)
            let hn = o * tc
            store8(cn, cNew + j); store8(cn, cOut + j); store8(tc, tanhCOut + j)
            store8(hn, h + j); store8(hn, hOut + j); store8(hn, out + j)
            j += 8
        }
        while j < H {
            let i = simdSigmoid(gi[j] + rec[j] + bias[j])
            let f = simdSigmoid(gf[j] + rec[H + j] + bias[H + j])
            let g = simdTanh(gg[j] + rec[2 * H + j] + bias[2 * H + j])
            let o = simdSigmoid(go[j] + rec[3 * H + j] + bias[3 * H + j])
            gi[j] = i; gf[j] = f; gg[j] = g; go[j] = o
            let cn = f * c[j] + i * g
            let tc = simdTanh(cn)
            let hn = o * tc
            cNew[j] = cn; cOut[j] = cn; tanhCOut[j] = tc
            h[j] = hn; hOut[j] = hn; out[j] = hn
            j += 1
        }
    }

    /// Backward of one row. dState (h, c): on entry dL/dh', dL/dc' (dh without the output's own
    /// gradient, added here from dOut); on exit dh = 0 (the caller adds dG·W_hh) and
    /// dc = dL/dc_prev. Writes the pre-activation gate gradients (4H) to dProj (= dRec: shared).
    @inlinable @inline(__always)
    public func backwardRow(_ bias: UnsafePointer<Float>, step: Int, proj gates: UnsafePointer<Float>, cache tanhC: UnsafePointer<Float>,
                            prev: StateRow, dOut: UnsafePointer<Float>?, dState: StateRow,
                            dProj dGates: UnsafeMutablePointer<Float>, dRec: UnsafeMutablePointer<Float>) {
        let H = hidden
        let gi = gates, gf = gates + H, gg = gates + 2 * H, go = gates + 3 * H
        let cPrev = UnsafePointer(prev.part(1))                           // (H)
        let dh = dState.part(0), dc = dState.part(1)                      // (H)
        let one = Float8(repeating: 1)
        var j = 0
        while j + 8 <= H {
            var dhv = load8(dh + j)
            if let dOut { dhv += load8(dOut + j) }
            let i = load8(gi + j), f = load8(gf + j), g = load8(gg + j), o = load8(go + j)
            let tc = load8(tanhC + j)
            let dct = load8(dc + j) + dhv * o * (one - tc * tc)
            store8(dct * g * i * (one - i), dGates + j)
            store8(dct * load8(cPrev + j) * f * (one - f), dGates + H + j)
            store8(dct * i * (one - g * g), dGates + 2 * H + j)
            store8(dhv * tc * o * (one - o), dGates + 3 * H + j)
            store8(dct * f, dc + j)
            store8(Float8(), dh + j)
            j += 8
        }
        while j < H {
            var dhv = dh[j]
            if let dOut { dhv += dOut[j] }
            let i = gi[j], f = gf[j], g = gg[j], o = go[j], tc = tanhC[j]
            let dct = dc[j] + dhv * o * (1 - tc * tc)
            dGates[j] = dct * g * i * (1 - i)
            dGates[H + j] = dct * cPrev[j] * f * (1 - f)
            dGates[2 * H + j] = dct * i * (1 - g * g)
            dGates[3 * H + j] = dhv * tc * o * (1 - o)
            dc[j] = dct * f
            dh[j] = 0
            j += 1
        }
    }
}
