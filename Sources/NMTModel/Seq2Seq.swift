// The translation model: embeddings → stacked bidirectional encoder (LSTM, or the cell
// config.encoderCell names) → bridge → attention decoder (GRU, or config.decoderCell)
// with input feeding → output projection → label-smoothed cross-entropy.
//
//   srcIds (Tx·B) ─ srcEmbed ─ dropout ─ word dropout ─► (Tx·B, E) ─ encoder ─► encOut (Tx·B, 2H), finalH (B, 2H)
//   finalH ─ bridge ─► s0 (B, Hd)
//   tgtIn (Ty·B) ─ tgtEmbed ─ dropout ─ word dropout ─► (Ty·B, E) ─ decoder(encOut, s0) ─► o (Ty·B, P)
//   o ─ generator ─► logits (Ty·B, V) ─ loss(tgtOut) ─► Σ loss, Σ nll, tokens
//
// Tied embeddings: the generator's weight is the target embedding (V, E). When P ≠ E a
// projection without bias maps o (Ty·B, P) to (Ty·B, E) first (Press & Wolf 2017's
// projection), so the pre-output layer keeps its size: o ─ projection ─► (Ty·B, E) ─ generator.
//
// `trainStep` runs forward and backward and ACCUMULATES parameter gradients into the arena
// (the caller zeroes, clips and updates). The loss is averaged over the batch's target tokens
// (gradScale = 1 / tokens). Every buffer is owned by the model and reused across batches.

import NMTLayers
import NMTTensor
import NMTText

public struct Seq2SeqConfig: Codable, Sendable, Equatable {
    public var sourceVocab: Int
    public var targetVocab: Int
    public var embedding: Int = 256
    public var encoderHidden: Int = 256      // per direction
    public var encoderLayers: Int = 1
    public var decoderHidden: Int = 512
    public var attention: Int = 512
    public var preOutput: Int = 512
    public var dropout: Float = 0.3
    public var labelSmoothing: Float = 0.1
    /// The output layer's weight is the target embedding; when preOutput ≠ embedding a
    /// projection (preOutput → embedding, no bias) comes before it.
    public var tieEmbeddings = false
    /// The encoder's recurrent cell (both directions, every layer).
    public var encoderCell: CellKind = .lstm
    /// The decoder's recurrent cell (its cell state, if any, starts at 0).
    public var decoderCell: CellKind = .gru
    /// The model reads and writes target sentences right to left (last token first): trained
    /// on reversed targets, its outputs are reversed back by the Translator, and scores of
    /// given targets reverse them first. A reranker for left-to-right models (`--rescore`).
    public var reverseTarget = false
    /// Training only: the probability that a source token's whole embedding is dropped
    /// (WordDropout; Marian's --dropout-src). 0: off.
    public var sourceWordDropout: Float = 0
    /// Training only: the same for the decoder's input tokens (Marian's --dropout-trg).
    public var targetWordDropout: Float = 0
    /// Layer normalisation in every recurrent cell, encoder and decoder (RecurrentNorm; Marian's
    /// --layer-normalization).
    public var layerNorm = false

    public init(sourceVocab: Int, targetVocab: Int, embedding: Int = 256, encoderHidden: Int = 256,
                encoderLayers: Int = 1, decoderHidden: Int = 512, attention: Int = 512, preOutput: Int = 512,
                dropout: Float = 0.3, labelSmoothing: Float = 0.1, tieEmbeddings: Bool = false,
                encoderCell: CellKind = .lstm, decoderCell: CellKind = .gru, reverseTarget: Bool = false,
                sourceWordDropout: Float = 0, targetWordDropout: Float = 0, layerNorm: Bool = false) {
        self.sourceVocab = sourceVocab; self.targetVocab = targetVocab; self.embedding = embedding
        self.encoderHidden = encoderHidden; self.encoderLayers = encoderLayers; self.decoderHidden = decoderHidden
        self.attention = attention; self.preOutput = preOutput; self.dropout = dropout
        self.labelSmoothing = labelSmoothing; self.tieEmbeddings = tieEmbeddings; self.encoderCell = encoderCell
        self.decoderCell = decoderCell; self.reverseTarget = reverseTarget
        self.sourceWordDropout = sourceWordDropout; self.targetWordDropout = targetWordDropout
        self.layerNorm = layerNorm
    }

    public var decoderConfig: DecoderConfig {
        DecoderConfig(embedding: embedding, context: 2 * encoderHidden, hidden: decoderHidden,
                      attention: attention, preOutput: preOutput, dropout: dropout, cell: decoderCell,
                      layerNorm: layerNorm)
    }
}

/// A time-major padded batch as the model sees it (NMTTrain's Batcher builds these from text).
public struct Seq2SeqBatch: Sendable {
    public var sourceIds: [Int32]       // (Tx·B)
    public var sourceLengths: [Int]     // (B), each ≥ 1
    public var targetInput: [Int32]     // (Ty·B): <s> y1 … yn, padded with 0
    public var targetOutput: [Int32]    // (Ty·B): y1 … yn </s>, padded with 0
    public var targetLengths: [Int]     // (B)
    public init(sourceIds: [Int32], sourceLengths: [Int], targetInput: [Int32], targetOutput: [Int32], targetLengths: [Int]) {
        self.sourceIds = sourceIds; self.sourceLengths = sourceLengths; self.targetInput = targetInput
        self.targetOutput = targetOutput; self.targetLengths = targetLengths
    }
    public var size: Int { sourceLengths.count }
    public var sourceSteps: Int { sourceIds.count / max(size, 1) }
    public var targetSteps: Int { targetInput.count / max(size, 1) }
}

public final class Seq2Seq {
    public let config: Seq2SeqConfig
    public let arena: ParameterArena
    public let sourceEmbedding: Embedding
    public let targetEmbedding: Embedding
    public let encoder: StackedEncoder
    public let bridge: Bridge
    public let decoder: Decoder
    public let generator: Linear
    /// Tied embeddings with P ≠ E: o (P) → (E) before the generator ("generator_projection.weight").
    public let generatorProjection: Linear?
    let embeddingDropout: Dropout
    let sourceWordDropout: WordDropout, targetWordDropout: WordDropout

    // Buffers reused across batches.
    let encCache = StackedEncoderCache()
    let srcE = GrowBuffer(), srcMask = GrowBuffer(), dSrcE = GrowBuffer()
    let tgtE = GrowBuffer(), tgtMask = GrowBuffer(), dTgtE = GrowBuffer()
    let srcWordMask = GrowBuffer(), tgtWordMask = GrowBuffer()
    let s0B = GrowBuffer(), dS0B = GrowBuffer(), dFinalHB = GrowBuffer(), dEncOutB = GrowBuffer()
    let logitsB = GrowBuffer(), dOB = GrowBuffer(), projB = GrowBuffer(), dProjB = GrowBuffer()

    /// Builds the model and initialises its parameters from `seed` (nil: all zero, for a model
    /// whose weights are about to be loaded).
    public init(_ config: Seq2SeqConfig, seed: UInt64?) {
        self.config = config
        let arena = ParameterArena()
        self.arena = arena
        sourceEmbedding = Embedding(arena, name: "source_embedding", vocab: config.sourceVocab, dim: config.embedding,
                                    paddingId: SpecialIds.pad)
        targetEmbedding = Embedding(arena, name: "target_embedding", vocab: config.targetVocab, dim: config.embedding,
                                    paddingId: SpecialIds.pad)
        encoder = StackedEncoder(arena, name: "encoder", cell: config.encoderCell, input: config.embedding, hidden: config.encoderHidden,
                                 layers: config.encoderLayers, dropout: config.dropout, layerNorm: config.layerNorm)
        bridge = Bridge(arena, name: "bridge", input: 2 * config.encoderHidden, output: config.decoderHidden)
        decoder = Decoder(arena, config: config.decoderConfig, name: "decoder")
        if config.tieEmbeddings {
            generatorProjection = config.preOutput == config.embedding ? nil
                : Linear(arena, name: "generator_projection", input: config.preOutput, output: config.embedding, bias: false)
            generator = Linear(arena, name: "generator", sharedWeight: targetEmbedding.table)
        } else {
            generatorProjection = nil
            generator = Linear(arena, name: "generator", input: config.preOutput, output: config.targetVocab)
        }
        embeddingDropout = Dropout(p: config.dropout)
        sourceWordDropout = WordDropout(p: config.sourceWordDropout)
        targetWordDropout = WordDropout(p: config.targetWordDropout)
        arena.allocate(seed: seed)
        if seed != nil { encoder.initializeForgetBias(arena); decoder.cell.initializeForgetBias(arena) }
    }

    /// Forward and backward over one batch; parameter gradients are accumulated (+=).
    /// Returns the loss sums over the batch's real target tokens.
    @discardableResult
    /// `gradScale` multiplies the loss's gradient (default 1 / the batch's target count: the mean).
    public func trainStep(_ batch: Seq2SeqBatch, rng: inout RNG, gradScale: Float? = nil) -> LossResult {
        run(batch, rng: &rng, training: true, backward: true, gradScale: gradScale)
    }

    /// Loss of a batch without dropout and without gradients.
    public func evaluate(_ batch: Seq2SeqBatch) -> LossResult {
        var rng = RNG(seed: 0)
        return run(batch, rng: &rng, training: false, backward: false)
    }

    /// Forward (and optionally backward) with explicit control of dropout, for tests.
    @discardableResult
    public func run(_ batch: Seq2SeqBatch, rng: inout RNG, training: Bool, backward: Bool, gradScale: Float? = nil) -> LossResult {
        let B = batch.size, Tx = batch.sourceSteps, Ty = batch.targetSteps
        let E = config.embedding, V = config.targetVocab
        precondition(B > 0 && Tx * B == batch.sourceIds.count && Ty * B == batch.targetInput.count
                     && batch.targetOutput.count == Ty * B && batch.targetLengths.count == B)
        // Encoder.
        let srcX = srcE.matrix(Tx * B, E)                                    // (Tx·B, E)
        batch.sourceIds.withUnsafeBufferPointer { sourceEmbedding.forward(arena, ids: $0, into: srcX) }
        embeddingDropout.forward(srcX, mask: srcMask.tensorFor(Tx * B * E), rng: &rng, training: training)
        sourceWordDropout.forward(srcX, mask: srcWordMask.tensorFor(Tx * B), rng: &rng, training: training)
        let enc = encoder.forward(arena, x: srcX, lengths: batch.sourceLengths, steps: Tx, cache: encCache,
                                  rng: &rng, training: training)
        // Bridge: the top layer's [h_fwd ; h_bwd] → s0.
        let s0 = s0B.matrix(B, config.decoderHidden)                          // (B, Hd)
        bridge.forward(arena, enc.finalH, into: s0)
        // Decoder.
        let tgtX = tgtE.matrix(Ty * B, E)                                    // (Ty·B, E)
        batch.targetInput.withUnsafeBufferPointer { targetEmbedding.forward(arena, ids: $0, into: tgtX) }
        embeddingDropout.forward(tgtX, mask: tgtMask.tensorFor(Ty * B * E), rng: &rng, training: training)
        targetWordDropout.forward(tgtX, mask: tgtWordMask.tensorFor(Ty * B), rng: &rng, training: training)
        let o = decoder.forward(arena, targetEmbedded: tgtX, encOut: enc.outputs, srcLengths: batch.sourceLengths,
                                tgtLengths: batch.targetLengths, s0: s0, rng: &rng, training: training)
        // Output projection and loss over all Ty·B rows at once.
        let logits = logitsB.matrix(Ty * B, V)                               // (Ty·B, V)
        let g = generatorInput(o, buffer: projB)                             // (Ty·B, P or E)
        generator.forward(arena, g, into: logits)
        let tokens = batch.targetLengths.reduce(0, +)
        let result = batch.targetOutput.withUnsafeBufferPointer {
            SoftmaxCrossEntropy.forwardBackward(logits: logits, targets: $0, smoothing: config.labelSmoothing,
                                                gradScale: gradScale ?? 1 / Float(max(tokens, 1)), writeGradient: backward,
                                                paddingId: SpecialIds.pad)
        }
        guard backward else { return result }

        // Backward, in reverse order.
        let dO = dOB.matrix(Ty * B, config.preOutput)                        // (Ty·B, P)
        if let generatorProjection {
            let dG = dProjB.matrix(Ty * B, E)                                // (Ty·B, E)
            generator.backward(arena, x: g, dY: logits, dX: dG)
            generatorProjection.backward(arena, x: o, dY: dG, dX: dO)
        } else {
            generator.backward(arena, x: o, dY: logits, dX: dO)
        }
        gradientsFinal?(0)
        let dTgtX = dTgtE.matrix(Ty * B, E)                                  // (Ty·B, E)
        let dEncOut = dEncOutB.matrix(Tx * B, 2 * config.encoderHidden)      // (Tx·B, 2H), accumulated into
        dEncOut.zero()
        let dS0 = dS0B.matrix(B, config.decoderHidden)                       // (B, Hd)
        decoder.backward(arena, dO: dO, dTargetEmbedded: dTgtX, dEncOut: dEncOut, dS0: dS0)
        gradientsFinal?(1)
        targetWordDropout.backward(dTgtX, mask: tgtWordMask.tensor, training: training)
        embeddingDropout.backward(dTgtX, mask: tgtMask.tensor, training: training)
        batch.targetInput.withUnsafeBufferPointer { targetEmbedding.backward(arena, ids: $0, dY: dTgtX) }
        gradientsFinal?(2)
        let dFinalH = dFinalHB.matrix(B, 2 * config.encoderHidden)           // (B, 2H)
        bridge.backward(arena, h: enc.finalH, s0: s0, dS0: dS0, dH: dFinalH)
        gradientsFinal?(3)
        let dSrcX = dSrcE.matrix(Tx * B, E)                                  // (Tx·B, E)
        encoder.backward(arena, x: srcX, dOutputs: dEncOut, dFinalH: dFinalH, dX: dSrcX, cache: encCache)
        gradientsFinal?(4)
        sourceWordDropout.backward(dSrcX, mask: srcWordMask.tensor, training: training)
        embeddingDropout.backward(dSrcX, mask: srcMask.tensor, training: training)
        batch.sourceIds.withUnsafeBufferPointer { sourceEmbedding.backward(arena, ids: $0, dY: dSrcX) }
        gradientsFinal?(5)
        return result
    }

    /// The generator's input for pre-output rows o (N, P): o itself, or its projection to E
    /// (written into `buffer`) when tied embeddings need one.
    public func generatorInput(_ o: MatrixRef, buffer: GrowBuffer) -> MatrixRef {
        guard let generatorProjection else { return o }
        let g = buffer.matrix(o.rows, config.embedding)
        generatorProjection.forward(arena, o, into: g)
        return g
    }

    /// Called during backward as each of `gradientSegments` becomes final (its index, in
    /// order), so that data-parallel training can start summing it while backward goes on.
    public var gradientsFinal: ((Int) -> Void)?

    /// The arena's parameters as offset ranges in the order backward finishes them: the output
    /// layer, the decoder, the target embedding (tied: its last use is the decoder's input),
    /// the bridge, the encoder, the source embedding. Together they cover the arena once.
    public var gradientSegments: [Range<Int>] {
        ["generator", "decoder", "target_embedding", "bridge", "encoder", "source_embedding"].map { prefix in
            let ps = arena.params.filter { $0.name.hasPrefix(prefix + ".") || $0.name.hasPrefix(prefix + "_") && prefix == "generator" }
            guard let lo = ps.map(\.offset).min(), let hi = ps.map({ $0.offset + $0.count }).max() else { return 0..<0 }
            return lo..<hi
        }
    }

    /// Bytes held by the model's reusable buffers (activations and caches), for memory reports.
    public var workspaceBytes: Int {
        encCache.bytes + [srcE, srcMask, dSrcE, tgtE, tgtMask, dTgtE, srcWordMask, tgtWordMask, s0B, dS0B, dFinalHB, dEncOutB, logitsB, dOB, projB, dProjB]
            .reduce(0) { $0 + $1.tensor.count * 4 }
    }
}
