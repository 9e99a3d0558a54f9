import NMTText
import Foundation
import NMTLayers
import NMTModel
import NMTTensor
import NMTTestSupport
import NMTTrain
import Testing

/// The fill model (forward + backward LSTM LMs, context [F(k−1) ; R(k+1)], MLP, softmax):
/// whole-model gradients against central differences, padding invariance, no leak of the word
/// itself (and no right context for the left-only variant), and a toy task it must learn.
@Suite struct FillModelTests {
    static func tinyConfig(bidirectional: Bool = true, layers: Int = 2, dropout: Float = 0.2,
                           inputMask: Float = 0.2) -> FillConfig {
        FillConfig(vocab: 11, embedding: 4, hidden: 3, layers: layers, preOutput: 5, bidirectional: bidirectional,
                   dropout: dropout, inputMask: inputMask, labelSmoothing: 0.1)
    }

    // Lengths 4, 1, 3 (padded to T = 6), sorted longest first and not.
    static let sentences: [[Int32]] = [[5, 6, 7, 8], [9], [8, 10, 6]]

    func gradientCheck(_ config: FillConfig, seed: UInt64) {
        let model = FillModel(config, seed: seed)
        let b = FillBatch(sentences: Self.sentences)
        let tokens = Double(b.targets.count)
        let checked = checkParameterGradients(model.arena) { rng, backward in
            model.run(b, rng: &rng, training: true, backward: backward).loss / tokens
        }
        #expect(checked > 80)
    }

    @Test func bidirectionalGradientsMatchCentralDifferences() {
        gradientCheck(Self.tinyConfig(), seed: 11)
    }

    @Test func leftOnlyGradientsMatchCentralDifferences() {
        gradientCheck(Self.tinyConfig(bidirectional: false, layers: 1), seed: 12)
    }

    @Test(arguments: [true, false])
    func lossAndGradientsDoNotDependOnBatchCompanions(bidirectional: Bool) {
        let model = FillModel(Self.tinyConfig(bidirectional: bidirectional, dropout: 0, inputMask: 0), seed: 3)
        let arena = model.arena
        let sentence: [Int32] = [6, 5, 7]
        func grads(_ s: [[Int32]]) -> (LossResult, [Float]) {
            arena.zeroGrads()
            var rng = RNG(seed: 1)
            let r = model.run(FillBatch(sentences: s), rng: &rng, training: true, backward: true)
            return (r, Array(UnsafeBufferPointer(start: arena.grads, count: arena.count)).map { $0 * Float(r.tokens) })
        }
        let (a, gA) = grads([sentence])
        let (t, gT) = grads([[5, 6, 7, 8, 9, 10], sentence, [8]])
        let (o, gO) = grads([[5, 6, 7, 8, 9, 10], [8]])
        #expect(abs((t.loss - o.loss) - a.loss) < 1e-4 * max(1, abs(a.loss)))
        var worst: Float = 0
        for i in 0..<arena.count {
            worst = max(worst, abs((gT[i] - gO[i]) - gA[i]) / max(1e-3, abs(gA[i])))
        }
        #expect(worst < 1e-3, "worst relative gradient difference \(worst)")
        // Inference: the same log-probabilities alone and in a padded batch.
        let alone = model.logProbabilities(FillBatch(sentences: [sentence], positions: [[1]]))
        let batched = model.logProbabilities(FillBatch(sentences: [[5, 6, 7, 8, 9, 10], sentence], positions: [[], [1]]))
        #expect(maxRelativeDifference(alone, batched) < 1e-5)
    }

    @Test func theWordItselfNeverReachesItsOwnPrediction() {
        let model = FillModel(Self.tinyConfig(), seed: 5)
        let a = model.logProbabilities(FillBatch(sentences: [[5, 6, 7, 8]], positions: [[1, 2]]))
        let b = model.logProbabilities(FillBatch(sentences: [[5, 9, 10, 8]], positions: [[1, 2]]))
        // Position 1 changed 6 → 9 and position 2 changed 7 → 10: each position's own word
        // changed, but position 1 also sees position 2 (and vice versa) — compare with a
        // change of ONLY the word itself.
        let c = model.logProbabilities(FillBatch(sentences: [[5, 4, 7, 8]], positions: [[1]]))
        #expect(maxRelativeDifference(Array(a[0..<11]), c) < 1e-6)
        #expect(maxRelativeDifference(a, b) > 1e-4)   // and the neighbours do matter
    }

    @Test func leftOnlyModelNeverSeesTheRightContext() {
        let model = FillModel(Self.tinyConfig(bidirectional: false), seed: 6)
        let a = model.logProbabilities(FillBatch(sentences: [[5, 6, 7, 8]], positions: [[1]]))
        let b = model.logProbabilities(FillBatch(sentences: [[5, 6, 10, 9, 9, 9]], positions: [[1]]))
        #expect(maxRelativeDifference(a, b) < 1e-6)
        let c = model.logProbabilities(FillBatch(sentences: [[9, 6, 7, 8]], positions: [[1]]))
        #expect(maxRelativeDifference(a, c) > 1e-4)   // the left context does matter
        // The bidirectional model does read the right side.
        let bi = FillModel(Self.tinyConfig(), seed: 6)
        let d = bi.logProbabilities(FillBatch(sentences: [[5, 6, 7, 8]], positions: [[1]]))
        let e = bi.logProbabilities(FillBatch(sentences: [[5, 6, 10, 8]], positions: [[1]]))
        #expect(maxRelativeDifference(d, e) > 1e-4)
    }

    @Test func logProbabilitiesAreNormalised() {
        let model = FillModel(Self.tinyConfig(), seed: 8)
        let lp = model.logProbabilities(FillBatch(sentences: [[5, 6, 7], [8, 9]], positions: [[0, 2], [1]]))
        #expect(lp.count == 3 * 11)
        for r in 0..<3 {
            let s = lp[(r * 11)..<((r + 1) * 11)].reduce(0.0) { $0 + Double(exp($1)) }
            #expect(abs(s - 1) < 1e-5)
        }
    }

    /// Sentences "x y x y x y" (x, y random): every word is fixed by its neighbours on both sides
    /// but the first two are not predictable from the left. The bidirectional model learns all of
    /// them; the left-only model cannot beat chance on the second word.
    @Test func learnsAToyPatternThatNeedsBothSides() {
        var rng = RNG(seed: 42)
        func sample() -> [Int32] {
            let x = Int32(5 + rng.int(below: 6)), y = Int32(5 + rng.int(below: 6))
            return [x, y, x, y, x, y]
        }
        let config = FillConfig(vocab: 11, embedding: 8, hidden: 16, layers: 1, preOutput: 16, bidirectional: true,
                                dropout: 0, inputMask: 0, labelSmoothing: 0)
        let model = FillModel(config, seed: 1)
        var adam = Adam(AdamConfig(learningRate: 0.02))
        var drng = RNG(seed: 3)
        let test = (0..<50).map { _ in sample() }
        func accuracy() -> Double {
            let lp = model.logProbabilities(FillBatch(sentences: test, positions: test.map { _ in Array(0..<6) }))
            var correct = 0
            for (i, s) in test.enumerated() {
                for k in 0..<6 {
                    let row = Array(lp[((i * 6 + k) * 11)..<((i * 6 + k + 1) * 11)])
                    let best = row.indices.max { row[$0] < row[$1] }!
                    if Int32(best) == s[k] { correct += 1 }
                }
            }
            return Double(correct) / 300
        }
        // Rounds of 250 steps until the target is met (at most 1,000 steps): the BLAS kernel's
        // rounding changes the trajectory, never the target.
        var steps = 0, acc = 0.0
        repeat {
            for _ in 0..<250 {
                let batch = FillBatch(sentences: (0..<16).map { _ in sample() })
                model.arena.zeroGrads()
                model.trainStep(batch, rng: &drng)
                model.arena.clipGradNorm(5)
                adam.update(model.arena)
            }
            steps += 250
            acc = accuracy()
        } while acc <= 0.95 && steps < 1000
        #expect(acc > 0.95, "toy accuracy \(acc) after \(steps) steps")
    }
}
