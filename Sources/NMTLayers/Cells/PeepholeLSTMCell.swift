// The peephole LSTM cell (Gers & Schmidhuber 2000), forward and backward kernels.
//
//   i  = σ(W_ii·x + W_hi·h + p_i ⊙ c + b_i)      f = σ(W_if·x + W_hf·h + p_f ⊙ c + b_f)
//   g  = tanh(W_ig·x + W_hg·h + b_g)
//   c' = f ⊙ c + i ⊙ g
//   o  = σ(W_io·x + W_ho·h + p_o ⊙ c' + b_o)     the output gate looks at the NEW cell state
//   h' = o ⊙ tanh(c')
//
// Parameters: W_ih (4H, In), W_hh (4H, H), b (4H) exactly as the LSTM cell (gate order i, f, g, o),
// plus the diagonal peephole weights `peephole` (3H) = [p_i | p_f | p_o].
//
// RecurrentCell: gate width 4H, state (h, c), per-row cache [tanh c' | c'] (2H). The forward
// kernel leaves the activated gates in the projection row. The peephole weights' gradients
// (Σ over rows of dα_i ⊙ c, dα_f ⊙ c, dα_o ⊙ c') are per-row products, not column sums of the
// gate gradients, so the backward kernel accumulates them itself through `backwardWeights`.

import NMTTensor

public struct PeepholeLSTMCell: KernelBiasedInput {
    /// The bias and peephole pointers; in backward also the peephole gradient.
    public struct Weights {
        public let bias: UnsafePointer<Float>                // (4H)
        public let peephole: UnsafePointer<Float>            // (3H)
        public let dPeephole: UnsafeMutablePointer<Float>?   // (3H), backward only
        @inlinable init(bias: UnsafePointer<Float>, peephole: UnsafePointer<Float>, dPeephole: UnsafeMutablePointer<Float>?) {
            self.bias = bias; self.peephole = peephole; self.dPeephole = dPeephole
        }
    }

    public let W_ih: Param       // (4H, In)
    public let W_hh: Param       // (4H, H)
    public let b: Param          // (4H)
    public let peephole: Param   // (3H) [p_i | p_f | p_o]
    public let input: Int
    public let hidden: Int

    /// Registers "\(name).W_ih", "\(name).W_hh", "\(name).b", "\(name).peephole". Init as the LSTM
    /// cell (W_hh orthogonal per gate block), peepholes uniform ±1/√H; `initializeForgetBias`
    /// sets b_f = 1 after `arena.allocate`.
    public init(_ arena: ParameterArena, name: String, input: Int, hidden: Int) {
        precondition(input > 0 && hidden > 0, "peephole LSTM \(name): sizes must be positive")
        self.input = input
        self.hidden = hidden
        let bound = 1 / Float(hidden).squareRoot()
        W_ih = arena.register("\(name).W_ih", shape: [4 * hidden, input], initializer: .uniform(bound))
        W_hh = arena.register("\(name).W_hh", shape: [4 * hidden, hidden], initializer: .orthogonal(blockRows: hidden))
        b = arena.register("\(name).b", shape: [4 * hidden], initializer: .uniform(bound))
        peephole = arena.register("\(name).peephole", shape: [3 * hidden], initializer: .uniform(bound))
    }

    /// Sets the forget-gate block b[H..<2H] to 1. Call once after `arena.allocate(seed:)`.
    public func initializeForgetBias(_ arena: ParameterArena) {
        arena.value(b).cols(hidden ..< 2 * hidden).fill(1)
    }

    @inlinable public var gateWidth: Int { 4 * hidden }
    @inlinable public var cacheWidth: Int { 2 * hidden }
    @inlinable public static var stateParts: Int { 2 }
    @inlinable public static var sharedGateGradient: Bool { true }

    @inlinable
    public func stepWeights(_ arena: ParameterArena) -> Weights {
        Weights(bias: UnsafePointer(arena.value(b).ptr), peephole: UnsafePointer(arena.value(peephole).ptr), dPeephole: nil)
    }

    @inlinable
    public func backwardWeights(_ arena: ParameterArena) -> Weights {
        Weights(bias: UnsafePointer(arena.value(b).ptr), peephole: UnsafePointer(arena.value(peephole).ptr),
                dPeephole: arena.grad(peephole).ptr)
    }

    @inlinable
    public func accumulateBiasGradients(_ arena: ParameterArena, dProj: MatrixRef, dRec: MatrixRef) {
        accumulateColumnSums(of: dProj, into: arena.grad(b).ptr)
    }

    /// proj (4H): the input projection on entry, the activated gates on exit; rec (4H): h·W_hhᵀ.
    /// Reads c from prev; writes c' to next and saved, [tanh c' | c'] to cache, h' to next, saved, out.
    @inlinable @inline(__always)
    public func forwardRow(_ w: Weights, step: Int, proj gates: UnsafeMutablePointer<Float>, rec: UnsafePointer<Float>,
                           prev: StateRow, next: StateRow, saved: StateRow, cache: UnsafeMutablePointer<Float>,
                           out: UnsafeMutablePointer<Float>) {
        let H = hidden
        let bias = w.bias, p = w.peephole
        let gi = gates, gf = gates + H, gg = gates + 2 * H, go = gates + 3 * H
        let c = UnsafePointer(prev.part(1)), cNew = next.part(1), cOut = saved.part(1)
        let h = next.part(0), hOut = saved.part(0)
        var j = 0
        while j < H {
            let n = min(8, H - j)
            let cv = load8(c + j, n)
            let i = simdSigmoid(load8(gi + j, n) + load8(rec + j, n) + load8(bias + j, n) + load8(p + j, n) * cv)
            let f = simdSigmoid(load8(gf + j, n) + load8(rec + H + j, n) + load8(bias + H + j, n)
                                + load8(p + H + j, n) * cv)
            let g = simdTanh(load8(gg + j, n) + load8(rec + 2 * H + j, n) + load8(bias + 2 * H + j, n))
            let cn = f * cv + i * g
            let o = simdSigmoid(load8(go + j, n) + load8(rec + 3 * H + j, n) + load8(bias + 3 * H + j, n)
                                + load8(p + 2 * H + j, n) * cn)
            let tc = simdTanh(cn)
            let hn = o * tc
            store8(i, gi + j, n); store8(f, gf + j, n); store8(g, gg + j, n); store8(o, go + j, n)
            store8(cn, cNew + j, n); store8(cn, cOut + j, n)
            store8(tc, cache + j, n); store8(cn, cache + H + j, n)
            store8(hn, h + j, n); store8(hn, hOut + j, n); store8(hn, out + j, n)
            j += 8
        }
    }

    /// dState (h, c): on entry dL/dh' (without dOut), dL/dc'; on exit dh = 0 (the caller adds
    /// dα·W_hh) and dc = dL/dc (through f and both input peepholes). dProj (= dRec) = the
    /// pre-activation gate gradients; the peephole gradient (in `w`) is accumulated.
    @inlinable @inline(__always)
    public func backwardRow(_ w: Weights, step: Int, proj gates: UnsafePointer<Float>, cache: UnsafePointer<Float>,
                            prev: StateRow, dOut: UnsafePointer<Float>?, dState: StateRow,
                            dProj dGates: UnsafeMutablePointer<Float>, dRec: UnsafeMutablePointer<Float>) {
        let H = hidden
        let p = w.peephole
        guard let dp = w.dPeephole else { preconditionFailure("peephole backward without gradient weights") }
        let gi = gates, gf = gates + H, gg = gates + 2 * H, go = gates + 3 * H
        let cPrev = UnsafePointer(prev.part(1))
        let dh = dState.part(0), dc = dState.part(1)
        var j = 0
        while j < H {
            let n = min(8, H - j)
            var dhv = load8(dh + j, n)
            if let dOut { dhv += load8(dOut + j, n) }
            let i = load8(gi + j, n), f = load8(gf + j, n), g = load8(gg + j, n), o = load8(go + j, n)
            let tc = load8(cache + j, n), cn = load8(cache + H + j, n), cv = load8(cPrev + j, n)
            let dao = dhv * tc * o * (1 - o)
            let dcn = load8(dc + j, n) + dhv * o * (1 - tc * tc) + dao * load8(p + 2 * H + j, n)
            let dai = dcn * g * i * (1 - i)
            let daf = dcn * cv * f * (1 - f)
            let dag = dcn * i * (1 - g * g)
            store8(dai, dGates + j, n); store8(daf, dGates + H + j, n)
            store8(dag, dGates + 2 * H + j, n); store8(dao, dGates + 3 * H + j, n)
            store8(dcn * f + dai * load8(p + j, n) + daf * load8(p + H + j, n), dc + j, n)
            store8(Float8(), dh + j, n)
            store8(load8(dp + j, n) + dai * cv, dp + j, n)
            store8(load8(dp + H + j, n) + daf * cv, dp + H + j, n)
            store8(load8(dp + 2 * H + j, n) + dao * cn, dp + 2 * H + j, n)
            j += 8
        }
    }
}
