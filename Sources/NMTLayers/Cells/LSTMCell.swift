// The LSTM cell (PyTorch layout, gate order i, f, g, o), forward and backward kernels.
//
//   W_ih (4H, In), W_hh (4H, H), b (4H)   (PyTorch's bias_ih = b, bias_hh = 0)
//   i = σ(x·W_iiᵀ + h·W_hiᵀ + b_i)   f = σ(…_f)   g = tanh(…_g)   o = σ(…_o)
//   c' = f ⊙ c + i ⊙ g               h' = o ⊙ tanh(c')
//
// The row kernels are CKernels' (vec_kernels.h, 4/8/16 lanes by Kernels.path).
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
        VectorKernels.lstmForwardRow(hidden: hidden, bias: bias, gates: gates, rec: rec, c: prev.part(1), cNew: next.part(1),
                                     cOut: saved.part(1), tanhCOut: tanhCOut, h: next.part(0), hOut: saved.part(0), out: out)
    }

    /// Backward of one row. dState (h, c): on entry dL/dh', dL/dc' (dh without the output's own
    /// gradient, added here from dOut); on exit dh = 0 (the caller adds dG·W_hh) and
    /// dc = dL/dc_prev. Writes the pre-activation gate gradients (4H) to dProj (= dRec: shared).
    @inlinable @inline(__always)
    public func backwardRow(_ bias: UnsafePointer<Float>, step: Int, proj gates: UnsafePointer<Float>, cache tanhC: UnsafePointer<Float>,
                            prev: StateRow, dOut: UnsafePointer<Float>?, dState: StateRow,
                            dProj dGates: UnsafeMutablePointer<Float>, dRec: UnsafeMutablePointer<Float>) {
        VectorKernels.lstmBackwardRow(hidden: hidden, gates: gates, tanhC: tanhC, cPrev: prev.part(1), dOut: dOut,
                                      dh: dState.part(0), dc: dState.part(1), dGates: dGates)
    }
}
