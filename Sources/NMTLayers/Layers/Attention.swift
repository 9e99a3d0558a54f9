// Additive (Bahdanau / MLP) attention with a source padding mask.
//
//   keys     K = encOut·U_kᵀ + b            (Tx·Bs, A)   once per batch (one gemm)
//   query    q = s·W_qᵀ                      (R, A)       per decoder step
//   score_j  = v · tanh(q + K_j)             j < srcLen    (positions ≥ srcLen are not scored)
//   α        = softmax over the sentence's real positions; padded positions get exactly 0
//   context  c = Σ_j α_j · encOut_j          (R, C)
//
// Parameters: W_q (A, Hd), U_k (A, C), b (A) (the one bias, on the key side), v (A).
// Layouts: encOut and keys are time-major over Bs source sentences (row j·Bs + s). A decoder row r
// (R rows) attends to sentence `rowSentence[r]` (identity when nil), so beam hypotheses share the
// keys and encoder states of their sentence instead of copying them.
//
// The tanh(q + K_j) values are not stored (they are R·Tx·A per step); the backward recomputes them.
// The row kernels (scores, their backward, the context sums) are CKernels' at Kernels.path.
// Backward of a step: dQ (R, A) (=), dKeys (+=), dEncOut (+=: encOut is read at every step), dv (+=).
// After the last step `finishBackward` turns dKeys into U_k / b gradients and more dEncOut (gemms).

import NMTTensor

public struct Attention {
    public let queryDim: Int     // Hd
    public let contextDim: Int   // C
    public let attentionDim: Int // A
    public let W_q: Param   // (A, Hd)
    public let U_k: Param   // (A, C)
    public let b: Param     // (A)
    public let v: Param     // (A)

    /// Registers `<name>.W_q`, `<name>.U_k`, `<name>.b`, `<name>.v`.
    public init(_ arena: ParameterArena, name: String, query: Int, context: Int, attention: Int) {
        queryDim = query; contextDim = context; attentionDim = attention
        W_q = arena.register("\(name).W_q", shape: [attention, query], initializer: .uniform(1 / Float(query).squareRoot()))
        U_k = arena.register("\(name).U_k", shape: [attention, context], initializer: .uniform(1 / Float(context).squareRoot()))
        b = arena.register("\(name).b", shape: [attention], initializer: .zeros)
        v = arena.register("\(name).v", shape: [attention], initializer: .uniform(1 / Float(attention).squareRoot()))
    }

    /// keys (Tx·Bs, A) = encOut (Tx·Bs, C)·U_kᵀ + b.
    public func computeKeys(_ arena: ParameterArena, encOut: MatrixRef, into keys: MatrixRef) {
        gemm(encOut, arena.value(U_k), transB: true, into: keys)
        addRowVector(arena.value(b).ptr, to: keys)
    }

    /// q (R, A) = s (R, Hd)·W_qᵀ.
    @inlinable
    public func query(_ arena: ParameterArena, state s: MatrixRef, into q: MatrixRef) {
        gemm(s, arena.value(W_q), transB: true, into: q)
    }

    /// Scores, masked softmax and context for R rows (the SIMD kernel of a step).
    /// q (R, A); keys (Tx·Bs, A); encOut (Tx·Bs, C); srcLengths (Bs) each in 1...Tx;
    /// rowSentence (R) or nil for identity (then R == Bs); active (R) or nil: rows with 0 get
    /// α = 0 and c = 0 and cost nothing. Writes alpha (R, Tx) and context (R, C).
    @inlinable
    public func scoreAndContext(_ arena: ParameterArena, q: MatrixRef, keys: MatrixRef, encOut: MatrixRef,
                                batch bs: Int, srcLengths: UnsafePointer<Int>,
                                rowSentence: UnsafePointer<Int32>? = nil, active: UnsafePointer<UInt8>? = nil,
                                alpha: MatrixRef, context: MatrixRef) {
        let A = attentionDim, C = contextDim
        let tx = keys.rows / bs
        precondition(q.cols == A && keys.cols == A && encOut.cols == C && encOut.rows == keys.rows)
        precondition(alpha.cols >= tx && alpha.rows == q.rows && context.rows == q.rows && context.cols == C)
        let vp = UnsafePointer(arena.value(v).ptr)
        // Rows are independent: chunks of 8 run on both cores.
        Parallel.forEachChunk(q.rows, chunk: 8) { chunk in
            for r in chunk {
                let a = alpha.row(r)
                if let act = active, act[r] == 0 {
                    a.update(repeating: 0, count: alpha.cols)
                    context.row(r).update(repeating: 0, count: C)
                    continue
                }
                let s = rowSentence.map { Int($0[r]) } ?? r
                let len = srcLengths[s]
                precondition(len >= 1 && len <= tx, "source length \(len) outside 1...\(tx)")
                // Scores v·tanh(q + k_j) over the len real keys (rows j·Bs + s), then their softmax.
                VectorKernels.attentionScores(width: A, v: vp, q: q.row(r), keys: keys.row(s), keyStride: keys.ld * bs,
                                              count: len, scores: a)
                if alpha.cols > len { (a + len).update(repeating: 0, count: alpha.cols - len) }
                softmaxInPlace(a, count: len)
                // c = Σ_j α_j · E_j over the sentence's rows j·Bs + s.
                VectorKernels.weightedRowSum(width: C, count: len, weights: a, rows: encOut.row(s), stride: encOut.ld * bs,
                                             into: context.row(r))
            }
        }
    }

    /// Backward of `scoreAndContext` for one step. dContext (R, C) in; dQ (R, A) (=);
    /// dKeys (Tx·Bs, A) (+=); dEncOut (Tx·Bs, C) (+=); grad of v (+=). Rows of distinct sentences
    /// (rowSentence nil) run in chunks of 8 on both cores, each chunk with its own part of dv,
    /// added in chunk order: the same sums for any thread count.
    @inlinable
    public func scoreAndContextBackward(_ arena: ParameterArena, dContext: MatrixRef, q: MatrixRef,
                                        alpha: MatrixRef, keys: MatrixRef, encOut: MatrixRef,
                                        batch bs: Int, srcLengths: UnsafePointer<Int>,
                                        rowSentence: UnsafePointer<Int32>? = nil, active: UnsafePointer<UInt8>? = nil,
                                        dQ: MatrixRef, dKeys: MatrixRef, dEncOut: MatrixRef) {
        let A = attentionDim, C = contextDim
        let tx = keys.rows / bs
        let vp = UnsafePointer(arena.value(v).ptr)
        // Rows that share a sentence would add to the same dKeys / dEncOut rows: one chunk then.
        let chunk = rowSentence == nil ? 8 : max(q.rows, 1)
        let chunks = (q.rows + chunk - 1) / chunk
        let part = A + tx                               // per chunk: its dv (A) and dα scratch (Tx)
        var parts = [Float](repeating: 0, count: chunks * part)
        parts.withUnsafeMutableBufferPointer { pb in
            nonisolated(unsafe) let base = pb.baseAddress!
            Parallel.forEachChunk(q.rows, chunk: chunk) { rows in
                let dvPart = base + (rows.lowerBound / chunk) * part, da = dvPart + A
                for r in rows {
                    let dq = dQ.row(r)
                    dq.update(repeating: 0, count: A)
                    if let act = active, act[r] == 0 { continue }
                    let s = rowSentence.map { Int($0[r]) } ?? r
                    let len = srcLengths[s]
                    let a = UnsafePointer(alpha.row(r))
                    let dc = UnsafePointer(dContext.row(r))
                    let des = MatrixRef(dEncOut.ptr + s * dEncOut.ld, rows: len, cols: C, ld: dEncOut.ld * bs)
                    // dα_j = E_j · dc
                    VectorKernels.rowDots(width: C, count: len, rows: encOut.row(s), stride: encOut.ld * bs, x: dc, into: da)
                    var dot: Float = 0
                    for j in 0..<len { dot += a[j] * da[j] }
                    // dE_j += α_j dc   (rank-1 update of the sentence's strided rows)
                    for j in 0..<len where a[j] != 0 {
                        let dst = des.row(j), av = Float8(repeating: a[j])
                        var i = 0
                        while i < C {
                            let n = min(8, C - i)
                            store8(load8(dst + i, n) + av * load8(dc + i, n), dst + i, n)
                            i += 8
                        }
                    }
                    // ∂L/∂score_j = α_j (dα_j − Σ α·dα), in place of dα.
                    for j in 0..<len { da[j] = a[j] * (da[j] - dot) }
                    VectorKernels.attentionScoresBackward(width: A, v: vp, q: q.row(r), keys: keys.row(s),
                                                          keyStride: keys.ld * bs, dKeys: dKeys.row(s),
                                                          dKeyStride: dKeys.ld * bs, count: len, ds: da, dv: dvPart, dq: dq)
                }
            }
            let dv = arena.grad(v).ptr
            for c in 0..<chunks { addInPlace(dv, base + c * part, count: A) }
        }
    }

    /// After all steps: U_k, b grads (+=) from dKeys, and dEncOut += dKeys·U_k.
    public func finishBackward(_ arena: ParameterArena, encOut: MatrixRef, dKeys: MatrixRef, dEncOut: MatrixRef) {
        gemm(dKeys, transA: true, encOut, into: arena.grad(U_k), beta: 1)
        accumulateColumnSums(of: dKeys, into: arena.grad(b).ptr)
        gemm(dKeys, arena.value(U_k), into: dEncOut, beta: 1)
    }

    /// W_q grad (+=) from the queries' gradients dQ (N, A) and the states s (N, Hd) of all steps;
    /// dS (N, Hd) += dQ·W_q when given.
    public func queryBackward(_ arena: ParameterArena, states s: MatrixRef, dQ: MatrixRef, dS: MatrixRef?) {
        gemm(dQ, transA: true, s, into: arena.grad(W_q), beta: 1)
        if let dS { gemm(dQ, arena.value(W_q), into: dS, beta: 1) }
    }

    // MARK: a self-contained single step, for tests and simple callers

    /// One attention step for Bs query rows (row b attends to sentence b):
    /// keys, q, alpha (Bs, Tx), context (Bs, C) in `cache`.
    @discardableResult
    public func forward(_ arena: ParameterArena, state s: MatrixRef, encOut: MatrixRef, srcLengths: [Int],
                        cache: AttentionCache) -> MatrixRef {
        let bs = s.rows, tx = encOut.rows / bs
        cache.prepare(batch: bs, tx: tx, attention: attentionDim, context: contextDim)
        computeKeys(arena, encOut: encOut, into: cache.keys.matrix)
        query(arena, state: s, into: cache.q.matrix)
        cache.lengths = srcLengths
        cache.lengths.withUnsafeBufferPointer { len in
            scoreAndContext(arena, q: cache.q.matrix, keys: cache.keys.matrix, encOut: encOut, batch: bs,
                            srcLengths: len.baseAddress!, alpha: cache.alpha.matrix, context: cache.context.matrix)
        }
        return cache.context.matrix
    }

    /// Backward of `forward`: all four parameter grads (+=), dS (Bs, Hd) (=), dEncOut (+=).
    public func backward(_ arena: ParameterArena, state s: MatrixRef, encOut: MatrixRef, dContext: MatrixRef,
                         cache: AttentionCache, dS: MatrixRef, dEncOut: MatrixRef) {
        let bs = s.rows
        let dKeys = cache.dKeys.matrix
        dKeys.zero()
        cache.lengths.withUnsafeBufferPointer { len in
            scoreAndContextBackward(arena, dContext: dContext, q: cache.q.matrix, alpha: cache.alpha.matrix,
                                    keys: cache.keys.matrix, encOut: encOut, batch: bs, srcLengths: len.baseAddress!,
                                    dQ: cache.dQ.matrix, dKeys: dKeys, dEncOut: dEncOut)
        }
        dS.zero()
        queryBackward(arena, states: s, dQ: cache.dQ.matrix, dS: dS)
        finishBackward(arena, encOut: encOut, dKeys: dKeys, dEncOut: dEncOut)
    }
}

/// Buffers of a single attention step (`Attention.forward`/`backward`).
public final class AttentionCache {
    public internal(set) var keys = Tensor([0, 0])     // (Tx·Bs, A)
    public internal(set) var q = Tensor([0, 0])        // (Bs, A)
    public internal(set) var alpha = Tensor([0, 0])    // (Bs, Tx)  the attention weights
    public internal(set) var context = Tensor([0, 0])  // (Bs, C)
    public internal(set) var dQ = Tensor([0, 0])       // (Bs, A)
    public internal(set) var dKeys = Tensor([0, 0])    // (Tx·Bs, A)
    var lengths: [Int] = []
    public init() {}

    func prepare(batch bs: Int, tx: Int, attention A: Int, context C: Int) {
        if keys.shape == [tx * bs, A] && alpha.shape == [bs, tx] && context.shape == [bs, C] { return }
        keys = Tensor([tx * bs, A]); q = Tensor([bs, A]); alpha = Tensor([bs, tx]); context = Tensor([bs, C])
        dQ = Tensor([bs, A]); dKeys = Tensor([tx * bs, A])
    }
}
