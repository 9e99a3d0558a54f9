// The left-to-right recurrent language model (the classic RNN LM): embeddings → L layers of any
// sequence cell → the output layer over the vocabulary → softmax cross-entropy.
//
//   input  (T·B)  <s> w1 … wn   (time-major, padded with 0)
//   x = dropout(embedding(input))                       (T·B, E)
//   h_k = dropout(layer_k(h_{k−1}))                     (T·B, H), h_0 = x
//   logits = h_L·Wᵀ + b                                 (T·B, V)
//   loss over the outputs w1 … wn </s> (padding rows add nothing)
//
// Dropout (inverted) after the embedding and after every layer, applied in place: the layer
// caches keep their own copy of each h. An echo state network (cell esn) trains only the output
// layer (its readout): its embedding and reservoir keep their random initial values. With `tieEmbeddings` (E = H) the output layer's weight
// is the embedding (Press & Wolf 2017). Every perplexity is a softmax over the whole vocabulary.
//
// Training: `trainStep` accumulates parameter gradients (the caller zeroes, clips, updates); the
// loss is averaged over the batch's output tokens. Scoring: `tokenLogProbabilities`. Sampling:
// `LMState` + `step`, one token for R rows at a time through the same layers (T = 1, carried
// state).

import NMTLayers
import NMTTensor
import NMTText
#if canImport(Glibc)
import Glibc
#endif

public struct LanguageModelConfig: Codable, Sendable, Equatable {
    public var vocab: Int
    public var cell: CellKind = .lstm
    public var embedding: Int = 256
    public var hidden: Int = 512
    public var layers: Int = 1
    public var dropout: Float = 0.3
    public var labelSmoothing: Float = 0
    /// The output layer's weight is the embedding (needs embedding == hidden).
    public var tieEmbeddings = false
    /// Clockwork modules, echo-state reservoir.
    public var cellOptions = CellOptions()

    public init(vocab: Int, cell: CellKind = .lstm, embedding: Int = 256, hidden: Int = 512, layers: Int = 1,
                dropout: Float = 0.3, labelSmoothing: Float = 0, tieEmbeddings: Bool = false,
                cellOptions: CellOptions = CellOptions()) {
        self.vocab = vocab; self.cell = cell; self.embedding = embedding; self.hidden = hidden; self.layers = layers
        self.dropout = dropout; self.labelSmoothing = labelSmoothing; self.tieEmbeddings = tieEmbeddings
        self.cellOptions = cellOptions
    }
}

/// Sentences as the language model reads them: input <s> w1 … wn, output w1 … wn </s>.
public struct LMBatch: Sendable {
    public var input: [Int32]     // (T·B)
    public var output: [Int32]    // (T·B), 0 at padding
    public var lengths: [Int]     // (B) n + 1
    public var size: Int { lengths.count }
    public var steps: Int { input.count / max(size, 1) }

    /// Sentences (word ids without <s>/</s>) in the given order.
    public init(sentences: [[Int32]]) {
        let B = sentences.count
        let T = (sentences.map(\.count).max() ?? 0) + 1
        var input = [Int32](repeating: SpecialIds.pad, count: T * B), output = input
        for (b, s) in sentences.enumerated() {
            input[b] = SpecialIds.bos
            for (k, id) in s.enumerated() { input[(k + 1) * B + b] = id; output[k * B + b] = id }
            output[s.count * B + b] = SpecialIds.eos
        }
        self.input = input; self.output = output; self.lengths = sentences.map { $0.count + 1 }
    }

    /// Real output tokens.
    public var tokens: Int { lengths.reduce(0, +) }
}

public final class LanguageModel {
    public let config: LanguageModelConfig
    public let arena: ParameterArena
    public let embedding: Embedding
    public let layers: [SequenceLayer]
    public let generator: Linear
    let dropout: Dropout

    let caches: [RecurrentCache]
    let xB = GrowBuffer(), xMask = GrowBuffer(), dXB = GrowBuffer(), logitsB = GrowBuffer()
    let outB: [GrowBuffer], maskB: [GrowBuffer], dOutB: [GrowBuffer]   // per layer (T·B, H)

    /// Registers "embedding.weight", "l{k}.<cell tensors>", "generator.{weight,bias}" (the weight
    /// is the embedding when tied).
    public init(_ config: LanguageModelConfig, seed: UInt64?) {
        precondition(config.layers >= 1 && config.vocab > SpecialIds.count, "language model: bad sizes")
        precondition(!config.tieEmbeddings || config.embedding == config.hidden, "tied embeddings need embedding == hidden")
        self.config = config
        let arena = ParameterArena()
        self.arena = arena
        embedding = Embedding(arena, name: "embedding", vocab: config.vocab, dim: config.embedding, paddingId: SpecialIds.pad)
        layers = (0..<config.layers).map {
            SequenceLayer(config.cell, arena, name: "l\($0)", input: $0 == 0 ? config.embedding : config.hidden,
                          hidden: config.hidden, options: config.cellOptions)
        }
        generator = config.tieEmbeddings ? Linear(arena, name: "generator", sharedWeight: embedding.table)
            : Linear(arena, name: "generator", input: config.hidden, output: config.vocab)
        dropout = Dropout(p: config.dropout)
        arena.allocate(seed: seed)
        if seed != nil { for l in layers { l.initializeWeights(arena) } }
        caches = (0..<config.layers).map { _ in RecurrentCache() }
        outB = (0..<config.layers).map { _ in GrowBuffer() }
        maskB = (0..<config.layers).map { _ in GrowBuffer() }
        dOutB = (0..<config.layers).map { _ in GrowBuffer() }
    }

    @discardableResult
    /// `gradScale` multiplies the loss's gradient (default 1 / the batch's target count: the mean).
    public func trainStep(_ batch: LMBatch, rng: inout RNG, gradScale: Float? = nil) -> LossResult {
        run(batch, rng: &rng, training: true, backward: true, gradScale: gradScale)
    }

    /// Loss sums without dropout or gradients.
    public func evaluate(_ batch: LMBatch) -> LossResult {
        var rng = RNG(seed: 0)
        return run(batch, rng: &rng, training: false, backward: false)
    }

    /// The top layer's outputs (T·B, H) after dropout; the logits are in `logitsB`.
    private func forward(_ batch: LMBatch, rng: inout RNG, training: Bool) -> MatrixRef {
        let B = batch.size, T = batch.steps, E = config.embedding, H = config.hidden
        let x = xB.matrix(T * B, E)
        batch.input.withUnsafeBufferPointer { embedding.forward(arena, ids: $0, into: x) }
        dropout.forward(x, mask: xMask.tensorFor(T * B * E), rng: &rng, training: training)
        var input = x
        for k in layers.indices {
            let out = outB[k].matrix(T * B, H)
            layers[k].forward(arena, x: input, lengths: batch.lengths, steps: T, outputs: out, final: [], cache: caches[k])
            dropout.forward(out, mask: maskB[k].tensorFor(T * B * H), rng: &rng, training: training)
            input = out
        }
        generator.forward(arena, input, into: logitsB.matrix(T * B, config.vocab))
        return input
    }

    /// Forward (and optionally backward) with explicit control of dropout, for tests.
    @discardableResult
    public func run(_ batch: LMBatch, rng: inout RNG, training: Bool, backward: Bool, gradScale: Float? = nil) -> LossResult {
        let B = batch.size, T = batch.steps, E = config.embedding, H = config.hidden
        precondition(B > 0 && batch.output.count == T * B)
        let top = forward(batch, rng: &rng, training: training)
        let logits = logitsB.matrix(T * B, config.vocab)
        let tokens = batch.tokens
        let result = batch.output.withUnsafeBufferPointer {
            SoftmaxCrossEntropy.forwardBackward(logits: logits, targets: $0, smoothing: config.labelSmoothing,
                                                gradScale: gradScale ?? 1 / Float(max(tokens, 1)), writeGradient: backward,
                                                paddingId: SpecialIds.pad)
        }
        guard backward else { return result }
        var dTop = dOutB[layers.count - 1].matrix(T * B, H)
        // An echo state network trains its readout only: the reservoir and the input stay fixed.
        guard config.cell.isTrained else {
            generator.backward(arena, x: top, dY: logits, dX: nil)
            return result
        }
        generator.backward(arena, x: top, dY: logits, dX: dTop)
        let x = xB.matrix(T * B, E), dX = dXB.matrix(T * B, E)
        for k in layers.indices.reversed() {
            dropout.backward(dTop, mask: maskB[k].tensor, training: training)
            let input = k == 0 ? x : outB[k - 1].matrix(T * B, H)
            let dIn = k == 0 ? dX : dOutB[k - 1].matrix(T * B, H)
            layers[k].backward(arena, x: input, dOutputs: dTop, dFinal: [], dX: dIn, accumulateDX: false, cache: caches[k])
            dTop = dIn
        }
        dropout.backward(dX, mask: xMask.tensor, training: training)
        batch.input.withUnsafeBufferPointer { embedding.backward(arena, ids: $0, dY: dX) }
        return result
    }

    /// log p(output token) at every row (T·B), natural log, 0 at padding rows; no dropout.
    public func tokenLogProbabilities(_ batch: LMBatch) -> [Double] {
        var rng = RNG(seed: 0)
        _ = forward(batch, rng: &rng, training: false)
        let logits = logitsB.matrix(batch.steps * batch.size, config.vocab)
        return batch.output.enumerated().map { row, gold in
            gold == SpecialIds.pad ? 0 : LanguageModel.logSoftmax(logits.row(row), count: config.vocab, at: Int(gold))
        }
    }

    /// log softmax(z)[k] in Double.
    static func logSoftmax(_ z: UnsafePointer<Float>, count V: Int, at k: Int) -> Double {
        var m = -Double.infinity
        for j in 0..<V { m = max(m, Double(z[j])) }
        var s = 0.0
        for j in 0..<V { s += exp(Double(z[j]) - m) }
        return Double(z[k]) - m - log(s)
    }

    // MARK: one token at a time (sampling)

    /// Starts R rows at the empty state (no token read yet).
    public func initialState(rows: Int) -> LMState {
        let st = LMState(layers: config.layers, parts: config.cell.stateParts, rows: rows, hidden: config.hidden)
        return st
    }

    /// Reads one token per row (ids (R): <s> first) and returns the logits of the next (R, V),
    /// valid until the next step; the state moves on. No dropout.
    public func step(_ ids: [Int32], state st: LMState) -> MatrixRef {
        let R = st.rows, E = config.embedding, H = config.hidden
        precondition(ids.count == R)
        let x = st.xB.matrix(R, E)
        ids.withUnsafeBufferPointer { embedding.forward(arena, ids: $0, into: x) }
        var input = x
        let ones = [Int](repeating: 1, count: R)
        for k in layers.indices {
            let out = st.outB[k].matrix(R, H)
            let parts: [MatrixRef?] = (0..<st.parts).map { st.states[k].matrix.rows($0 * R ..< ($0 + 1) * R) }
            layers[k].forward(arena, x: input, lengths: ones, steps: 1, initial: parts, outputs: out, final: parts,
                              cache: st.caches[k], firstStep: st.steps)
            input = out
        }
        st.steps += 1
        let logits = st.logitsB.matrix(R, config.vocab)
        generator.forward(arena, input, into: logits)
        return logits
    }
}

/// The recurrent state of R rows of a language model, layer by layer.
public final class LMState {
    public let rows: Int
    /// Tokens read so far (the next token's step number).
    public internal(set) var steps = 0
    let parts: Int
    let states: [Tensor]          // per layer (parts·R, H)
    let caches: [RecurrentCache]
    let xB = GrowBuffer(), logitsB = GrowBuffer()
    let outB: [GrowBuffer]

    init(layers: Int, parts: Int, rows: Int, hidden: Int) {
        self.rows = rows; self.parts = parts
        states = (0..<layers).map { _ in Tensor([parts * rows, hidden]) }
        caches = (0..<layers).map { _ in RecurrentCache() }
        outB = (0..<layers).map { _ in GrowBuffer() }
    }
}
