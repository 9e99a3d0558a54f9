import NMTInference
import NMTStore
import NMTLayers
import NMTText
import NMTTrain
import NMTTensor
import Testing

@Suite struct BatcherTests {
    func corpus(_ n: Int) -> [SentencePair] {
        var rng = RNG(seed: 5)
        return (0..<n).map { _ in
            SentencePair(source: (0..<(1 + rng.int(below: 12))).map { _ in Int32(5 + rng.int(below: 50)) },
                         target: (0..<(1 + rng.int(below: 12))).map { _ in Int32(5 + rng.int(below: 50)) })
        }
    }

    @Test func batchIsTimeMajorAndPadded() {
        let pairs = [SentencePair(source: [10, 11, 12], target: [20]), SentencePair(source: [13], target: [21, 22])]
        let b = Batch(pairs, indices: [7, 9])
        #expect(b.size == 2 && b.sourceSteps == 3 && b.targetSteps == 3)
        #expect(b.sourceIds == [10, 13, 11, 0, 12, 0])
        #expect(b.sourceLengths == [3, 1] && b.targetLengths == [2, 3])
        #expect(b.targetInput == [2, 2, 20, 21, 0, 22])
        #expect(b.targetOutput == [20, 21, 3, 22, 0, 3])
        #expect(b.targetTokens == 5 && b.exampleIndices == [7, 9])
    }

    @Test func everyPairOnceWithinBudgetAndDeterministic() {
        let pairs = corpus(500)
        let batcher = Batcher(pairs: pairs, batchTokens: 120)
        let plan = batcher.epochPlan(seed: 1, epoch: 0)
        #expect(plan.flatMap { $0 }.sorted() == Array(0..<500))
        for indices in plan {
            let b = batcher.batch(indices)
            #expect(b.size * max(b.sourceSteps, b.targetSteps) <= 120 || b.size == 1)
        }
        #expect(plan == batcher.epochPlan(seed: 1, epoch: 0))
        #expect(plan != batcher.epochPlan(seed: 1, epoch: 1))
        #expect(plan != batcher.epochPlan(seed: 2, epoch: 0))
    }

    @Test func bucketsKeepLengthsTogether() {
        let pairs = corpus(2000)
        let batcher = Batcher(pairs: pairs, batchTokens: 400)
        var padded = 0, real = 0
        for indices in batcher.epochPlan(seed: 3, epoch: 0) {
            let b = batcher.batch(indices)
            padded += b.size * b.targetSteps
            real += b.targetTokens
        }
        // Sorting by target length leaves almost no target padding.
        #expect(Double(real) / Double(padded) > 0.95)
    }
}
