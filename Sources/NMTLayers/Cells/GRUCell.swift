// The GRU cell (PyTorch layout and gate order r, z, n), forward and backward kernels.
//
//   r  = σ(W_ir·x + b_ir + W_hr·h + b_hr)
//   z  = σ(W_iz·x + b_iz + W_hz·h + b_hz)
//   n  = tanh(W_in·x + b_in + r ⊙ (W_hn·h + b_hn))      reset applied AFTER the recurrent product
//   h' = (1 − z) ⊙ n + z ⊙ h
//
// Parameters: W_ih (3H, In), W_hh (3H, H), b_ih (3H), b_hh (3H), rows in gate order r | z | n,
// exactly torch.nn.GRU's weight_ih_l0 / weight_hh_l0 / bias_ih_l0 / bias_hh_l0.
//
// RecurrentCell: gate width 3H, state (h), per-row cache [r | z | n | hn] (4H) with
// hn = W_hn·h + b_hn (needed for ∂r). The input projection includes b_ih; the step kernel adds
// b_hh. Because r multiplies the finished recurrent product, the gradient of the projection
// (dXProj = [da_r | da_z | da_n]) and of the recurrent product (dHProj = [da_r | da_z | da_n ⊙ r])
// differ: two buffers (not shared).
//
// Padding convention for callers that run inactive rows through a step (the decoder):
// `carryRow` stores r = 0, z = 1, n = 0, hn = 0 and h' = h, which makes `backwardRow` give
// ∂h = ∂h' and exactly zero gradient to every parameter and input without any mask.

import NMTTensor

public struct GRUCell: RecurrentCell {
    public let input: Int
    public let hidden: Int
    public let W_ih: Param   // (3H, In)
    public let W_hh: Param   // (3H, H)
    public let b_ih: Param   // (3H)
    public let b_hh: Param   // (3H)

    /// Registers `<name>.W_ih`, `<name>.W_hh`, `<name>.b_ih`, `<name>.b_hh`.
    /// Init: W_ih uniform ±1/√H (PyTorch's), W_hh orthogonal per (H, H) gate block, biases zero.
    public init(_ arena: ParameterArena, name: String, input: Int, hidden: Int) {
        self.input = input
        self.hidden = hidden
        let bound = 1 / Float(hidden).squareRoot()
        W_ih = arena.register("\(name).W_ih", shape: [3 * hidden, input], initializer: .uniform(bound))
        W_hh = arena.register("\(name).W_hh", shape: [3 * hidden, hidden], initializer: .orthogonal(blockRows: hidden))
        b_ih = arena.register("\(name).b_ih", shape: [3 * hidden], initializer: .zeros)
        b_hh = arena.register("\(name).b_hh", shape: [3 * hidden], initializer: .zeros)
    }

    @inlinable public var gateWidth: Int { 3 * hidden }
    @inlinable public var cacheWidth: Int { 4 * hidden }
    @inlinable public static var stateParts: Int { 1 }
    @inlinable public static var sharedGateGradient: Bool { false }

    /// proj (N, 3H) = x (N, In')·W_ih[:, columns]ᵀ (+ b_ih if `addBias`) (+ proj if `accumulate`).
    /// `columns` selects the input columns x corresponds to (input feeding splits [emb ; context]).
    @inlinable
    public func projectInput(_ arena: ParameterArena, _ x: MatrixRef, columns: Range<Int>? = nil, into proj: MatrixRef,
                             addBias: Bool = true, accumulate: Bool = false) {
        let w = arena.value(W_ih).cols(columns ?? 0..<input)     // (3H, In')
        gemm(x, w, transB: true, into: proj, beta: accumulate ? 1 : 0)
        if addBias { addRowVector(arena.value(b_ih).ptr, to: proj) }
    }

    /// proj += b_ih (after a layer-normalised projection).
    @inlinable
    public func addInputBias(_ arena: ParameterArena, to proj: MatrixRef) { addRowVector(arena.value(b_ih).ptr, to: proj) }

    /// b_hh (3H), added inside the step kernel.
    @inlinable
    public func stepWeights(_ arena: ParameterArena) -> UnsafePointer<Float> { UnsafePointer(arena.value(b_hh).ptr) }

    @inlinable
    public func accumulateBiasGradients(_ arena: ParameterArena, dProj: MatrixRef, dRec: MatrixRef) {
        accumulateColumnSums(of: dRec, into: arena.grad(b_hh).ptr)
        accumulateColumnSums(of: dProj, into: arena.grad(b_ih).ptr)
    }

    /// Forward of one row. proj (3H): x·W_ihᵀ + b_ih; rec (3H): h·W_hhᵀ without bias (may alias
    /// `cache`); reads h from prev; writes h' to next, saved and out; cache (4H) = [r | z | n | hn].
    @inlinable @inline(__always)
    public func forwardRow(_ bHH: UnsafePointer<Float>, step: Int, proj: UnsafeMutablePointer<Float>, rec: UnsafePointer<Float>,
                           prev: StateRow, next: StateRow, saved: StateRow, cache g: UnsafeMutablePointer<Float>,
                           out: UnsafeMutablePointer<Float>) {
        GRUCell.forwardKernel(H: hidden, bHH: bHH, proj: proj, rec: rec, prev: prev, next: next, saved: saved,
                              cache: g, out: out)
    }

    /// `forwardRow` for a given H (for batch helpers that hold no cell).
    @inlinable @inline(__always)
    public static func forwardKernel(H: Int, bHH: UnsafePointer<Float>, proj: UnsafeMutablePointer<Float>,
                                     rec: UnsafePointer<Float>, prev: StateRow, next: StateRow, saved: StateRow,
                                     cache g: UnsafeMutablePointer<Float>, out: UnsafeMutablePointer<Float>) {
        VectorKernels.gruForwardRow(hidden: H, bHH: bHH, proj: proj, rec: rec, hPrev: prev.part(0), hNext: next.part(0),
                                    hSaved: saved.part(0), cache: g, out: out)
    }

    /// An inactive (padded) row run through a step: h' = h, cache = [0 | 1 | 0 | 0].
    @inlinable
    public func carryRow(prev: StateRow, next: StateRow, cache g: UnsafeMutablePointer<Float>) {
        let H = hidden
        g.update(repeating: 0, count: H)
        (g + H).update(repeating: 1, count: H)
        (g + 2 * H).update(repeating: 0, count: 2 * H)
        if next.ptr != prev.ptr { next.part(0).update(from: prev.part(0), count: H) }
    }

    /// Backward of one row. d = dState.h + dOut = ∂L/∂h'; writes
    ///   dProj (3H) = ∂L/∂(x·W_ihᵀ + b_ih)   = [da_r | da_z | da_n]
    ///   dRec (3H)  = ∂L/∂(h·W_hhᵀ + b_hh)   = [da_r | da_z | da_n ⊙ r]
    ///   dState.h   = d ⊙ z   (the direct path; the caller adds dRec·W_hh)
    @inlinable @inline(__always)
    public func backwardRow(_ bHH: UnsafePointer<Float>, step: Int, proj: UnsafePointer<Float>, cache g: UnsafePointer<Float>,
                            prev: StateRow, dOut: UnsafePointer<Float>?, dState: StateRow,
                            dProj dx: UnsafeMutablePointer<Float>, dRec dhp: UnsafeMutablePointer<Float>) {
        GRUCell.backwardKernel(H: hidden, cache: g, prev: prev, dOut: dOut, dState: dState, dProj: dx, dRec: dhp)
    }

    /// `backwardRow` for a given H (for batch helpers that hold no cell).
    @inlinable @inline(__always)
    public static func backwardKernel(H: Int, cache g: UnsafePointer<Float>, prev: StateRow, dOut: UnsafePointer<Float>?,
                                      dState: StateRow, dProj dx: UnsafeMutablePointer<Float>,
                                      dRec dhp: UnsafeMutablePointer<Float>) {
        VectorKernels.gruBackwardRow(hidden: H, cache: g, hPrev: prev.part(0), dOut: dOut, dh: dState.part(0), dx: dx, dhp: dhp)
    }
}
