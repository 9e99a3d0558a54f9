// The one recurrent sequence loop, forward and backward, over any RecurrentCell.
//
// Layout (docs/layers.md): x (T·B, In), row t·B + b is step t of sequence b; lengths[b] ≤ T.
//
// Split like Marian: the input projection of all T·B rows is ONE gemm (the cell's
// `projectInput`) into the (T·B, G) buffer before the time loop; each step runs one gemm
// h·W_hhᵀ of (n, H)×(H, G) over the active rows and the cell's fused per-row kernel. Backward
// runs the cell's backward kernel and one (n, G)×(G, H) gemm per step, then dX, dW_ih, dW_hh and
// the bias gradients as single gemms (column sums) over all T·B rows.
//
// Padding is exact and done without moving data: the rows active at step s are those with
// lengths[b] > s. Step s of sequence b is time t = s (forward) or t = lengths[b]-1-s
// (`reverse`, so each sequence starts at its own real end); everything is stored at row
// t·B + b, i.e. in the same time layout as x and the outputs. Inactive rows carry the state
// unchanged, padded output rows are 0 and padded steps get zero gradient. When the lengths are
// sorted longest first (the usual bucketed batch) the per-step gemms run on the active prefix
// only.
//
// State: `initial` / `final` / `dFinal` / `dInitial` list the cell's state parts in order
// ((h, c) for an LSTM, (h) for a GRU), each (B, H) or nil (zeros / not wanted); missing
// trailing entries are nil. The loop is generic and @inlinable: it is specialised for each cell
// (the kernels inline into it), never run through an existential.

import NMTTensor

/// Layer normalisation of a cell's two products (Ba et al. 2016, as Marian's
/// --layer-normalization): gates = LN(x·W_ihᵀ) + LN(h·W_hhᵀ) + the cell's biases, each LN with a
/// gain of its own (width G, initialised to 1) and no bias of its own.
public struct RecurrentNorm {
    public let input: LayerNorm       // "\(name).ln_ih.g"
    public let recurrent: LayerNorm   // "\(name).ln_hh.g"
    public init(_ arena: ParameterArena, name: String, gateWidth G: Int) {
        input = LayerNorm(arena, name: "\(name).ln_ih", width: G, bias: false)
        recurrent = LayerNorm(arena, name: "\(name).ln_hh", width: G, bias: false)
    }
    /// The two gains, in registration order.
    public var gains: [Param] { [input.gain, recurrent.gain] }
}

public struct RecurrentLayer<Cell: RecurrentCell> {
    public let cell: Cell
    public let reverse: Bool
    /// Layer normalisation of the two products; nil: none.
    public let norm: RecurrentNorm?
    @inlinable public var input: Int { cell.input }
    @inlinable public var hidden: Int { cell.hidden }

    @inlinable public init(cell: Cell, reverse: Bool = false, norm: RecurrentNorm? = nil) {
        self.cell = cell; self.reverse = reverse; self.norm = norm
    }

    /// x (T·B, In) → outputs (T·B, H) (0 at padded rows; may be a column view of a wider
    /// buffer); final[p] (B, H): state part p of each sequence after its last real step.
    /// initial[p] (B, H): optional initial state part (zeros when absent). B = lengths.count.
    /// `firstStep`: the step number of x's first row in reading order (a sequence continued
    /// from a carried state, one token at a time: the clockwork RNN's schedule reads it).
    @inlinable
    public func forward(_ arena: ParameterArena, x: MatrixRef, lengths: [Int], steps T: Int,
                        initial: [MatrixRef?], outputs: MatrixRef, final: [MatrixRef?], cache: RecurrentCache,
                        firstStep: Int = 0) {
        let B = lengths.count, H = cell.hidden, G = cell.gateWidth, K = cell.cacheWidth, P = Cell.stateParts
        precondition(x.rows == T * B && x.cols == cell.input, "recurrent forward: x (\(x.rows), \(x.cols)) for T \(T), B \(B), In \(cell.input)")
        precondition(outputs.rows == T * B && outputs.cols == H, "recurrent forward: outputs (\(outputs.rows), \(outputs.cols))")
        precondition(initial.count <= P && final.count <= P, "recurrent forward: more state parts than the cell's \(P)")
        cache.prepare(steps: T, lengths: lengths, hidden: H, gateWidth: G, cacheWidth: K, parts: P,
                      shared: Cell.sharedGateGradient)
        cache.firstStep = firstStep
        if B == 0 { return }
        // Initial state.
        cache.hasInitialState = initial.contains { $0 != nil }
        let initialM = cache.initial.matrix, stateM = cache.state.matrix          // (P·B, H)
        for p in 0..<P {
            if p < initial.count, let m = initial[p] { initialM.rows(p * B ..< (p + 1) * B).copy(from: m) }
            else { initialM.rows(p * B ..< (p + 1) * B).zero() }
        }
        stateM.copy(from: initialM)

        let proj = cache.proj.matrix                          // (T·B, G)
        cell.projectInput(arena, x, columns: nil, into: proj, addBias: norm == nil, accumulate: false)
        if let norm {
            cache.prepareNorm()
            norm.input.forward(arena, proj, into: proj, cache: cache.lnInput)
            cell.addInputBias(arena, to: proj)
        }
        let lnW = norm.map { $0.recurrent.weights(arena) }
        let lnRecP = cache.lnRec.ptr, lnRstdP = cache.lnRecRstd.ptr
        let whh = arena.value(cell.W_hh)                      // (G, H)
        let w = cell.stepWeights(arena)
        let stateH = stateM.rows(0..<B)                       // (B, H) running h
        let stepRec = cache.stepRec.matrix                    // (B, G)
        let projP = proj.ptr, cacheP = cache.rowCache.ptr, histP = cache.history.ptr
        let stateP = stateM.ptr, histStride = T * B * H, stateStride = B * H

        for s in 0..<T {
            let n = cache.rowsAt(s)
            if n == 0 { continue }
            if s == 0 && !cache.hasInitialState {
                stepRec.rows(0..<n).zero()
            } else {
                gemm(stateH.rows(0..<n), whh, transB: true, into: stepRec.rows(0..<n))
            }
            for bb in 0..<n {
                let len = lengths[bb]
                if len <= s { continue }
                let t = reverse ? len - 1 - s : s
                let row = t * B + bb
                let st = StateRow(stateP + bb * H, stride: stateStride)
                if let norm, let lnW {
                    norm.recurrent.forwardRow(lnW, stepRec.row(bb), into: stepRec.row(bb), normalized: lnRecP + row * G,
                                              rstd: lnRstdP + row)
                }
                cell.forwardRow(w, step: firstStep + s, proj: projP + row * G, rec: UnsafePointer(stepRec.row(bb)), prev: st, next: st,
                                saved: StateRow(histP + row * H, stride: histStride), cache: cacheP + row * K,
                                out: outputs.row(row))
            }
        }
        // Padded rows: zero output (and zero in the saved h, which backward reads as h_prev).
        for bb in 0..<B where lengths[bb] < T {
            for t in lengths[bb]..<T {
                let row = t * B + bb
                outputs.row(row).update(repeating: 0, count: H)
                (histP + row * H).update(repeating: 0, count: H)
            }
        }
        for p in 0..<min(P, final.count) {
            if let m = final[p] { m.copy(from: stateM.rows(p * B ..< (p + 1) * B)) }
        }
    }

    /// Backpropagation through time for the last `forward` with this cache.
    /// dOutputs (T·B, H) (rows at padded steps are ignored), dFinal[p] (B, H) optional.
    /// Accumulates the gradients of W_ih, W_hh and the biases; assigns dX (T·B, In) (adds when
    /// `accumulateDX`, for two directions reading one input); assigns dInitial[p] (B, H) when
    /// given (the gradient of the initial state, zero state included). dInitial[0] (h) must be
    /// given when any later part is.
    @inlinable
    public func backward(_ arena: ParameterArena, x: MatrixRef, dOutputs: MatrixRef?, dFinal: [MatrixRef?],
                         dX: MatrixRef?, accumulateDX: Bool, dInitial: [MatrixRef?], cache: RecurrentCache) {
        let T = cache.steps, B = cache.batch, H = cell.hidden, G = cell.gateWidth, K = cell.cacheWidth
        let P = Cell.stateParts
        let lengths = cache.lengths
        precondition(cache.hidden == H && cache.gateWidth == G && x.rows == T * B && x.cols == cell.input,
                     "recurrent backward: cache/input shape mismatch")
        if let dOutputs { precondition(dOutputs.rows == T * B && dOutputs.cols == H, "recurrent backward: dOutputs shape") }
        if B == 0 || T == 0 {
            if let dX, !accumulateDX { dX.zero() }
            for case let m? in dInitial { m.zero() }
            return
        }
        let dStateM = cache.dState.matrix                     // (P·B, H)
        for p in 0..<P {
            if p < dFinal.count, let m = dFinal[p] { dStateM.rows(p * B ..< (p + 1) * B).copy(from: m) }
            else { dStateM.rows(p * B ..< (p + 1) * B).zero() }
        }
        let dProj = cache.dProj.matrix, dRec = cache.dRec.matrix   // (T·B, G) each (one tensor when shared)
        for bb in 0..<B where lengths[bb] < T {
            for t in lengths[bb]..<T {
                dProj.row(t * B + bb).update(repeating: 0, count: G)
                if !Cell.sharedGateGradient { dRec.row(t * B + bb).update(repeating: 0, count: G) }
            }
        }
        let stepD = cache.stepRec.matrix                      // (B, G), reverse only
        if reverse { stepD.zero() }
        let whh = arena.value(cell.W_hh)                      // (G, H)
        let w = cell.backwardWeights(arena)
        let dh = dStateM.rows(0..<B)                          // (B, H) running dL/dh
        let projP = UnsafePointer(cache.proj.ptr), cacheP = UnsafePointer(cache.rowCache.ptr)
        let histP = cache.history.ptr, initP = cache.initial.ptr, dStateP = dStateM.ptr
        let histStride = T * B * H, stateStride = B * H
        let needInitialGrad = dInitial.contains { $0 != nil }
        let lnW = norm.map { $0.recurrent.weights(arena) }
        let lnRecP = UnsafePointer(cache.lnRec.ptr), lnRstdP = cache.lnRecRstd.ptr
        if norm != nil {
            for bb in 0..<B where lengths[bb] < T {
                for t in lengths[bb]..<T { cache.dRecPre.matrix.row(t * B + bb).update(repeating: 0, count: G) }
            }
        }

        for s in stride(from: T - 1, through: 0, by: -1) {
            let n = cache.rowsAt(s)
            if n == 0 { continue }
            for bb in 0..<n {
                let len = lengths[bb]
                if len <= s { continue }
                let t = reverse ? len - 1 - s : s
                let row = t * B + bb
                let prev: StateRow
                if reverse {
                    prev = t + 1 < len ? StateRow(histP + (row + B) * H, stride: histStride)
                                       : StateRow(initP + bb * H, stride: stateStride)
                } else {
                    prev = t > 0 ? StateRow(histP + (row - B) * H, stride: histStride)
                                 : StateRow(initP + bb * H, stride: stateStride)
                }
                let dR = reverse ? stepD.row(bb) : dRec.row(row)
                let dP = Cell.sharedGateGradient ? dR : dProj.row(row)
                cell.backwardRow(w, step: cache.firstStep + s, proj: projP + row * G, cache: cacheP + row * K, prev: prev,
                                 dOut: dOutputs.map { UnsafePointer($0.row(row)) },
                                 dState: StateRow(dStateP + bb * H, stride: stateStride), dProj: dP, dRec: dR)
                if let norm, let lnW {
                    // Keep dL/d(normalised product) for the biases (and, shared, the projection),
                    // then turn dR into dL/d(h·W_hhᵀ).
                    cache.dRecPre.matrix.row(row).update(from: dR, count: G)
                    norm.recurrent.backwardRow(lnW, dR, into: dR, normalized: lnRecP + row * G, rstd: lnRstdP[row])
                }
                if reverse { dRec.row(row).update(from: dR, count: G) }
            }
            // dh_prev (active rows) += dRec_s · W_hh.
            if s > 0 || needInitialGrad {
                let dRs = reverse ? stepD.rows(0..<n) : dRec.rows(s * B ..< s * B + n)
                gemm(dRs, whh, into: dh.rows(0..<n), beta: 1)
            }
        }
        for p in 0..<min(P, dInitial.count) {
            if let m = dInitial[p] { m.copy(from: dStateM.rows(p * B ..< (p + 1) * B)) }
        }

        // Parameter gradients and dX over all T·B rows at once. With layer normalisation the
        // biases see the gradients of the normalised products, W_ih and dX the projection's own.
        var dProjIn = dProj, dProjBias = dProj, dRecBias = dRec
        if let norm {
            dProjBias = Cell.sharedGateGradient ? cache.dRecPre.matrix : dProj
            dRecBias = cache.dRecPre.matrix
            dProjIn = cache.dProjRaw.matrix
            norm.input.backward(arena, dY: dProjBias, dX: dProjIn, cache: cache.lnInput)
        }
        gemm(dProjIn, transA: true, x, into: arena.grad(cell.W_ih), beta: 1)
        let hs = cache.history.matrix.rows(0 ..< T * B)       // (T·B, H), 0 at padded rows
        let gWhh = arena.grad(cell.W_hh)
        if T > 1 {
            // h_prev of row (t, b) is h at (t∓1, b); where that is a padded row it reads 0, which
            // is right unless an initial state was given (added below).
            if reverse {
                gemm(dRec.rows(0 ..< (T - 1) * B), transA: true, hs.rows(B ..< T * B), into: gWhh, beta: 1)
            } else {
                gemm(dRec.rows(B ..< T * B), transA: true, hs.rows(0 ..< (T - 1) * B), into: gWhh, beta: 1)
            }
        }
        if cache.hasInitialState {
            // The first real step of each sequence read h0.
            let first: MatrixRef
            if reverse {
                first = stepD
                for bb in 0..<B {
                    let len = lengths[bb]
                    if len > 0 {
                        first.row(bb).update(from: dRec.row((len - 1) * B + bb), count: G)
                    } else {
                        first.row(bb).update(repeating: 0, count: G)
                    }
                }
            } else {
                first = dRec.rows(0..<B)
            }
            gemm(first, transA: true, cache.initial.matrix.rows(0..<B), into: gWhh, beta: 1)
        }
        if let dX {
            precondition(dX.rows == T * B && dX.cols == cell.input, "recurrent backward: dX shape")
            gemm(dProjIn, arena.value(cell.W_ih), into: dX, beta: accumulateDX ? 1 : 0)
        }
        cell.accumulateBiasGradients(arena, dProj: dProjBias, dRec: dRecBias)
    }
}
