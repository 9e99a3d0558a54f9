// The contract between a recurrent cell and the one sequence loop (SequenceLoop.swift).
//
// A cell is split the way every cell of this toolkit is computed (Marian's split):
//   proj  = x·W_ihᵀ (+ the biases that belong to the input side)   one gemm over all T·B rows
//   rec   = h_prev·W_hhᵀ                                           one gemm per step (active rows)
//   step  = a fused per-row SIMD kernel: (proj, rec, previous state) → new state, output h,
//           and what its backward needs (the cell's per-row cache)
// Backward mirrors it: the per-row backward kernel turns dL/d(new state) into the gradients of
// proj and rec (`dProj`, `dRec`, one row each) and the direct part of dL/d(previous state); the
// loop adds dRec·W_hh to dL/dh_prev (one gemm per step) and computes dW_ih, dW_hh, dX and the
// bias gradients as single gemms / column sums over all T·B rows after the loop.
//
// State: `stateParts` vectors of width H per row; part 0 is h (the output and the only part the
// recurrent gemm reads), e.g. (h, c) for an LSTM, (h) for a GRU. A `StateRow` points at part 0 of
// one row; part p is `stride` floats further (the loop keeps parts as contiguous (B, H) or
// (T·B, H) blocks, so the stride is B·H or T·B·H).
//
// Kernels must be `@inlinable` so they inline into the specialised loop (no existential, no
// witness-table call per row).

import NMTTensor

/// One row of a cell's state: part p (width H) at `ptr + p * stride`; part 0 is h.
public struct StateRow {
    public let ptr: UnsafeMutablePointer<Float>
    public let stride: Int
    @inlinable public init(_ ptr: UnsafeMutablePointer<Float>, stride: Int) { self.ptr = ptr; self.stride = stride }
    @inlinable public func part(_ p: Int) -> UnsafeMutablePointer<Float> { ptr + p * stride }
}

public protocol RecurrentCell {
    /// What the step kernels read from the arena, resolved once per sequence (e.g. bias pointers).
    associatedtype StepWeights

    /// Input width In and hidden width H.
    var input: Int { get }
    var hidden: Int { get }
    /// Width G of a row of the input projection and of the recurrent product: 4H (LSTM), 3H (GRU).
    var gateWidth: Int { get }
    /// Width K of the per-row cache the forward kernel writes for backward: H (LSTM: tanh c),
    /// 4H (GRU: r, z, n, W_hn·h + b_hn).
    var cacheWidth: Int { get }
    /// Number of state parts of width H (part 0 = h): 2 for LSTM (h, c), 1 for GRU (h).
    static var stateParts: Int { get }
    /// true when the input projection and the recurrent product are summed before any
    /// non-linearity, so their gradients are one buffer (LSTM); false when the kernel writes two
    /// (GRU: the reset gate multiplies the recurrent product of n).
    static var sharedGateGradient: Bool { get }

    /// (G, In) and (G, H), rows in the cell's gate order.
    var W_ih: Param { get }
    var W_hh: Param { get }

    /// proj (N, G) = x (N, In')·W_ih[:, columns]ᵀ (+ input-side biases when `addBias`)
    /// (+ proj when `accumulate`). `columns` nil = all In columns.
    func projectInput(_ arena: ParameterArena, _ x: MatrixRef, columns: Range<Int>?, into proj: MatrixRef,
                      addBias: Bool, accumulate: Bool)
    /// The arena pointers the step kernels need.
    func stepWeights(_ arena: ParameterArena) -> StepWeights
    /// What the backward kernel reads; a cell whose parameter gradients are per-row products
    /// rather than column sums of dProj/dRec (the peephole LSTM's diagonal weights) adds the
    /// gradient pointers here and accumulates them in `backwardRow`. Default: `stepWeights`.
    func backwardWeights(_ arena: ParameterArena) -> StepWeights

    /// Forward step of one row. proj (G): the input projection (the kernel may overwrite it with
    /// its activations); rec (G): h_prev·W_hhᵀ (may alias `cache`); prev: the state before the
    /// step; next: the state after it (may alias prev); saved: a second copy of the new state
    /// (the loop's per-step history; may alias next); cache (K): what backward needs;
    /// out (H): the output h.
    /// `step`: the row's step in reading order (0 = its first); only a cell whose units run on
    /// a schedule (the clockwork RNN) reads it.
    func forwardRow(_ w: StepWeights, step: Int, proj: UnsafeMutablePointer<Float>, rec: UnsafePointer<Float>,
                    prev: StateRow, next: StateRow, saved: StateRow, cache: UnsafeMutablePointer<Float>,
                    out: UnsafeMutablePointer<Float>)

    /// Backward step of one row. proj, cache, prev: as left by `forwardRow` / the state before the
    /// step. dOut (H): gradient of the output (nil = 0). dState: on entry dL/d(state after the
    /// step) not counting dOut; on exit dL/d(state before the step) except the path through the
    /// recurrent product, which the caller adds (dRec·W_hh into part 0). Writes dProj (G) =
    /// dL/dproj and dRec (G) = dL/drec (for a shared-gradient cell the loop passes one buffer).
    func backwardRow(_ w: StepWeights, step: Int, proj: UnsafePointer<Float>, cache: UnsafePointer<Float>, prev: StateRow,
                     dOut: UnsafePointer<Float>?, dState: StateRow,
                     dProj: UnsafeMutablePointer<Float>, dRec: UnsafeMutablePointer<Float>)

    /// Adds the input-side biases that `projectInput(addBias: true)` adds, to a projection made
    /// with `addBias: false` and layer-normalised since (a default does nothing: the cells whose
    /// kernels add their biases).
    func addInputBias(_ arena: ParameterArena, to proj: MatrixRef)

    /// Adds the bias gradients from dProj (N, G) and dRec (N, G) (column sums) into the arena.
    /// Called after every other weight gradient of the sequence is accumulated, so a cell with a
    /// fixed sparsity pattern (the clockwork RNN's block mask) may also re-apply it here.
    func accumulateBiasGradients(_ arena: ParameterArena, dProj: MatrixRef, dRec: MatrixRef)
}

extension RecurrentCell {
    @inlinable public func backwardWeights(_ arena: ParameterArena) -> StepWeights { stepWeights(arena) }
    @inlinable public func addInputBias(_ arena: ParameterArena, to proj: MatrixRef) {}
}

/// A cell whose input projection is x·W_ihᵀ alone (its biases are added inside its kernel):
/// every cell but the GRU.
public protocol KernelBiasedInput: RecurrentCell {}

extension KernelBiasedInput {
    /// proj (N, G) = x·W_ih[:, columns]ᵀ (+ proj when `accumulate`); `addBias` is moot (the
    /// kernel adds the bias).
    @inlinable
    public func projectInput(_ arena: ParameterArena, _ x: MatrixRef, columns: Range<Int>?, into proj: MatrixRef,
                             addBias: Bool, accumulate: Bool) {
        let w = arena.value(W_ih)
        gemm(x, columns.map { w.cols($0) } ?? w, transB: true, into: proj, beta: accumulate ? 1 : 0)
    }
}

/// A cell with one bias `b` (G) that its kernel adds to the gates and whose gradient is the
/// column sum of the gate gradients: rnn, lstm, coupled, esn, clockwork.
public protocol SingleBiasCell: KernelBiasedInput where StepWeights == UnsafePointer<Float> {
    var b: Param { get }
}

extension SingleBiasCell {
    /// The bias b (G).
    @inlinable
    public func stepWeights(_ arena: ParameterArena) -> UnsafePointer<Float> { UnsafePointer(arena.value(b).ptr) }

    @inlinable
    public func accumulateBiasGradients(_ arena: ParameterArena, dProj: MatrixRef, dRec: MatrixRef) {
        accumulateColumnSums(of: dProj, into: arena.grad(b).ptr)
    }
}
