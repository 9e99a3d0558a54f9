import NMTText
import NMTLayers
import NMTModel
import NMTTensor
import NMTTestSupport
import NMTTrain
import Testing

/// Whole-model checks at tiny sizes: gradients of the composed encoder → bridge → attention
/// decoder → loss against central differences, padding invariance, seeded determinism.
@Suite struct Seq2SeqTests {
    /// How the output layer is built: its own weight, the target embedding (P = E), or the
    /// target embedding behind a P → E projection (P ≠ E).
    enum Output: CaseIterable, Sendable { case untied, tied, tiedProjected }

    static func tinyConfig(layers: Int = 2, dropout: Float = 0.2, output: Output = .untied,
                           cells: (CellKind, CellKind) = (.lstm, .gru)) -> Seq2SeqConfig {
        Seq2SeqConfig(sourceVocab: 9, targetVocab: 8, embedding: 4, encoderHidden: 3, encoderLayers: layers,
                    decoderHidden: 4, attention: 3, preOutput: output == .tied ? 4 : 5, dropout: dropout, labelSmoothing: 0.1,
                    tieEmbeddings: output != .untied, encoderCell: cells.0, decoderCell: cells.1)
    }

    /// Encoder/decoder cell pairs: every sequence cell on each side at least once.
    static let cellPairs: [(CellKind, CellKind)] = [(.rnn, .peephole), (.peephole, .coupled), (.coupled, .rnn), (.gru, .lstm),
                                                    (.lstm, .gru)]

    /// A batch (time-major) from per-sentence token lists.
    static func batch(_ pairs: [([Int32], [Int32])]) -> Seq2SeqBatch {
        let B = pairs.count
        let tx = pairs.map(\.0.count).max()!, ty = pairs.map(\.1.count).max()! + 1
        var src = [Int32](repeating: 0, count: tx * B)
        var tin = [Int32](repeating: 0, count: ty * B), tout = tin
        for (b, p) in pairs.enumerated() {
            for (t, id) in p.0.enumerated() { src[t * B + b] = id }
            tin[b] = 2
            for (t, id) in p.1.enumerated() { tin[(t + 1) * B + b] = id; tout[t * B + b] = id }
            tout[p.1.count * B + b] = 3
        }
        return Seq2SeqBatch(sourceIds: src, sourceLengths: pairs.map { $0.0.count }, targetInput: tin,
                          targetOutput: tout, targetLengths: pairs.map { $0.1.count + 1 })
    }

    static let padded = batch([([5, 6, 7, 8], [4, 5, 6]), ([6, 5], [7]), ([8, 7, 6], [5, 4])])

    /// Tied: the target embedding is also the output layer, and its gradient sums both uses
    /// (with P ≠ E through the projection, whose gradient is checked too).
    @Test(arguments: Output.allCases)
    func wholeModelGradientsMatchCentralDifferences(output: Output) {
        let model = Seq2Seq(Self.tinyConfig(output: output), seed: 11)
        let tied = output != .untied
        #expect((model.arena.param(named: "generator.weight") == nil) == tied)
        #expect(model.generator.weight == model.targetEmbedding.table || !tied)
        #expect((model.arena.param(named: "generator_projection.weight") != nil) == (output == .tiedProjected))
        #expect(model.arena.param(named: "generator_projection.bias") == nil)
        let b = Self.padded
        let tokens = Double(b.targetLengths.reduce(0, +))
        let checked = checkParameterGradients(model.arena) { rng, backward in
            model.run(b, rng: &rng, training: true, backward: backward).loss / tokens
        }
        #expect(checked > 150)
    }

    /// The whole model with other cells: every pair of the list, tiny sizes, dropout on.
    @Test(arguments: Self.cellPairs)
    func wholeModelGradientsWithOtherCells(encoderCell: CellKind, decoderCell: CellKind) {
        let model = Seq2Seq(Self.tinyConfig(output: .tied, cells: (encoderCell, decoderCell)), seed: 12)
        let b = Self.padded
        let tokens = Double(b.targetLengths.reduce(0, +))
        let checked = checkParameterGradients(model.arena) { rng, backward in
            model.run(b, rng: &rng, training: true, backward: backward).loss / tokens
        }
        #expect(checked > 100)
    }

    /// Layer normalisation in every cell (encoder and decoder), wider than `tinyConfig` so
    /// the normalised rows are not a handful of columns (strongly curved: central differences
    /// would need a step too small for Float).
    static func layerNormConfig(cells: (CellKind, CellKind), dropout: Float = 0.2) -> Seq2SeqConfig {
        var c = tinyConfig(dropout: dropout, output: .tied, cells: cells)
        c.encoderHidden = 4; c.decoderHidden = 8; c.layerNorm = true
        return c
    }

    @Test(arguments: [(CellKind.lstm, CellKind.gru), (.gru, .lstm), (.peephole, .rnn)])
    func wholeModelGradientsWithLayerNorm(encoderCell: CellKind, decoderCell: CellKind) {
        let model = Seq2Seq(Self.layerNormConfig(cells: (encoderCell, decoderCell)), seed: 13)
        #expect(model.arena.param(named: "encoder.l1.bwd.ln_hh.g") != nil)
        #expect(model.arena.param(named: "decoder.\(decoderCell.rawValue).ln_ih.g") != nil)
        let b = Self.padded
        let tokens = Double(b.targetLengths.reduce(0, +))
        let checked = checkParameterGradients(model.arena) { rng, backward in
            model.run(b, rng: &rng, training: true, backward: backward).loss / tokens
        }
        #expect(checked > 150)
    }

    @Test(arguments: Self.cellPairs)
    func lossAndGradientsDoNotDependOnBatchCompanions(encoderCell: CellKind, decoderCell: CellKind) {
        companionsCheck(Seq2Seq(Self.tinyConfig(dropout: 0, cells: (encoderCell, decoderCell)), seed: 3))
    }

    @Test func layerNormLossAndGradientsDoNotDependOnBatchCompanions() {
        // Normalising rows of a few columns amplifies the gemms' shape-dependent rounding, and
        // the check subtracts gradients about 300× the sentence's own (a padding leak is O(1)).
        companionsCheck(Seq2Seq(Self.layerNormConfig(cells: (.lstm, .gru), dropout: 0), seed: 3), tolerance: 1e-2)
    }

    func companionsCheck(_ model: Seq2Seq, tolerance: Float = 1e-3) {
        let sentence: ([Int32], [Int32]) = ([6, 5, 7], [4, 6])
        let alone = Self.batch([sentence])
        let together = Self.batch([([5, 6, 7, 8, 5, 6], [4, 5, 6, 7, 4]), sentence, ([8], [7, 7, 7])])
        let arena = model.arena
        // Sentence alone: loss sum and gradients (scaled back from the mean to the sum).
        arena.zeroGrads()
        var rng = RNG(seed: 1)
        let a = model.run(alone, rng: &rng, training: true, backward: true)
        let gAlone = Array(UnsafeBufferPointer(start: arena.grads, count: arena.count)).map { $0 * Float(a.tokens) }
        // In a batch: the loss of the other two is removed by comparing against them alone.
        arena.zeroGrads()
        let t = model.run(together, rng: &rng, training: true, backward: true)
        let gTogether = Array(UnsafeBufferPointer(start: arena.grads, count: arena.count)).map { $0 * Float(t.tokens) }
        arena.zeroGrads()
        let others = Self.batch([([5, 6, 7, 8, 5, 6], [4, 5, 6, 7, 4]), ([8], [7, 7, 7])])
        let o = model.run(others, rng: &rng, training: true, backward: true)
        let gOthers = Array(UnsafeBufferPointer(start: arena.grads, count: arena.count)).map { $0 * Float(o.tokens) }
        #expect(abs((t.loss - o.loss) - a.loss) < 1e-4 * max(1, abs(a.loss)))
        var worst: Float = 0, at = 0
        for i in 0..<arena.count {
            let diff = abs((gTogether[i] - gOthers[i]) - gAlone[i])
            let rel = diff / max(1e-3, abs(gAlone[i]))
            if rel > worst { worst = rel; at = i }
        }
        let p = arena.params.last { $0.offset <= at }!
        #expect(worst < tolerance, "worst relative gradient difference \(worst) in \(p.name) (\(gTogether[at]) − \(gOthers[at]) vs \(gAlone[at]))")
    }

    @Test func sameSeedGivesBitIdenticalParametersAfterAdamSteps() {
        func train(seed: UInt64) -> [Float] {
            let model = Seq2Seq(Self.tinyConfig(), seed: seed)
            var adam = Adam(AdamConfig(learningRate: 0.01))
            var rng = RNG(seed: seed &+ 1)
            for _ in 0..<4 {
                model.arena.zeroGrads()
                model.trainStep(Self.padded, rng: &rng)
                model.arena.clipGradNorm(1)
                adam.update(model.arena)
            }
            return Array(UnsafeBufferPointer(start: model.arena.values, count: model.arena.count))
        }
        let a = train(seed: 5), b = train(seed: 5), c = train(seed: 6)
        #expect(a.map(\.bitPattern) == b.map(\.bitPattern))
        #expect(a != c)
    }

    @Test func trainingLowersTheLossOnAFixedBatch() {
        let model = Seq2Seq(Self.tinyConfig(dropout: 0), seed: 2)
        var adam = Adam(AdamConfig(learningRate: 0.05))
        var rng = RNG(seed: 4)
        let first = model.evaluate(Self.padded)
        for _ in 0..<60 {
            model.arena.zeroGrads()
            model.trainStep(Self.padded, rng: &rng)
            adam.update(model.arena)
        }
        let last = model.evaluate(Self.padded)
        #expect(last.nll < 0.2 * first.nll, "nll \(first.nll) → \(last.nll)")
    }
}
