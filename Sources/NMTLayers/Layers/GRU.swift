// GRU over rows of one step (the attention decoder's use), forward and backward, on top of the
// GRU cell (Cells/GRUCell.swift: equations, layout, kernels). For a whole padded sequence use
// the shared loop: `RecurrentLayer<GRUCell>` (typealias `GRULayer`).
//
// The input projection x·W_ihᵀ + b_ih does not depend on the recurrence, so callers compute it
// for many steps at once (`projectInput`) and pass one step's rows (B, 3H) to `step`, which runs
// the one recurrent gemm (B, H)·(H, 3H) of the step into gates[:, 0..<3H] and then the cell's
// per-row kernel `GRUCell.forwardRow` (the same function the sequence loop calls).
//
// Per-step cache `gates` (B, 4H) = [ r | z | n | hn ]. Inactive rows (padding:
// `active[row] == 0`) carry the state through (`GRUCell.carryRow`), which gives them exactly zero
// gradient in `gateBackward` without any mask.

import NMTTensor

/// The sequence layer over the GRU cell (padded batches, reverse direction, BPTT).
public typealias GRULayer = RecurrentLayer<GRUCell>

public struct GRU {
    public let cell: GRUCell
    public var input: Int { cell.input }
    public var hidden: Int { cell.hidden }
    public var W_ih: Param { cell.W_ih }   // (3H, In)
    public var W_hh: Param { cell.W_hh }   // (3H, H)
    public var b_ih: Param { cell.b_ih }   // (3H)
    public var b_hh: Param { cell.b_hh }   // (3H)

    /// Registers `<name>.W_ih`, `<name>.W_hh`, `<name>.b_ih`, `<name>.b_hh` (see GRUCell.init).
    public init(_ arena: ParameterArena, name: String, input: Int, hidden: Int) {
        cell = GRUCell(arena, name: name, input: input, hidden: hidden)
    }

    // MARK: building blocks (used by the decoder over all time steps)

    /// xProj (N, 3H) = x (N, In')·W_ih[:, cols]ᵀ (+ b_ih if `addBias`) (+ xProj if `accumulate`).
    public func projectInput(_ arena: ParameterArena, _ x: MatrixRef, columns: Range<Int>? = nil,
                             into xProj: MatrixRef, addBias: Bool = true, accumulate: Bool = false) {
        cell.projectInput(arena, x, columns: columns, into: xProj, addBias: addBias, accumulate: accumulate)
    }

    /// gates[:, 0..<3H] = hPrev (B, H)·W_hhᵀ   (the one recurrent gemm of a step; b_hh is added
    /// inside the cell kernel).
    @inlinable
    public func recurrent(_ arena: ParameterArena, hPrev: MatrixRef, gates: MatrixRef) {
        gemm(hPrev, arena.value(cell.W_hh), transB: true, into: gates.cols(0..<3 * cell.hidden))
    }

    /// One step: `recurrent` + the cell's forward kernel per row. xProj (B, 3H) includes b_ih;
    /// gates (B, 4H) out; hNew (B, H) out (may be hPrev). `active` (B) optional per-row flags
    /// (0 = padded row, carry h through).
    @inlinable
    public func step(_ arena: ParameterArena, xProj: MatrixRef, hPrev: MatrixRef, gates: MatrixRef,
                     hNew: MatrixRef, active: UnsafePointer<UInt8>? = nil) {
        let H = cell.hidden
        precondition(xProj.cols == 3 * H && gates.cols == 4 * H && hPrev.cols == H && hNew.cols == H)
        precondition(xProj.rows == hNew.rows && gates.rows == hNew.rows && hPrev.rows == hNew.rows)
        recurrent(arena, hPrev: hPrev, gates: gates)
        let w = cell.stepWeights(arena)                      // b_hh (3H)
        for row in 0..<hNew.rows {
            let prev = StateRow(hPrev.row(row), stride: 0), next = StateRow(hNew.row(row), stride: 0)
            let g = gates.row(row)                           // (4H), rec in 0..<3H on entry
            if let a = active, a[row] == 0 {
                cell.carryRow(prev: prev, next: next, cache: g)
                continue
            }
            cell.forwardRow(w, step: 0, proj: xProj.row(row), rec: UnsafePointer(g), prev: prev, next: next, saved: next,
                            cache: g, out: next.ptr)
        }
    }

    /// The cell's backward kernel over rows. dH (B, H) = ∂L/∂h' (total); writes
    ///   dXProj (B, 3H) = ∂L/∂(x·W_ihᵀ + b_ih),  dHProj (B, 3H) = ∂L/∂(h·W_hhᵀ + b_hh),
    ///   dHPrev (B, H)  = dH ⊙ z   (the direct path; the caller adds dHProj·W_hh)
    /// (all assigned). dHPrev may alias dH.
    @inlinable
    public static func gateBackward(dH: MatrixRef, hPrev: MatrixRef, gates: MatrixRef,
                                    dXProj: MatrixRef, dHProj: MatrixRef, dHPrev: MatrixRef) {
        let H = dH.cols
        precondition(gates.cols == 4 * H && dXProj.cols == 3 * H && dHProj.cols == 3 * H && dHPrev.cols == H)
        for row in 0..<dH.rows {
            let dprev = dHPrev.row(row)
            if dprev != dH.row(row) { dprev.update(from: dH.row(row), count: H) }
            GRUCell.backwardKernel(H: H, cache: gates.row(row), prev: StateRow(hPrev.row(row), stride: 0), dOut: nil,
                                   dState: StateRow(dprev, stride: 0), dProj: dXProj.row(row), dRec: dHProj.row(row))
        }
    }

    // MARK: a self-contained step (forward + backward), for tests and simple callers

    /// Forward of one step on x (B, In), hPrev (B, H) → cache.hNew (B, H).
    @discardableResult
    public func forward(_ arena: ParameterArena, x: MatrixRef, hPrev: MatrixRef, cache: GRUStepCache) -> MatrixRef {
        cache.prepare(rows: x.rows, hidden: hidden)
        let xProj = cache.xProj.matrix, gates = cache.gates.matrix, hNew = cache.hNew.matrix
        projectInput(arena, x, into: xProj)
        step(arena, xProj: xProj, hPrev: hPrev, gates: gates, hNew: hNew)
        return hNew
    }

    /// Backward of one `forward`: grads of W_ih, W_hh, b_ih, b_hh (+=); dX (B, In) (=, optional);
    /// dHPrev (B, H) (=).
    public func backward(_ arena: ParameterArena, x: MatrixRef, hPrev: MatrixRef, dHNew: MatrixRef,
                         cache: GRUStepCache, dX: MatrixRef?, dHPrev: MatrixRef) {
        let dXProj = cache.dXProj.matrix, dHProj = cache.dHProj.matrix
        GRU.gateBackward(dH: dHNew, hPrev: hPrev, gates: cache.gates.matrix,
                         dXProj: dXProj, dHProj: dHProj, dHPrev: dHPrev)
        gemm(dHProj, transA: true, hPrev, into: arena.grad(W_hh), beta: 1)
        accumulateColumnSums(of: dHProj, into: arena.grad(b_hh).ptr)
        gemm(dHProj, arena.value(W_hh), into: dHPrev, beta: 1)
        gemm(dXProj, transA: true, x, into: arena.grad(W_ih), beta: 1)
        accumulateColumnSums(of: dXProj, into: arena.grad(b_ih).ptr)
        if let dX { gemm(dXProj, arena.value(W_ih), into: dX) }
    }
}

/// Buffers of one GRU step, reused while the batch size stays the same.
public final class GRUStepCache {
    public private(set) var xProj = Tensor([0, 0])    // (B, 3H)
    public private(set) var gates = Tensor([0, 0])    // (B, 4H)  [r | z | n | hn]
    public private(set) var hNew = Tensor([0, 0])     // (B, H)
    public private(set) var dXProj = Tensor([0, 0])   // (B, 3H)
    public private(set) var dHProj = Tensor([0, 0])   // (B, 3H)
    public init() {}

    func prepare(rows: Int, hidden H: Int) {
        if hNew.shape == [rows, H] { return }
        xProj = Tensor([rows, 3 * H]); gates = Tensor([rows, 4 * H]); hNew = Tensor([rows, H])
        dXProj = Tensor([rows, 3 * H]); dHProj = Tensor([rows, 3 * H])
    }
}
