// The coupled input–forget LSTM cell (CIFG: f = 1 − i, no forget weights), forward and backward.
//
//   i  = σ(W_ii·x + W_hi·h + b_i)     g = tanh(W_ig·x + W_hg·h + b_g)     o = σ(W_io·x + W_ho·h + b_o)
//   c' = (1 − i) ⊙ c + i ⊙ g  =  c + i ⊙ (g − c)
//   h' = o ⊙ tanh(c')
//
// Parameters: W_ih (3H, In), W_hh (3H, H), b (3H), gate order i, g, o (the LSTM's rows without f).
//
// RecurrentCell: gate width 3H, state (h, c), per-row cache tanh(c') (H); the forward kernel
// leaves the activated gates in the projection row; one gradient buffer (shared).

import NMTTensor

public struct CoupledLSTMCell: SingleBiasCell {
    public let W_ih: Param   // (3H, In)
    public let W_hh: Param   // (3H, H)
    public let b: Param      // (3H)
    public let input: Int
    public let hidden: Int

    /// Registers "\(name).W_ih", "\(name).W_hh", "\(name).b". Init as the LSTM cell (W_hh orthogonal
    /// per gate block); `initializeForgetBias` sets b_i = −1 after `arena.allocate`, so that the
    /// implied forget gate starts at 1 − σ(−1) = σ(1), the LSTM cell's forget start.
    public init(_ arena: ParameterArena, name: String, input: Int, hidden: Int) {
        precondition(input > 0 && hidden > 0, "coupled LSTM \(name): sizes must be positive")
        self.input = input
        self.hidden = hidden
        let bound = 1 / Float(hidden).squareRoot()
        W_ih = arena.register("\(name).W_ih", shape: [3 * hidden, input], initializer: .uniform(bound))
        W_hh = arena.register("\(name).W_hh", shape: [3 * hidden, hidden], initializer: .orthogonal(blockRows: hidden))
        b = arena.register("\(name).b", shape: [3 * hidden], initializer: .uniform(bound))
    }

    /// Sets the input-gate block b[0..<H] to −1 (forget = 1 − input starts near σ(1)).
    public func initializeForgetBias(_ arena: ParameterArena) {
        arena.value(b).cols(0..<hidden).fill(-1)
    }

    @inlinable public var gateWidth: Int { 3 * hidden }
    @inlinable public var cacheWidth: Int { hidden }
    @inlinable public static var stateParts: Int { 2 }
    @inlinable public static var sharedGateGradient: Bool { true }

    @inlinable @inline(__always)
    public func forwardRow(_ bias: UnsafePointer<Float>, step: Int, proj gates: UnsafeMutablePointer<Float>, rec: UnsafePointer<Float>,
                           prev: StateRow, next: StateRow, saved: StateRow, cache tanhCOut: UnsafeMutablePointer<Float>,
                           out: UnsafeMutablePointer<Float>) {
        let H = hidden
        let gi = gates, gg = gates + H, go = gates + 2 * H
        let c = UnsafePointer(prev.part(1)), cNew = next.part(1), cOut = saved.part(1)
        let h = next.part(0), hOut = saved.part(0)
        var j = 0
        while j < H {
            let n = min(8, H - j)
            let i = simdSigmoid(load8(gi + j, n) + load8(rec + j, n) + load8(bias + j, n))
            let g = simdTanh(load8(gg + j, n) + load8(rec + H + j, n) + load8(bias + H + j, n))
            let o = simdSigmoid(load8(go + j, n) + load8(rec + 2 * H + j, n) + load8(bias + 2 * H + j, n))
            let cv = load8(c + j, n)
            let cn = cv + i * (g - cv)
            let tc = simdTanh(cn)
            let hn = o * tc
            store8(i, gi + j, n); store8(g, gg + j, n); store8(o, go + j, n)
            store8(cn, cNew + j, n); store8(cn, cOut + j, n); store8(tc, tanhCOut + j, n)
            store8(hn, h + j, n); store8(hn, hOut + j, n); store8(hn, out + j, n)
            j += 8
        }
    }

    /// dState (h, c): on entry dL/dh' (without dOut), dL/dc'; on exit dh = 0 and dc = dL/dc.
    /// dProj (= dRec) = the pre-activation gate gradients [dα_i | dα_g | dα_o].
    @inlinable @inline(__always)
    public func backwardRow(_ bias: UnsafePointer<Float>, step: Int, proj gates: UnsafePointer<Float>, cache tanhC: UnsafePointer<Float>,
                            prev: StateRow, dOut: UnsafePointer<Float>?, dState: StateRow,
                            dProj dGates: UnsafeMutablePointer<Float>, dRec: UnsafeMutablePointer<Float>) {
        let H = hidden
        let gi = gates, gg = gates + H, go = gates + 2 * H
        let cPrev = UnsafePointer(prev.part(1))
        let dh = dState.part(0), dc = dState.part(1)
        var j = 0
        while j < H {
            let n = min(8, H - j)
            var dhv = load8(dh + j, n)
            if let dOut { dhv += load8(dOut + j, n) }
            let i = load8(gi + j, n), g = load8(gg + j, n), o = load8(go + j, n)
            let tc = load8(tanhC + j, n), cv = load8(cPrev + j, n)
            let dcn = load8(dc + j, n) + dhv * o * (1 - tc * tc)
            store8(dcn * (g - cv) * i * (1 - i), dGates + j, n)
            store8(dcn * i * (1 - g * g), dGates + H + j, n)
            store8(dhv * tc * o * (1 - o), dGates + 2 * H + j, n)
            store8(dcn * (1 - i), dc + j, n)
            store8(Float8(), dh + j, n)
            j += 8
        }
    }
}
