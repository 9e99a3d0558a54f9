// A `StepScorer` (NMTDecode) over a `Seq2Seq`: the bridge between the beam search, which knows
// nothing of the model, and the model's inference step API.
//
//   encode(sources)    srcIds (Tx·B) ─ srcEmbed ─► (Tx·B, E) ─ encoder (no dropout) ─► encOut (Tx·B, 2H)
//                      finalH (B, 2H) ─ bridge ─► s0 (B, Hd)
//   initialState       decoder.initState(s0, encOut, srcLengths): one row per sentence
//   step(last tokens)  tgtEmbed (R, E) ─ decoder.step ─► o (R, P) [─ tied projection ─► (R, E)]
//                      ─ generator (one gemm) ─► (R, V)
//                      ─ log-softmax per row (SIMD, in place in the search's buffer)
//   reorder(rows)      DecoderState.select(rows)
//
// Every buffer is owned by the scorer (or the decoder state) and only grows, so a step
// allocates nothing once the largest row count has been seen.

import Foundation
import NMTDecode
import NMTLayers
import NMTModel
import NMTTensor
import NMTText

/// Next-token log-probabilities of a `Seq2Seq` for a batch of source sentences.
///
/// Use: `encode(_:)` a batch of sources (id sequences without <s>/</s>, each non-empty), then run
/// `BeamSearch.decode(&scorer, sourceLengths:)` (or drive `initialState`/`step`/`reorder`
/// yourself). `initialState` may be called again to decode the same encoded batch once more.
public final class Seq2SeqScorer: StepScorer {
    public typealias State = DecoderState

    public let model: Seq2Seq
    public var vocabSize: Int { model.config.targetVocab }
    /// Source lengths of the encoded batch.
    public private(set) var sourceLengths: [Int] = []
    /// Longest source of the encoded batch (Tx).
    public private(set) var sourceSteps = 0

    private let encCache = StackedEncoderCache()
    private var srcIds: [Int32] = []         // (Tx·B) time-major, padded with SpecialIds.pad
    private let srcE = GrowBuffer()          // (Tx·B, E)
    private let s0 = GrowBuffer()            // (B, Hd)
    private var encOut: MatrixRef?           // (Tx·B, 2H), a view into encCache
    private let emb = GrowBuffer()           // (R, E)
    private let projected = GrowBuffer()     // (R, E): the generator's input with a tied projection
    private var selectRows: [Int] = []

    public init(model: Seq2Seq) {
        self.model = model
    }

    /// Encodes a batch of B source sentences (ids, no <s>/</s>, each of length ≥ 1).
    public func encode(_ sources: [[Int32]]) {
        let B = sources.count
        precondition(B > 0 && sources.allSatisfy { !$0.isEmpty }, "Seq2SeqScorer.encode: every source needs a token")
        let Tx = sources.map(\.count).max()!
        let E = model.config.embedding, Hd = model.config.decoderHidden
        sourceLengths = sources.map(\.count)
        sourceSteps = Tx
        srcIds.removeAll(keepingCapacity: true)
        srcIds.append(contentsOf: repeatElement(SpecialIds.pad, count: Tx * B))
        for (b, s) in sources.enumerated() { for (t, id) in s.enumerated() { srcIds[t * B + b] = id } }
        let x = srcE.matrix(Tx * B, E)
        let arena = model.arena
        srcIds.withUnsafeBufferPointer { model.sourceEmbedding.forward(arena, ids: $0, into: x) }
        var rng = RNG(seed: 0)   // unused: no dropout at inference
        let enc = model.encoder.forward(arena, x: x, lengths: sourceLengths, steps: Tx, cache: encCache,
                                        rng: &rng, training: false)
        let s = s0.matrix(B, Hd)
        model.bridge.forward(arena, enc.finalH, into: s)
        encOut = enc.outputs
    }

    /// One row per encoded sentence, in order.
    public func initialState(batchSize: Int) -> DecoderState {
        guard let encOut else { preconditionFailure("Seq2SeqScorer: encode(_:) before decoding") }
        precondition(batchSize == sourceLengths.count, "Seq2SeqScorer: batch of \(batchSize), encoded \(sourceLengths.count)")
        return model.decoder.initState(model.arena, s0: s0.matrix(batchSize, model.config.decoderHidden),
                                       encOut: encOut, srcLengths: sourceLengths)
    }

    /// Writes log P(· | row) for each row into out (R, V).
    public func step(lastTokens: [Int32], state: inout DecoderState, out: UnsafeMutablePointer<Float>) {
        let R = lastTokens.count, E = model.config.embedding, V = vocabSize
        precondition(R == state.rows, "Seq2SeqScorer.step: \(R) tokens for \(state.rows) rows")
        let arena = model.arena
        let x = emb.matrix(R, E)
        lastTokens.withUnsafeBufferPointer { model.targetEmbedding.forward(arena, ids: $0, into: x) }
        let o = model.generatorInput(model.decoder.step(arena, prevEmbedded: x, state: state), buffer: projected)
        // With a shortlist only the first K columns (the K most frequent words: vocabularies
        // are sorted by count) are scored; the rest of each row is -inf.
        let K = shortlist > 0 ? min(shortlist, V) : V
        let logits = MatrixRef(out, rows: R, cols: K, ld: V)
        // One sgemm whatever the row count: a fused SIMD kernel for few rows on Dispatch's threads
        // (sessions 3–7) was a third thread pool beside BLAS's; without it beam-5 one-sentence
        // decoding took about 0.55× the time (session 8, docs/performance.md), with the same output.
        model.generator.forwardLeading(arena, o, into: logits)
        for r in 0..<R { logSoftmaxInPlace(out + r * V, count: K) }
        if K < V {
            for r in 0..<R { (out + r * V + K).update(repeating: -.infinity, count: V - K) }
        }
        for id in suppressedTokens where id >= 0 && Int(id) < V {
            for r in 0..<R { out[r * V + Int(id)] = -.infinity }
        }
    }

    /// Tokens never generated (their log-probabilities are set to -inf after the softmax):
    /// <mask> by default (<pad> and <s> are masked by the search itself).
    public var suppressedTokens: [Int32] = [SpecialIds.mask]

    /// Score only the `shortlist` most frequent target words (0: the whole vocabulary). Fewer
    /// output-layer FLOPs per step; words outside it get probability 0.
    public var shortlist = 0

    public func reorder(state: inout DecoderState, rows: [Int32]) {
        selectRows.removeAll(keepingCapacity: true)
        for r in rows { selectRows.append(Int(r)) }
        state.select(selectRows)
    }

    /// For each row, the source position with the highest attention weight at the last step.
    public func attentionArgmax(state: DecoderState) -> [Int32]? {
        let a = state.attentionWeights
        var result = [Int32](repeating: 0, count: state.rows)
        for r in 0..<state.rows {
            let p = a.row(r), n = state.sourceLength(row: r)
            var best = 0
            var bestV = p[0]
            for j in 1..<max(n, 1) where p[j] > bestV { bestV = p[j]; best = j }
            result[r] = Int32(best)
        }
        return result
    }
}

/// In place: row ← row − log Σ exp(row) (a numerically stable log-softmax; CKernels at Kernels.path).
@inline(__always)
public func logSoftmaxInPlace(_ row: UnsafeMutablePointer<Float>, count n: Int) {
    VectorKernels.logSoftmax(row, count: n)
}
