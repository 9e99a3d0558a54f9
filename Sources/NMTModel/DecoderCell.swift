// The decoder's recurrent cell: any sequence cell (CellKind), stepped over the rows of one target
// step (training: the B sentences at time t; decoding: the R hypothesis rows), forward and
// backward side by side. The attention decoder interleaves attention between steps, so it cannot
// hand the whole sequence to the sequence loop; it runs the same per-row kernels the loop runs.
//
// Per step: rec (R, G) = h_prev·W_hhᵀ (one gemm over all rows), then each active row runs the
// cell's forward kernel; an inactive (padded) row copies its state unchanged and leaves its
// projection and cache alone. Backward: an active row runs the cell's backward kernel; an inactive
// one passes dL/dstate through and gets zero projection gradients, so padding is exact.
//
// State rows: part p (width H) of row r at `base + r·H + p·stride` (h is part 0).
// Tensor names: "<name>.<cell>.…" (decoder.gru.W_ih, decoder.lstm.b, …): the cell is in the name.
// The kernels get step 0: no decoder cell runs on a schedule (the clockwork RNN is for language
// models only).
//
// Layer normalisation (StepNorm, as the sequence loop's RecurrentNorm): the caller builds each
// step's input projection without the input-side bias; forwardStep normalises it per active row,
// adds the cell's input bias, then normalises each row of h·W_hhᵀ before the kernel.
// backwardStep runs the kernel into the step's normalised-gradient rows (what the biases need)
// and the two normalisations' backward into dProj / dRec (what W_ih, W_hh and the recurrence
// need).

import NMTLayers
import NMTTensor

/// Rows of a recurrent state: part p of row r at `base + r·H + p·stride`.
public struct StateRows {
    public let base: UnsafeMutablePointer<Float>
    public let stride: Int
    public init(_ base: UnsafeMutablePointer<Float>, stride: Int) { self.base = base; self.stride = stride }
    @inlinable func row(_ r: Int, _ H: Int) -> StateRow { StateRow(base + r * H, stride: stride) }
}

/// One step's layer-normalisation caches: x̂ (rows, G) and rstd (rows) of the input projection
/// and of the recurrent product, row r of the step at row r.
public struct StepNorm {
    public let norm: RecurrentNorm
    public let input: MatrixRef, inputRstd: UnsafeMutablePointer<Float>
    public let recurrent: MatrixRef, recurrentRstd: UnsafeMutablePointer<Float>
    public init(_ norm: RecurrentNorm, input: MatrixRef, inputRstd: UnsafeMutablePointer<Float>,
                recurrent: MatrixRef, recurrentRstd: UnsafeMutablePointer<Float>) {
        self.norm = norm; self.input = input; self.inputRstd = inputRstd
        self.recurrent = recurrent; self.recurrentRstd = recurrentRstd
    }
}

public enum DecoderCell {
    case rnn(ElmanCell)
    case lstm(LSTMCell)
    case peephole(PeepholeLSTMCell)
    case coupled(CoupledLSTMCell)
    case gru(GRUCell)

    /// Registers "\(name).W_ih" … (each cell's own tensors and init).
    public init(_ kind: CellKind, _ arena: ParameterArena, name: String, input: Int, hidden: Int) {
        switch kind {
        case .rnn: self = .rnn(ElmanCell(arena, name: name, input: input, hidden: hidden))
        case .lstm: self = .lstm(LSTMCell(arena, name: name, input: input, hidden: hidden, orthogonalRecurrent: true))
        case .peephole: self = .peephole(PeepholeLSTMCell(arena, name: name, input: input, hidden: hidden))
        case .coupled: self = .coupled(CoupledLSTMCell(arena, name: name, input: input, hidden: hidden))
        case .gru: self = .gru(GRUCell(arena, name: name, input: input, hidden: hidden))
        case .esn, .clockwork: preconditionFailure("\(kind.rawValue) cannot be a decoder cell")
        }
    }

    public var kind: CellKind {
        switch self {
        case .rnn: return .rnn
        case .lstm: return .lstm
        case .peephole: return .peephole
        case .coupled: return .coupled
        case .gru: return .gru
        }
    }

    private var any: any RecurrentCell {
        switch self {
        case .rnn(let c): return c
        case .lstm(let c): return c
        case .peephole(let c): return c
        case .coupled(let c): return c
        case .gru(let c): return c
        }
    }

    public var W_ih: Param { any.W_ih }
    public var W_hh: Param { any.W_hh }
    public var hidden: Int { any.hidden }
    public var gateWidth: Int { any.gateWidth }
    public var cacheWidth: Int { any.cacheWidth }
    public var stateParts: Int { kind.stateParts }
    /// One gradient buffer for the projection and the recurrent product (see RecurrentCell).
    public var sharedGateGradient: Bool {
        switch self {
        case .gru: return false
        case .rnn, .lstm, .peephole, .coupled: return true
        }
    }

    /// Every tensor of the cell, in registration order (without a normalisation's gains).
    public var parameters: [Param] {
        switch self {
        case .rnn(let c): return [c.W_ih, c.W_hh, c.b]
        case .lstm(let c): return [c.W_ih, c.W_hh, c.b]
        case .peephole(let c): return [c.W_ih, c.W_hh, c.b, c.peephole]
        case .coupled(let c): return [c.W_ih, c.W_hh, c.b]
        case .gru(let c): return [c.W_ih, c.W_hh, c.b_ih, c.b_hh]
        }
    }

    public func initializeForgetBias(_ arena: ParameterArena) {
        switch self {
        case .lstm(let c): c.initializeForgetBias(arena)
        case .peephole(let c): c.initializeForgetBias(arena)
        case .coupled(let c): c.initializeForgetBias(arena)
        case .rnn, .gru: break
        }
    }

    /// proj (N, G) = x·W_ih[:, columns]ᵀ (+ input-side biases when `addBias`) (+ proj when `accumulate`).
    public func projectInput(_ arena: ParameterArena, _ x: MatrixRef, columns: Range<Int>?, into proj: MatrixRef,
                             addBias: Bool = true, accumulate: Bool = false) {
        any.projectInput(arena, x, columns: columns, into: proj, addBias: addBias, accumulate: accumulate)
    }

    /// Adds the input-side biases a layer-normalised projection was built without (a GRU's b_ih).
    public func addInputBias(_ arena: ParameterArena, to proj: MatrixRef) { any.addInputBias(arena, to: proj) }

    public func accumulateBiasGradients(_ arena: ParameterArena, dProj: MatrixRef, dRec: MatrixRef) {
        any.accumulateBiasGradients(arena, dProj: dProj, dRec: dRec)
    }

    /// One step over `rows` rows: rec (rows, G) = h_prev·W_hhᵀ, then the cell kernel per active
    /// row (proj (rows, G) in, possibly overwritten with activations; cache (rows, K) out);
    /// inactive rows (`active[r] == 0`) copy prev to next. next may equal prev (in place).
    /// With `norm`, proj comes without the input-side bias and both products are normalised.
    public func forwardStep(_ arena: ParameterArena, rows: Int, proj: MatrixRef, prev: StateRows, next: StateRows,
                            rec: MatrixRef, cache: MatrixRef, active: UnsafePointer<UInt8>?, norm: StepNorm? = nil) {
        let H = hidden
        if let norm {
            let ln = norm.norm.input, w = ln.weights(arena)
            for r in 0..<rows where active.map({ $0[r] != 0 }) ?? true {
                ln.forwardRow(w, proj.row(r), into: proj.row(r), normalized: norm.input.row(r), rstd: norm.inputRstd + r)
            }
            addInputBias(arena, to: proj)
        }
        gemm(MatrixRef(prev.base, rows: rows, cols: H), arena.value(W_hh), transB: true, into: rec)
        switch self {
        case .rnn(let c): Self.forwardRows(c, c.stepWeights(arena), rows, proj, prev, next, rec, cache, active, norm, arena)
        case .lstm(let c): Self.forwardRows(c, c.stepWeights(arena), rows, proj, prev, next, rec, cache, active, norm, arena)
        case .peephole(let c): Self.forwardRows(c, c.stepWeights(arena), rows, proj, prev, next, rec, cache, active, norm, arena)
        case .coupled(let c): Self.forwardRows(c, c.stepWeights(arena), rows, proj, prev, next, rec, cache, active, norm, arena)
        case .gru(let c): Self.forwardRows(c, c.stepWeights(arena), rows, proj, prev, next, rec, cache, active, norm, arena)
        }
    }

    @inlinable
    static func forwardRows<C: RecurrentCell>(_ cell: C, _ w: C.StepWeights, _ rows: Int, _ proj: MatrixRef,
                                              _ prev: StateRows, _ next: StateRows, _ rec: MatrixRef, _ cache: MatrixRef,
                                              _ active: UnsafePointer<UInt8>?, _ norm: StepNorm?, _ arena: ParameterArena) {
        let H = cell.hidden, P = C.stateParts
        let lnW = norm.map { $0.norm.recurrent.weights(arena) }
        for r in 0..<rows {
            let p = prev.row(r, H), n = next.row(r, H)
            if let active, active[r] == 0 {
                if p.ptr != n.ptr { for k in 0..<P { n.part(k).update(from: p.part(k), count: H) } }
                continue
            }
            if let norm, let lnW {
                norm.norm.recurrent.forwardRow(lnW, rec.row(r), into: rec.row(r), normalized: norm.recurrent.row(r),
                                               rstd: norm.recurrentRstd + r)
            }
            cell.forwardRow(w, step: 0, proj: proj.row(r), rec: UnsafePointer(rec.row(r)), prev: p, next: n, saved: n,
                            cache: cache.row(r), out: n.ptr)
        }
    }

    /// Backward of one step over `rows` rows. dState (part p of row r at `dState.base + r·H +
    /// p·stride`): on entry dL/d(state after the step) without dOut; on exit dL/d(state before)
    /// except the recurrent product's path, which the caller adds (dRec·W_hh into part 0).
    /// dOut (rows, H): the gradient of the step's output h. Writes dProj and dRec (rows, G) (one
    /// buffer when `sharedGateGradient` and no `norm`: pass the same matrix); inactive rows: zero.
    /// With `norm` (the forward's): the kernel writes dL/d(normalised products) into
    /// `normalized.proj` / `.rec` (one matrix when `sharedGateGradient`), and dProj / dRec get
    /// dL/d(the products before normalisation) (two matrices).
    public func backwardStep(_ arena: ParameterArena, rows: Int, proj: MatrixRef, cache: MatrixRef, prev: StateRows,
                             dOut: MatrixRef, dState: StateRows, dProj: MatrixRef, dRec: MatrixRef,
                             active: UnsafePointer<UInt8>?, norm: StepNorm? = nil,
                             normalized: (proj: MatrixRef, rec: MatrixRef)? = nil) {
        precondition((norm == nil) == (normalized == nil), "backwardStep: norm and its gradient rows go together")
        let kP = normalized?.proj ?? dProj, kR = normalized?.rec ?? dRec
        switch self {
        case .rnn(let c): Self.backwardRows(c, c.backwardWeights(arena), rows, proj, cache, prev, dOut, dState, kP, kR, active)
        case .lstm(let c): Self.backwardRows(c, c.backwardWeights(arena), rows, proj, cache, prev, dOut, dState, kP, kR, active)
        case .peephole(let c): Self.backwardRows(c, c.backwardWeights(arena), rows, proj, cache, prev, dOut, dState, kP, kR, active)
        case .coupled(let c): Self.backwardRows(c, c.backwardWeights(arena), rows, proj, cache, prev, dOut, dState, kP, kR, active)
        case .gru(let c): Self.backwardRows(c, c.backwardWeights(arena), rows, proj, cache, prev, dOut, dState, kP, kR, active)
        }
        guard let norm, let normalized else { return }
        let G = gateWidth
        let lnIn = norm.norm.input, lnRec = norm.norm.recurrent
        let wIn = lnIn.weights(arena), wRec = lnRec.weights(arena)
        for r in 0..<rows {
            if let active, active[r] == 0 {
                dProj.row(r).update(repeating: 0, count: G)
                dRec.row(r).update(repeating: 0, count: G)
                continue
            }
            lnRec.backwardRow(wRec, UnsafePointer(normalized.rec.row(r)), into: dRec.row(r),
                              normalized: UnsafePointer(norm.recurrent.row(r)), rstd: norm.recurrentRstd[r])
            lnIn.backwardRow(wIn, UnsafePointer(normalized.proj.row(r)), into: dProj.row(r),
                             normalized: UnsafePointer(norm.input.row(r)), rstd: norm.inputRstd[r])
        }
    }

    @inlinable
    static func backwardRows<C: RecurrentCell>(_ cell: C, _ w: C.StepWeights, _ rows: Int, _ proj: MatrixRef,
                                               _ cache: MatrixRef, _ prev: StateRows, _ dOut: MatrixRef,
                                               _ dState: StateRows, _ dProj: MatrixRef, _ dRec: MatrixRef,
                                               _ active: UnsafePointer<UInt8>?) {
        let H = cell.hidden, G = cell.gateWidth
        for r in 0..<rows {
            let d = dState.row(r, H)
            if let active, active[r] == 0 {
                // s_t = s_{t−1}: the state's gradient passes through (with the output's, 0 here).
                addInPlace(d.ptr, dOut.row(r), count: H)
                dProj.row(r).update(repeating: 0, count: G)
                if !C.sharedGateGradient { dRec.row(r).update(repeating: 0, count: G) }
                continue
            }
            cell.backwardRow(w, step: 0, proj: UnsafePointer(proj.row(r)), cache: UnsafePointer(cache.row(r)), prev: prev.row(r, H),
                             dOut: UnsafePointer(dOut.row(r)), dState: d, dProj: dProj.row(r),
                             dRec: C.sharedGateGradient ? dProj.row(r) : dRec.row(r))
        }
    }
}
