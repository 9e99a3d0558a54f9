import NMTLayers
import NMTModel
import NMTTensor
import Testing

/// The gradient segments that data-parallel training sums while backward goes on: they cover
/// the arena exactly once, backward reports them in order, and a segment's gradients do not
/// change after it was reported final.
@Suite struct GradientSegmentsTests {
    @Test(arguments: Seq2SeqTests.Output.allCases)
    func segmentsCoverTheArenaAndAreFinalWhenReported(output: Seq2SeqTests.Output) {
        let model = Seq2Seq(Seq2SeqTests.tinyConfig(output: output), seed: 5)
        let segments = model.gradientSegments
        #expect(segments.count == 6)
        #expect(segments.reduce(0) { $0 + $1.count } == model.arena.count)
        var covered = [Bool](repeating: false, count: model.arena.count)
        for s in segments { for i in s { #expect(!covered[i]); covered[i] = true } }
        #expect(covered.allSatisfy { $0 })
        #expect(segments.allSatisfy { !$0.isEmpty })

        model.arena.zeroGrads()
        var reported: [Int] = []
        var snapshots: [[Float]] = []
        model.gradientsFinal = { i in
            reported.append(i)
            snapshots.append(Array(UnsafeBufferPointer(start: model.arena.grads + segments[i].lowerBound, count: segments[i].count)))
        }
        var rng = RNG(seed: 1)
        model.trainStep(Seq2SeqTests.padded, rng: &rng)
        model.gradientsFinal = nil
        #expect(reported == Array(0..<6))
        for (i, snap) in zip(reported, snapshots) {
            let now = Array(UnsafeBufferPointer(start: model.arena.grads + segments[i].lowerBound, count: segments[i].count))
            #expect(now == snap, "segment \(i) changed after it was reported final")
            #expect(now.contains { $0 != 0 }, "segment \(i) has no gradient")
        }
    }
}
