// The attention decoder with input feeding, over all target steps of a batch (training), plus a
// forward-only step API over hypothesis rows (beam search / greedy decoding).
//
// For t in 0..<Ty (B sentences, time-major rows t·B + b):
//   x_t        = [e_t ; c_{t−1}]                       (B, E + C), c_{−1} = 0   (input feeding)
//   s_t        = cell(x_t, s_{t−1})                    (B, Hd), s_{−1} = s0 (GRU unless config.cell says
//                                                     another; a cell state c starts at 0)
//   α_t, c_t   = attention(s_t, keys, encOut, srcLen)  (B, Tx), (B, C)
// then, for all Ty·B rows at once:
//   o          = dropout(tanh(W_o·[s ; c] + b_o))      (Ty·B, P)
// The caller applies the output projection P → V and the loss over all rows at once.
//
// Batching (docs/layers.md, one gemm for the input side of all steps): the embedding part of every step's input projection is ONE gemm
// (Ty·B, E)·(E, G) before the loop; per step only c_{t−1}·W_icᵀ, s_{t−1}·W_hhᵀ (one gemm for all
// gates) and the query s_t·W_qᵀ run. The cell steps through DecoderCell.swift (the kernels the
// sequence loop runs). The attention keys are computed once per batch; the
// pre-output is two gemms over Ty·B rows after the loop (W_o split by columns: no concatenation).
// In the backward pass only the gemms that carry the recurrence run per step; every weight
// gradient (W_ih both parts, W_hh, W_q, U_k, W_o) is one gemm over all Ty·B rows after the loop.
//
// Target padding (docs/layers.md, padding is exact): a row with t ≥ tgtLen[b] is inactive: its state carries through
// (s_t = s_{t−1}), its context and attention weights are 0, its output o is 0, and the backward
// pass ignores its dO and gives it exactly zero gradient everywhere, so a sentence's outputs and
// gradients do not depend on the other sentences of the batch.
//
// Layer normalisation (config.layerNorm, as the encoder's cells: Marian's --layer-normalization):
// each step's finished input projection [e_t ; c_{t−1}]·W_ihᵀ and its recurrent product are
// normalised per row apart (DecoderCell's StepNorm), gains decoder.<cell>.ln_ih.g / ln_hh.g.
//
// Parameters: decoder.<cell>.{…} (GRU: decoder.gru.{W_ih (3Hd, E+C), W_hh (3Hd, Hd), b_ih, b_hh}),
// decoder.attn.{W_q (A, Hd), U_k (A, C), b (A), v (A)}, decoder.out.{weight (P, Hd+C), bias (P)}.

import NMTLayers
import NMTTensor
import NMTText

public struct DecoderConfig: Codable, Sendable, Equatable {
    public var embedding: Int   // E
    public var context: Int     // C  (encoder output width)
    public var hidden: Int      // Hd
    public var attention: Int   // A
    public var preOutput: Int   // P
    public var dropout: Float   // on o
    public var cell: CellKind   // the recurrent cell
    public var layerNorm: Bool  // the cell's two products layer-normalised
    public init(embedding: Int = 256, context: Int = 512, hidden: Int = 512, attention: Int = 512,
                preOutput: Int = 512, dropout: Float = 0.3, cell: CellKind = .gru, layerNorm: Bool = false) {
        self.embedding = embedding; self.context = context; self.hidden = hidden
        self.attention = attention; self.preOutput = preOutput; self.dropout = dropout; self.cell = cell
        self.layerNorm = layerNorm
    }
}

public final class Decoder {
    public let config: DecoderConfig
    public let cell: DecoderCell    // decoder.<cell>, input E + C
    public let norm: RecurrentNorm? // decoder.<cell>.ln_ih / ln_hh when config.layerNorm
    public let attention: Attention // decoder.attn
    public let out: Linear          // decoder.out, (Hd + C) → P
    public var dropout: Dropout

    // Cache of the last training forward (valid until the next forward).
    public private(set) var batch = 0, targetSteps = 0, sourceSteps = 0
    private var srcLen: [Int] = []
    private var active: [UInt8] = []               // (Ty·B): 1 when t < tgtLen[b]
    private var training = false
    private var embRef: MatrixRef?                // (Ty·B, E) the caller's, until backward
    private var encRef: MatrixRef?                // (Tx·B, C) the caller's, until backward
    private let xProjB = GrowBuffer()   // (Ty·B, G)     input projection, embedding + context parts
                                        //               (then whatever the cell's kernel leaves there)
    private let hB = GrowBuffer()       // (Ps·(Ty+1)·B, Hd) state part p in rows p·(Ty+1)·B …; in each,
                                        //               rows 0..<B = s0 (c: 0), then s_t at rows (t+1)·B
    private let ctxB = GrowBuffer()     // ((Ty+1)·B, C)  rows 0..<B = 0 (c_{−1}), then c_t
    private let gatesB = GrowBuffer()   // (Ty·B, K)     the cell's per-row cache (GRU: [r | z | n | hn])
    private let recB = GrowBuffer()     // (B, G)        s_{t−1}·W_hhᵀ of one step
    private let qB = GrowBuffer()       // (Ty·B, A)
    private let alphaB = GrowBuffer()   // (Ty·B, Tx)
    private let keysB = GrowBuffer()    // (Tx·B, A)
    private let oTanhB = GrowBuffer()   // (Ty·B, P)     tanh output before dropout
    private let oB = GrowBuffer()       // (Ty·B, P)     the output
    private let maskB = GrowBuffer()    // (Ty·B, P)     dropout mask
    private let lnB = GrowBuffer()      // (2·Ty·B, G)   layer norm only: x̂ of the projections, then of the products
    private let lnRstdB = GrowBuffer()  // (2, Ty·B)     their rstd
    // Backward buffers.
    private let dPreB = GrowBuffer()    // (Ty·B, P)
    private let dSB = GrowBuffer()      // (Ty·B, Hd)
    private let dCB = GrowBuffer()      // (Ty·B, C)
    private let dXProjB = GrowBuffer()  // (Ty·B, G)
    private let dHProjB = GrowBuffer()  // (Ty·B, G)     (unused by a shared-gradient cell)
    private let dQB = GrowBuffer()      // (Ty·B, A)
    private let dKeysB = GrowBuffer()   // (Tx·B, A)
    private let dhB = GrowBuffer()      // (Ps·B, Hd)    running dL/dstate, part p in rows p·B …
    private let dXNormB = GrowBuffer()  // (Ty·B, G)     layer norm only: dL/d(normalised projection)
    private let dHNormB = GrowBuffer()  // (Ty·B, G)     … and product (unused by a shared-gradient cell)

    public init(_ arena: ParameterArena, config: DecoderConfig, name: String = "decoder") {
        self.config = config
        cell = DecoderCell(config.cell, arena, name: "\(name).\(config.cell.rawValue)", input: config.embedding + config.context,
                           hidden: config.hidden)
        norm = config.layerNorm ? RecurrentNorm(arena, name: "\(name).\(config.cell.rawValue)", gateWidth: cell.gateWidth) : nil
        attention = Attention(arena, name: "\(name).attn", query: config.hidden, context: config.context,
                              attention: config.attention)
        out = Linear(arena, name: "\(name).out", input: config.hidden + config.context, output: config.preOutput)
        dropout = Dropout(p: config.dropout)
    }

    /// Layer-norm caches of rows `rows` of N (nil without layer norm).
    private func stepNorm(_ rows: Range<Int>, of N: Int) -> StepNorm? {
        guard let norm else { return nil }
        let G = cell.gateWidth, x = lnB.matrix(2 * N, G), r = lnRstdB.matrix(2, N)
        return StepNorm(norm, input: x.rows(rows), inputRstd: r.row(0) + rows.lowerBound,
                        recurrent: x.rows(N + rows.lowerBound ..< N + rows.upperBound), recurrentRstd: r.row(1) + rows.lowerBound)
    }

    /// Attention weights of the last training forward: (Ty·B, Tx), row t·B + b.
    public var attentionWeights: MatrixRef { alphaB.matrix(targetSteps * batch, sourceSteps) }
    /// Decoder states s_t of the last forward: (Ty·B, Hd).
    public var states: MatrixRef { hB.matrix((targetSteps + 1) * batch, config.hidden).rows(batch..<(targetSteps + 1) * batch) }
    /// Contexts c_t of the last forward: (Ty·B, C).
    public var contexts: MatrixRef { ctxB.matrix((targetSteps + 1) * batch, config.context).rows(batch..<(targetSteps + 1) * batch) }

    /// Training forward over all target steps.
    /// - targetEmbedded (Ty·B, E): embeddings of <s> y1 … (time-major);
    /// - encOut (Tx·B, C); srcLengths (B) in 1...Tx; tgtLengths (B) in 0...Ty; s0 (B, Hd).
    /// `targetEmbedded` and `encOut` are referenced (not copied) until `backward`: keep them alive
    /// and unchanged. Returns o (Ty·B, P), owned by the decoder (valid until the next forward).
    @discardableResult
    public func forward(_ arena: ParameterArena, targetEmbedded: MatrixRef, encOut: MatrixRef,
                        srcLengths: [Int], tgtLengths: [Int], s0: MatrixRef,
                        rng: inout RNG, training: Bool) -> MatrixRef {
        let B = s0.rows, E = config.embedding, C = config.context, H = config.hidden
        let A = config.attention, P = config.preOutput
        precondition(B > 0 && s0.cols == H && targetEmbedded.cols == E && encOut.cols == C)
        precondition(targetEmbedded.rows % B == 0 && encOut.rows % B == 0, "rows not a multiple of the batch \(B)")
        precondition(srcLengths.count == B && tgtLengths.count == B)
        let Ty = targetEmbedded.rows / B, Tx = encOut.rows / B
        precondition(srcLengths.allSatisfy { $0 >= 1 && $0 <= Tx } && tgtLengths.allSatisfy { $0 >= 0 && $0 <= Ty })
        batch = B; targetSteps = Ty; sourceSteps = Tx
        self.training = training
        embRef = targetEmbedded; encRef = encOut
        srcLen.removeAll(keepingCapacity: true); srcLen.append(contentsOf: srcLengths)
        active.removeAll(keepingCapacity: true)
        for t in 0..<Ty { for b in 0..<B { active.append(t < tgtLengths[b] ? 1 : 0) } }
        let N = Ty * B

        let G = cell.gateWidth, K = cell.cacheWidth, Ps = cell.stateParts
        let xProj = xProjB.matrix(N, G)
        let stateAll = hB.matrix(Ps * (N + B), H), ctxAll = ctxB.matrix(N + B, C)
        let hAll = stateAll.rows(0..<N + B)
        let gates = gatesB.matrix(N, K), rec = recB.matrix(B, G)
        let q = qB.matrix(N, A), alpha = alphaB.matrix(N, Tx)
        let keys = keysB.matrix(Tx * B, A)
        let states = StateRows(stateAll.ptr, stride: (N + B) * H)

        // One gemm (+ b_ih for a GRU, added after the normalisation with layer norm).
        cell.projectInput(arena, targetEmbedded, columns: 0..<E, into: xProj, addBias: norm == nil)
        _ = stepNorm(0..<N, of: N)   // grows the caches once
        hAll.rows(0..<B).copy(from: s0)
        for p in 1..<Ps { stateAll.rows(p * (N + B) ..< p * (N + B) + B).zero() }
        ctxAll.rows(0..<B).zero()
        attention.computeKeys(arena, encOut: encOut, into: keys)
        srcLen.withUnsafeBufferPointer { lens in
            active.withUnsafeBufferPointer { act in
                for t in 0..<Ty {
                    let rows = t * B ..< (t + 1) * B, next = (t + 1) * B ..< (t + 2) * B
                    let xp = xProj.rows(rows)
                    if t > 0 {
                        cell.projectInput(arena, ctxAll.rows(rows), columns: E..<E + C, into: xp,
                                          addBias: false, accumulate: true)
                    }
                    cell.forwardStep(arena, rows: B, proj: xp, prev: StateRows(states.base + t * B * H, stride: states.stride),
                                     next: StateRows(states.base + (t + 1) * B * H, stride: states.stride), rec: rec,
                                     cache: gates.rows(rows), active: act.baseAddress! + t * B, norm: stepNorm(rows, of: N))
                    attention.query(arena, state: hAll.rows(next), into: q.rows(rows))
                    attention.scoreAndContext(arena, q: q.rows(rows), keys: keys, encOut: encOut, batch: B,
                                              srcLengths: lens.baseAddress!, active: act.baseAddress! + t * B,
                                              alpha: alpha.rows(rows), context: ctxAll.rows(next))
                }
            }
        }
        // Pre-output over all rows: o = tanh(s·W_osᵀ + c·W_ocᵀ + b_o), padded rows 0.
        let oT = oTanhB.matrix(N, P), o = oB.matrix(N, P)
        let w = arena.value(out.weight)
        gemm(hAll.rows(B..<N + B), w.cols(0..<H), transB: true, into: oT)
        gemm(ctxAll.rows(B..<N + B), w.cols(H..<H + C), transB: true, into: oT, beta: 1)
        addRowVector(arena.value(out.bias!).ptr, to: oT)
        vTanh(oT.ptr, oT.ptr, count: N * P)
        for r in 0..<N where active[r] == 0 { oT.row(r).update(repeating: 0, count: P) }
        o.copy(from: oT)
        if training && dropout.p > 0 {
            _ = maskB.matrix(N, P)
            dropout.forward(o, mask: maskB.tensor, rng: &rng, training: true)
        }
        return o
    }

    /// Backward of the last `forward` from dO (Ty·B, P) (not modified; rows of padded positions
    /// are ignored): decoder parameter grads (+=), dTargetEmbedded (Ty·B, E) (=),
    /// dEncOut (Tx·B, C) (+=, a fan-out point: the encoder's backward consumes it), dS0 (B, Hd) (=).
    public func backward(_ arena: ParameterArena, dO: MatrixRef, dTargetEmbedded: MatrixRef,
                         dEncOut: MatrixRef, dS0: MatrixRef) {
        let B = batch, Ty = targetSteps, Tx = sourceSteps, N = Ty * B
        let E = config.embedding, C = config.context, H = config.hidden, A = config.attention, P = config.preOutput
        precondition(dO.rows == N && dO.cols == P && dTargetEmbedded.rows == N && dTargetEmbedded.cols == E)
        precondition(dEncOut.rows == Tx * B && dEncOut.cols == C && dS0.rows == B && dS0.cols == H)
        let G = cell.gateWidth, K = cell.cacheWidth, Ps = cell.stateParts
        let stateAll = hB.matrix(Ps * (N + B), H), ctxAll = ctxB.matrix(N + B, C)
        let hAll = stateAll.rows(0..<N + B), states = StateRows(stateAll.ptr, stride: (N + B) * H)
        let gates = gatesB.matrix(N, K), q = qB.matrix(N, A), alpha = alphaB.matrix(N, Tx)
        let keys = keysB.matrix(Tx * B, A), oT = oTanhB.matrix(N, P)
        let S = hAll.rows(B..<N + B), Cx = ctxAll.rows(B..<N + B)
        guard let emb = embRef, let enc = encRef else { preconditionFailure("Decoder.backward before forward") }

        // Through dropout and tanh; padded rows get exactly zero.
        let dPre = dPreB.matrix(N, P)
        dPre.copy(from: dO)
        if training && dropout.p > 0 { dropout.backward(dPre, mask: maskB.tensor, training: true) }
        for r in 0..<N {
            let d = dPre.row(r)
            if active[r] == 0 { d.update(repeating: 0, count: P); continue }
            let o = oT.row(r)
            var j = 0
            while j < P {
                let n = min(8, P - j)
                let ov = load8(o + j, n)
                store8(load8(d + j, n) * (1 - ov * ov), d + j, n)
                j += 8
            }
        }
        // Pre-output weights (two gemms + column sums) and dS, dC for all rows (=).
        let wo = arena.value(out.weight), gwo = arena.grad(out.weight)
        gemm(dPre, transA: true, S, into: gwo.cols(0..<H), beta: 1)
        gemm(dPre, transA: true, Cx, into: gwo.cols(H..<H + C), beta: 1)
        accumulateColumnSums(of: dPre, into: arena.grad(out.bias!).ptr)
        let dS = dSB.matrix(N, H), dC = dCB.matrix(N, C)
        gemm(dPre, wo.cols(0..<H), into: dS)
        gemm(dPre, wo.cols(H..<H + C), into: dC)

        let dXProj = dXProjB.matrix(N, G), dQ = dQB.matrix(N, A)
        let dHProj = cell.sharedGateGradient && norm == nil ? dXProj : dHProjB.matrix(N, G)
        // With layer norm the kernel's gradients (the biases') and the products' differ.
        let dXNorm = norm == nil ? dXProj : dXNormB.matrix(N, G)
        let dHNorm = norm == nil ? dHProj : cell.sharedGateGradient ? dXNorm : dHNormB.matrix(N, G)
        let dKeys = dKeysB.matrix(Tx * B, A), dState = dhB.matrix(Ps * B, H), dh = dState.rows(0..<B)
        dKeys.zero()
        dState.zero()
        let wq = arena.value(attention.W_q), whh = arena.value(cell.W_hh)
        let wic = arena.value(cell.W_ih).cols(E..<E + C)
        let xProj = xProjB.matrix(N, G)
        srcLen.withUnsafeBufferPointer { lens in
            active.withUnsafeBufferPointer { act in
                for t in stride(from: Ty - 1, through: 0, by: -1) {
                    let rows = t * B ..< (t + 1) * B
                    // dC rows t hold ∂/∂c_t from the pre-output and (added at step t+1) input feeding.
                    attention.scoreAndContextBackward(arena, dContext: dC.rows(rows), q: q.rows(rows),
                                                      alpha: alpha.rows(rows), keys: keys, encOut: enc, batch: B,
                                                      srcLengths: lens.baseAddress!, active: act.baseAddress! + t * B,
                                                      dQ: dQ.rows(rows), dKeys: dKeys, dEncOut: dEncOut)
                    let ds = dS.rows(rows)
                    gemm(dQ.rows(rows), wq, into: ds, beta: 1)            // ∂s_t via the query
                    // The cell's backward step (the kernels the sequence loop runs), per row:
                    // ∂s_t = dh (from step t+1) + ds; dh becomes the direct part of ∂s_{t−1}.
                    cell.backwardStep(arena, rows: B, proj: xProj.rows(rows), cache: gates.rows(rows),
                                      prev: StateRows(states.base + t * B * H, stride: states.stride), dOut: ds,
                                      dState: StateRows(dState.ptr, stride: B * H), dProj: dXProj.rows(rows),
                                      dRec: dHProj.rows(rows), active: act.baseAddress! + t * B,
                                      norm: stepNorm(rows, of: N),
                                      normalized: norm == nil ? nil : (dXNorm.rows(rows), dHNorm.rows(rows)))
                    gemm(dHProj.rows(rows), whh, into: dh, beta: 1)       // ∂s_{t−1}
                    if t > 0 { gemm(dXProj.rows(rows), wic, into: dC.rows(rows.lowerBound - B ..< rows.lowerBound), beta: 1) }
                }
            }
        }
        dS0.copy(from: dh)
        // Weight gradients over all rows at once.
        gemm(dHProj, transA: true, hAll.rows(0..<N), into: arena.grad(cell.W_hh), beta: 1)
        let gwih = arena.grad(cell.W_ih)
        gemm(dXProj, transA: true, emb, into: gwih.cols(0..<E), beta: 1)
        gemm(dXProj, transA: true, ctxAll.rows(0..<N), into: gwih.cols(E..<E + C), beta: 1)
        cell.accumulateBiasGradients(arena, dProj: dXNorm, dRec: dHNorm)
        gemm(dXProj, arena.value(cell.W_ih).cols(0..<E), into: dTargetEmbedded)
        attention.queryBackward(arena, states: S, dQ: dQ, dS: nil)
        attention.finishBackward(arena, encOut: enc, dKeys: dKeys, dEncOut: dEncOut)
    }

    // MARK: - Inference: one step over R hypothesis rows

    /// Prepares decoding of Bs sentences: copies encOut (Tx·Bs, C), computes the keys once, and
    /// starts one row per sentence with hidden s0 (Bs, Hd) and context 0.
    public func initState(_ arena: ParameterArena, s0: MatrixRef, encOut: MatrixRef, srcLengths: [Int]) -> DecoderState {
        let bs = s0.rows
        precondition(s0.cols == config.hidden && encOut.cols == config.context && encOut.rows % bs == 0)
        let tx = encOut.rows / bs
        precondition(srcLengths.count == bs && srcLengths.allSatisfy { $0 >= 1 && $0 <= tx })
        let st = DecoderState(config: config, batch: bs, sourceSteps: tx, srcLengths: srcLengths)
        st.encOut.matrix.copy(from: encOut)
        attention.computeKeys(arena, encOut: st.encOut.matrix, into: st.keys.matrix)
        st.rows = bs
        st.state.zero()
        st.hidden.copy(from: s0)
        st.context.zero()
        st.attentionWeights.zero()
        st.sentence = (0..<bs).map { Int32($0) }
        return st
    }

    /// One decoding step (forward only, no dropout) for the state's R rows: prevEmbedded (R, E)
    /// are the embeddings of each row's previous token. Updates the state (hidden, context,
    /// attention weights) and returns o (R, P), owned by the state.
    @discardableResult
    public func step(_ arena: ParameterArena, prevEmbedded: MatrixRef, state st: DecoderState) -> MatrixRef {
        let R = st.rows, E = config.embedding, C = config.context, H = config.hidden
        precondition(prevEmbedded.rows == R && prevEmbedded.cols == E)
        let xp = st.xProjB.matrix(R, cell.gateWidth), rec = st.recB.matrix(R, cell.gateWidth)
        let gates = st.gatesB.matrix(R, cell.cacheWidth)
        let q = st.qB.matrix(R, config.attention), o = st.oB.matrix(R, config.preOutput)
        let h = st.hidden, c = st.context
        cell.projectInput(arena, prevEmbedded, columns: 0..<E, into: xp, addBias: norm == nil)
        cell.projectInput(arena, c, columns: E..<E + C, into: xp, addBias: false, accumulate: true)
        let rows = StateRows(st.state.ptr, stride: R * H)
        var stepNorm: StepNorm?
        if let norm {
            let x = st.lnB.matrix(2 * R, cell.gateWidth), r = st.lnRstdB.matrix(2, R)
            stepNorm = StepNorm(norm, input: x.rows(0..<R), inputRstd: r.row(0), recurrent: x.rows(R ..< 2 * R),
                                recurrentRstd: r.row(1))
        }
        cell.forwardStep(arena, rows: R, proj: xp, prev: rows, next: rows, rec: rec, cache: gates, active: nil,
                         norm: stepNorm)  // in place
        attention.query(arena, state: h, into: q)
        st.srcLen.withUnsafeBufferPointer { lens in
            st.sentence.withUnsafeBufferPointer { sent in
                attention.scoreAndContext(arena, q: q, keys: st.keys.matrix, encOut: st.encOut.matrix, batch: st.batch,
                                          srcLengths: lens.baseAddress!, rowSentence: sent.baseAddress!,
                                          alpha: st.attentionWeights, context: c)
            }
        }
        let w = arena.value(out.weight)
        gemm(h, w.cols(0..<H), transB: true, into: o)
        gemm(c, w.cols(H..<H + C), transB: true, into: o, beta: 1)
        addRowVector(arena.value(out.bias!).ptr, to: o)
        vTanh(o.ptr, o.ptr, count: R * config.preOutput)
        return o
    }
}
