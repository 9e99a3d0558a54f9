// The fill-in-the-blank model: a forward and a backward recurrent language model (LSTM unless
// config.cell says another sequence cell) over the sentence,
// sharing one input embedding, whose states on either side of a position predict the word there.
//
//   ids (T·B): <s> w1 … wn </s>, padded ─ embedding ─ dropout ─► X (T·B, E)
//   X ─ fwd.l0 … fwd.l{L-1} (LSTM, left to right) ─► F (T·B, H)      F[t] has read w1..w_t
//   X ─ bwd.l0 … bwd.l{L-1} (LSTM, reverse)      ─► R (T·B, H)      R[t] has read w_n..w_t
//   context of w_k (1 ≤ k ≤ n): c_k = [F[k−1] ; R[k+1]]  (2H)         (left-only: c_k = F[k−1], H)
//   c ─ dropout ─ hidden (tanh Linear, P) ─ dropout ─ generator (Linear, V) ─► logits ─► loss
//
// The word itself never reaches its own context: F[k−1] has read only <s> w1..w_{k−1} and
// R[k+1] only w_n..w_{k+1} </s>. Each direction runs once per batch and every word of every
// sentence is a target, so one pass trains n predictions per sentence. The shifts are index
// arithmetic: target (b, k) gathers row (k−1)·B + b of F and row (k+1)·B + b of R into one
// compact (N, C) context matrix (N = number of targets), and backward scatters its gradient
// back. Stacked layers of one direction read the previous layer of the same direction (after
// dropout); the two directions share only the embedding (its gradient is the sum).
//
// Input masking (training only): each word position's input id is replaced by <mask> (id 4)
// with probability `inputMask`, so the model learns to read a blank — which is how several
// blanks in one sentence are filled (a blank's neighbours can be blanks too).
//
// Padding is exact: the LSTMs carry state through padded steps, padded rows are never gathered,
// and a sentence's loss and gradients do not depend on its batch companions.
//
// Tensor names: embedding.weight (V, E); fwd.l{k}.{W_ih,W_hh,b}; bwd.l{k}.{…} (bidirectional
// only); hidden.weight (P, C), hidden.bias (P); generator.weight (V, P), generator.bias (V).

import NMTLayers
import NMTTensor
import NMTText
#if canImport(Glibc)
import Glibc
#endif

public struct FillConfig: Codable, Sendable, Equatable {
    public var vocab: Int
    public var embedding: Int = 256
    public var hidden: Int = 512             // per direction
    public var layers: Int = 1
    public var preOutput: Int = 512          // the MLP's hidden size
    public var bidirectional: Bool = true    // false: left-to-right LSTM LM (context = F[k−1] only)
    public var dropout: Float = 0.3
    public var inputMask: Float = 0.1        // training: P(a word's input is replaced by <mask>)
    public var labelSmoothing: Float = 0.1
    public var cell: CellKind = .lstm        // the recurrent cell of both language models

    public init(vocab: Int, embedding: Int = 256, hidden: Int = 512, layers: Int = 1, preOutput: Int = 512,
                bidirectional: Bool = true, dropout: Float = 0.3, inputMask: Float = 0.1, labelSmoothing: Float = 0.1,
                cell: CellKind = .lstm) {
        self.vocab = vocab; self.embedding = embedding; self.hidden = hidden; self.layers = layers
        self.preOutput = preOutput; self.bidirectional = bidirectional; self.dropout = dropout
        self.inputMask = inputMask; self.labelSmoothing = labelSmoothing; self.cell = cell
    }

    /// Width of a position's context: 2H (both sides) or H (left only).
    public var contextSize: Int { bidirectional ? 2 * hidden : hidden }
}

/// One prediction: word position `time` (1 ≤ time ≤ lengths[b] − 2) of sentence `b`, gold id
/// (0 when unknown, e.g. at inference: no loss).
public struct FillTarget: Sendable, Equatable {
    public var b: Int
    public var time: Int
    public var gold: Int32
    public init(b: Int, time: Int, gold: Int32) { self.b = b; self.time = time; self.gold = gold }
}

/// A time-major padded batch of sentences framed as <s> w1 … wn </s>.
public struct FillBatch: Sendable {
    public var ids: [Int32]          // (T·B)
    public var lengths: [Int]        // (B) n + 2
    public var targets: [FillTarget]
    public var size: Int { lengths.count }
    public var steps: Int { ids.count / max(size, 1) }


    /// Every word of every sentence is a target (training and perplexity). Sentences (word ids,
    /// without <s>/</s>) are laid out in the given order; longest first makes the LSTMs faster.
    public init(sentences: [[Int32]]) {
        self.init(sentences: sentences, positions: sentences.map { Array(0..<$0.count) })
    }

    /// Targets only at the given word indices (0-based, into each sentence); gold = the id there
    /// (which may be <mask>, id 4: then gold is 0, no loss).
    public init(sentences: [[Int32]], positions: [[Int]]) {
        precondition(sentences.count == positions.count)
        let B = sentences.count
        let T = (sentences.map(\.count).max() ?? 0) + 2
        var ids = [Int32](repeating: SpecialIds.pad, count: T * B)
        var targets: [FillTarget] = []
        for (b, s) in sentences.enumerated() {
            ids[b] = SpecialIds.bos
            for (k, id) in s.enumerated() { ids[(k + 1) * B + b] = id }
            ids[(s.count + 1) * B + b] = SpecialIds.eos
        }
        for (b, ps) in positions.enumerated() {
            for k in ps {
                precondition(k >= 0 && k < sentences[b].count, "fill target \(k) outside sentence of \(sentences[b].count)")
                let g = sentences[b][k]
                targets.append(FillTarget(b: b, time: k + 1, gold: g == SpecialIds.mask ? SpecialIds.pad : g))
            }
        }
        self.ids = ids
        self.lengths = sentences.map { $0.count + 2 }
        self.targets = targets
    }
}

public final class FillModel {
    public let config: FillConfig
    public let arena: ParameterArena
    public let embedding: Embedding
    public let forwardLayers: [SequenceLayer]
    public let backwardLayers: [SequenceLayer]
    public let hiddenLayer: Linear
    public let generator: Linear
    let dropout: Dropout

    // Buffers reused across batches.
    var inIds: [Int32] = []                  // (T·B) input ids after masking
    let xB = GrowBuffer(), xMask = GrowBuffer(), dXB = GrowBuffer()
    var fCaches: [RecurrentCache] = [], rCaches: [RecurrentCache] = []
    var fOut: [GrowBuffer] = [], rOut: [GrowBuffer] = []          // per layer (T·B, H)
    var fMask: [GrowBuffer] = [], rMask: [GrowBuffer] = []        // below the top: dropout masks
    var fD: [GrowBuffer] = [], rD: [GrowBuffer] = []              // per layer: (T·B, H) gradients
    let ctxB = GrowBuffer(), ctxMask = GrowBuffer(), dCtxB = GrowBuffer()
    let hB = GrowBuffer(), hMask = GrowBuffer(), dHB = GrowBuffer()
    let logitsB = GrowBuffer()

    public init(_ config: FillConfig, seed: UInt64?) {
        precondition(config.layers >= 1 && config.vocab > 4)
        self.config = config
        let arena = ParameterArena()
        self.arena = arena
        embedding = Embedding(arena, name: "embedding", vocab: config.vocab, dim: config.embedding, paddingId: SpecialIds.pad)
        let L = config.layers, H = config.hidden
        forwardLayers = (0..<L).map {
            SequenceLayer(config.cell, arena, name: "fwd.l\($0)", input: $0 == 0 ? config.embedding : H, hidden: H, reverse: false)
        }
        backwardLayers = config.bidirectional ? (0..<L).map {
            SequenceLayer(config.cell, arena, name: "bwd.l\($0)", input: $0 == 0 ? config.embedding : H, hidden: H, reverse: true)
        } : []
        hiddenLayer = Linear(arena, name: "hidden", input: config.contextSize, output: config.preOutput)
        generator = Linear(arena, name: "generator", input: config.preOutput, output: config.vocab)
        dropout = Dropout(p: config.dropout)
        arena.allocate(seed: seed)
        if seed != nil { for l in forwardLayers + backwardLayers { l.initializeWeights(arena) } }
        fCaches = (0..<L).map { _ in RecurrentCache() }; rCaches = (0..<L).map { _ in RecurrentCache() }
        fOut = (0..<L).map { _ in GrowBuffer() }; rOut = (0..<L).map { _ in GrowBuffer() }
        fMask = (0..<L).map { _ in GrowBuffer() }; rMask = (0..<L).map { _ in GrowBuffer() }
        fD = (0..<L).map { _ in GrowBuffer() }; rD = (0..<L).map { _ in GrowBuffer() }
    }

    /// Forward and backward; parameter gradients accumulated (+=), loss averaged over targets.
    @discardableResult
    /// `gradScale` multiplies the loss's gradient (default 1 / the batch's target count: the mean).
    public func trainStep(_ batch: FillBatch, rng: inout RNG, gradScale: Float? = nil) -> LossResult {
        run(batch, rng: &rng, training: true, backward: true, gradScale: gradScale)
    }

    /// Loss sums without dropout, masking or gradients.
    public func evaluate(_ batch: FillBatch) -> LossResult {
        var rng = RNG(seed: 0)
        return run(batch, rng: &rng, training: false, backward: false)
    }

    /// Log-probabilities over the vocabulary at each of the batch's targets (no dropout):
    /// row i of the result (targets.count × V, row-major) belongs to batch.targets[i].
    public func logProbabilities(_ batch: FillBatch) -> [Float] {
        var rng = RNG(seed: 0)
        let V = config.vocab
        _ = forwardContext(batch, rng: &rng, training: false)
        let N = batch.targets.count
        let logits = logitsB.matrix(N, V)
        var out = [Float](repeating: 0, count: N * V)
        out.withUnsafeMutableBufferPointer { o in
            for i in 0..<N {
                let row = logits.row(i)
                let m = vMax(row, count: V)
                var s: Double = 0
                for v in 0..<V { s += Double(simdExp(row[v] - m)) }
                let lse = m + Float(log(s))
                for v in 0..<V { o[i * V + v] = row[v] - lse }
            }
        }
        return out
    }

    /// Runs embedding → LSTMs → gather → MLP → logits (N, V) in logitsB. Returns the context
    /// matrix (N, C) (after dropout) and hidden (N, P).
    private func forwardContext(_ batch: FillBatch, rng: inout RNG, training: Bool) -> (ctx: MatrixRef, h: MatrixRef) {
        let B = batch.size, T = batch.steps, E = config.embedding, H = config.hidden, V = config.vocab
        let C = config.contextSize, P = config.preOutput, L = config.layers
        precondition(B > 0 && T * B == batch.ids.count && T >= 2)
        // Input ids, with words replaced by <mask> at random when training.
        inIds.removeAll(keepingCapacity: true)
        inIds.append(contentsOf: batch.ids)
        if training && config.inputMask > 0 {
            let threshold = UInt64(Double(config.inputMask) * 16_777_216)
            for b in 0..<B where batch.lengths[b] > 2 {
                for t in 1 ... batch.lengths[b] - 2 where (rng.next() >> 40) < threshold { inIds[t * B + b] = SpecialIds.mask }
            }
        }
        let x = xB.matrix(T * B, E)                                           // (T·B, E)
        inIds.withUnsafeBufferPointer { embedding.forward(arena, ids: $0, into: x) }
        dropout.forward(x, mask: xMask.tensorFor(T * B * E), rng: &rng, training: training)
        // The two language models.
        var input = x
        for k in 0..<L {
            let out = fOut[k].matrix(T * B, H)                                // (T·B, H)
            forwardLayers[k].forward(arena, x: input, lengths: batch.lengths, steps: T, outputs: out, final: [], cache: fCaches[k])
            if k < L - 1 { dropout.forward(out, mask: fMask[k].tensorFor(T * B * H), rng: &rng, training: training) }
            input = out
        }
        if config.bidirectional {
            input = x
            for k in 0..<L {
                let out = rOut[k].matrix(T * B, H)                            // (T·B, H)
                backwardLayers[k].forward(arena, x: input, lengths: batch.lengths, steps: T, outputs: out, final: [], cache: rCaches[k])
                if k < L - 1 { dropout.forward(out, mask: rMask[k].tensorFor(T * B * H), rng: &rng, training: training) }
                input = out
            }
        }
        // Gather each target's context: [F[t−1] ; R[t+1]].
        let N = batch.targets.count
        let ctx = ctxB.matrix(N, C)                                           // (N, C)
        let F = fOut[L - 1].matrix(T * B, H)
        let R = config.bidirectional ? rOut[L - 1].matrix(T * B, H) : F
        for (i, tg) in batch.targets.enumerated() {
            precondition(tg.time >= 1 && tg.time <= batch.lengths[tg.b] - 2, "fill target outside its sentence")
            ctx.row(i).update(from: F.row((tg.time - 1) * B + tg.b), count: H)
            if config.bidirectional { (ctx.row(i) + H).update(from: R.row((tg.time + 1) * B + tg.b), count: H) }
        }
        dropout.forward(ctx, mask: ctxMask.tensorFor(N * C), rng: &rng, training: training)
        let h = hB.matrix(N, P)                                               // (N, P)
        hiddenLayer.forward(arena, ctx, into: h)
        vTanh(h.ptr, h.ptr, count: N * P)
        dropout.forward(h, mask: hMask.tensorFor(N * P), rng: &rng, training: training)
        let logits = logitsB.matrix(N, V)                                     // (N, V)
        generator.forward(arena, h, into: logits)
        return (ctx, h)
    }

    /// Forward (and optionally backward) with explicit control of dropout, for tests.
    @discardableResult
    public func run(_ batch: FillBatch, rng: inout RNG, training: Bool, backward: Bool, gradScale: Float? = nil) -> LossResult {
        let B = batch.size, T = batch.steps, E = config.embedding, H = config.hidden, V = config.vocab
        let C = config.contextSize, P = config.preOutput, L = config.layers
        let (ctx, h) = forwardContext(batch, rng: &rng, training: training)
        let N = batch.targets.count
        let logits = logitsB.matrix(N, V)
        let golds = batch.targets.map(\.gold)
        let tokens = golds.reduce(0) { $0 + ($1 == SpecialIds.pad ? 0 : 1) }
        let result = golds.withUnsafeBufferPointer {
            SoftmaxCrossEntropy.forwardBackward(logits: logits, targets: $0, smoothing: config.labelSmoothing,
                                                gradScale: gradScale ?? 1 / Float(max(tokens, 1)), writeGradient: backward,
                                                paddingId: SpecialIds.pad)
        }
        guard backward else { return result }

        // MLP backward.
        let dH = dHB.matrix(N, P)                                             // (N, P)
        generator.backward(arena, x: h, dY: logits, dX: dH)
        dropout.backward(dH, mask: hMask.tensor, training: training)
        // tanh': h holds tanh(·)·mask; undo the mask by reading the pre-dropout value is not
        // needed: where the mask is 0 dH is 0 too, elsewhere h/keep = tanh.
        let keep: Float = training && config.dropout > 0 ? 1 - config.dropout : 1
        let hp = h.ptr, dp = dH.ptr
        for i in 0..<(N * P) {
            let t = hp[i] * keep
            dp[i] *= 1 - t * t
        }
        let dCtx = dCtxB.matrix(N, C)                                         // (N, C)
        hiddenLayer.backward(arena, x: ctx, dY: dH, dX: dCtx)
        dropout.backward(dCtx, mask: ctxMask.tensor, training: training)
        // Scatter into the top layers' output gradients.
        let dF = fD[L - 1].matrix(T * B, H)                                   // (T·B, H)
        dF.zero()
        let dR = config.bidirectional ? rD[L - 1].matrix(T * B, H) : dF
        if config.bidirectional { dR.zero() }
        for (i, tg) in batch.targets.enumerated() {
            addInPlace(dF.row((tg.time - 1) * B + tg.b), dCtx.row(i), count: H)
            if config.bidirectional { addInPlace(dR.row((tg.time + 1) * B + tg.b), dCtx.row(i) + H, count: H) }
        }
        // LSTM stacks, top down.
        let x = xB.matrix(T * B, E)
        let dX = dXB.matrix(T * B, E)                                         // (T·B, E)
        for k in stride(from: L - 1, through: 0, by: -1) {
            let inp = k == 0 ? x : fOut[k - 1].matrix(T * B, H)
            let dIn: MatrixRef = k == 0 ? dX : fD[k - 1].matrix(T * B, H)
            forwardLayers[k].backward(arena, x: inp, dOutputs: fD[k].matrix(T * B, H), dFinal: [], dX: dIn, accumulateDX: false,
                                      cache: fCaches[k])
            if k > 0 { dropout.backward(dIn, mask: fMask[k - 1].tensor, training: training) }
        }
        if config.bidirectional {
            for k in stride(from: L - 1, through: 0, by: -1) {
                let inp = k == 0 ? x : rOut[k - 1].matrix(T * B, H)
                let dIn: MatrixRef = k == 0 ? dX : rD[k - 1].matrix(T * B, H)
                backwardLayers[k].backward(arena, x: inp, dOutputs: rD[k].matrix(T * B, H), dFinal: [], dX: dIn,
                                           accumulateDX: k == 0, cache: rCaches[k])
                if k > 0 { dropout.backward(dIn, mask: rMask[k - 1].tensor, training: training) }
            }
        }
        dropout.backward(dX, mask: xMask.tensor, training: training)
        inIds.withUnsafeBufferPointer { embedding.backward(arena, ids: $0, dY: dX) }
        return result
    }
}
