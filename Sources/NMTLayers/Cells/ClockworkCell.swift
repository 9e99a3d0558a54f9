// The clockwork RNN cell (Koutník, Greff, Gomez & Schmidhuber 2014), forward and backward.
//
// The H hidden units form g modules (as equal as H allows), module i with period T_i = 2^i, fastest
// first. At step t (reading order, from 0) module i runs only when t mod T_i = 0:
//
//   h'_i = tanh(W_ih,i·x + Σ_{j ≥ i} W_hh,ij·h_j + b_i)     when t mod T_i = 0
//   h'_i = h_i                                             otherwise
//
// The recurrent weights run only from slower (or equal) modules to faster ones: the blocks
// W_hh,ij with j < i are zero, set so at initialisation (`applyMask`) and kept so: their gradient
// is zeroed after every backward, so no optimiser step moves them. Every module reads the first
// step (t = 0).
//
// Parameters: W_ih (H, In), W_hh (H, H), b (H), as the vanilla RNN. RecurrentCell: gate width H,
// state (h), no per-row cache (the projection row keeps h' of the modules that ran), one gradient
// buffer (shared). Backward: a module that ran gets d ⊙ (1 − h'²); one that did not passes its
// gradient to the previous step unchanged and gets none itself.

import NMTTensor

public struct ClockworkCell: SingleBiasCell {
    public let W_ih: Param   // (H, In)
    public let W_hh: Param   // (H, H), blocks (i, j < i) zero
    public let b: Param      // (H)
    public let input: Int
    public let hidden: Int
    /// Module i: units bounds[i] ..< bounds[i + 1], period 2^i.
    public let bounds: [Int]

    /// Registers "\(name).W_ih", "\(name).W_hh", "\(name).b" (init as the vanilla RNN). Call
    /// `applyMask` once after `arena.allocate`.
    public init(_ arena: ParameterArena, name: String, input: Int, hidden: Int, modules: Int) {
        precondition(input > 0 && hidden > 0, "clockwork \(name): sizes must be positive")
        precondition(modules >= 1 && modules <= hidden && modules <= 30, "clockwork \(name): 1 ≤ modules ≤ min(hidden, 30)")
        self.input = input
        self.hidden = hidden
        bounds = (0...modules).map { $0 * hidden / modules }
        let bound = 1 / Float(hidden).squareRoot()
        W_ih = arena.register("\(name).W_ih", shape: [hidden, input], initializer: .uniform(bound))
        W_hh = arena.register("\(name).W_hh", shape: [hidden, hidden], initializer: .orthogonal(blockRows: hidden))
        b = arena.register("\(name).b", shape: [hidden], initializer: .zeros)
    }

    public var modules: Int { bounds.count - 1 }
    @inlinable public func period(_ i: Int) -> Int { 1 << i }

    /// Zeroes the masked blocks (i, j < i) of `m` (H, H): W_hh's values or its gradient.
    public func applyMask(_ m: MatrixRef) {
        for i in 1..<bounds.count - 1 {
            for r in bounds[i]..<bounds[i + 1] { m.row(r).update(repeating: 0, count: bounds[i]) }
        }
    }

    /// Zeroes W_hh's masked blocks. Once, after `arena.allocate(seed:)`.
    public func applyMask(_ arena: ParameterArena) { applyMask(arena.value(W_hh)) }

    @inlinable public var gateWidth: Int { hidden }
    @inlinable public var cacheWidth: Int { 0 }
    @inlinable public static var stateParts: Int { 1 }
    @inlinable public static var sharedGateGradient: Bool { true }

    /// The bias gradient, then the mask on W_hh's gradient (the loop has added it by now).
    public func accumulateBiasGradients(_ arena: ParameterArena, dProj: MatrixRef, dRec: MatrixRef) {
        accumulateColumnSums(of: dProj, into: arena.grad(b).ptr)
        applyMask(arena.grad(W_hh))
    }

    @inlinable @inline(__always)
    public func forwardRow(_ bias: UnsafePointer<Float>, step: Int, proj: UnsafeMutablePointer<Float>, rec: UnsafePointer<Float>,
                           prev: StateRow, next: StateRow, saved: StateRow, cache: UnsafeMutablePointer<Float>,
                           out: UnsafeMutablePointer<Float>) {
        let h = next.part(0), hs = saved.part(0), hp = UnsafePointer(prev.part(0))
        for i in 0..<bounds.count - 1 {
            let lo = bounds[i], hi = bounds[i + 1]
            if step % period(i) == 0 {
                var j = lo
                while j < hi {
                    let n = min(8, hi - j)
                    let v = simdTanh(load8(proj + j, n) + load8(rec + j, n) + load8(bias + j, n))
                    store8(v, proj + j, n); store8(v, h + j, n); store8(v, hs + j, n); store8(v, out + j, n)
                    j += 8
                }
            } else {
                for j in lo..<hi { let v = hp[j]; h[j] = v; hs[j] = v; out[j] = v }
            }
        }
    }

    @inlinable @inline(__always)
    public func backwardRow(_ bias: UnsafePointer<Float>, step: Int, proj: UnsafePointer<Float>, cache: UnsafePointer<Float>,
                            prev: StateRow, dOut: UnsafePointer<Float>?, dState: StateRow,
                            dProj: UnsafeMutablePointer<Float>, dRec: UnsafeMutablePointer<Float>) {
        let dh = dState.part(0)
        for i in 0..<bounds.count - 1 {
            let lo = bounds[i], hi = bounds[i + 1]
            let ran = step % period(i) == 0
            for j in lo..<hi {
                var d = dh[j]
                if let dOut { d += dOut[j] }
                if ran {
                    let v = proj[j]
                    dProj[j] = d * (1 - v * v)
                    dh[j] = 0
                } else {
                    dProj[j] = 0
                    dh[j] = d
                }
            }
        }
    }
}
