import NMTInference
import NMTText
import Testing

/// Forced scoring shares one encoding among the pairs of a source and drops rows whose target
/// has ended: every pair must still score as it does alone (one pair per call, batch of one,
/// where neither happens), whatever the batch size, the order of the pairs or the direction.
@Suite struct ForcedScoringTests {
    /// Pairs as an n-best list gives them: each source several times, targets of lengths 0 to 7,
    /// one empty source, the sources interleaved.
    static func pairs(_ tr: Translator) -> (sources: [[Int32]], targets: [[Int32]]) {
        let ids = tinySources.map { tr.prepareSource($0).ids }
        var sources: [[Int32]] = [], targets: [[Int32]] = []
        for round in 0..<4 {
            for (k, s) in ids.enumerated() {
                let n = (k * 3 + round * 5) % 8
                sources.append(s)
                let words: Int = tr.targetVocab.count - SpecialIds.count   // ordinary words only (<mask> scores -inf)
                var target: [Int32] = []
                for j in 0..<n { let id: Int = SpecialIds.count + (j * 7 + k + round) % words
                    target.append(Int32(id)) }
                targets.append(target)
            }
        }
        sources.append([])
        targets.append([5, 6])
        return (sources, targets)
    }

    @Test(arguments: [false, true])
    func sharedEncodingsScoreEachPairAsAlone(reversed: Bool) throws {
        let t = try TinyTranslationModel(seed: 13)
        let model = reversed ? ReverseTargetTests.reversedTwin(t) : t.model
        let alone = try Translator(model: model, sourceVocab: t.src, targetVocab: t.tgt, options: TranslateOptions(batchSize: 1))
        let (sources, targets) = Self.pairs(alone)
        let expected = zip(sources, targets).map { alone.score(sourceIds: [$0], targetIds: [$1])[0] }
        #expect(expected.last?.logProb == 0 && expected.last?.tokens == 0, "an empty source scores 0")
        for batchSize in [1, 3, 64] {
            let tr = try Translator(model: model, sourceVocab: t.src, targetVocab: t.tgt,
                                    options: TranslateOptions(batchSize: batchSize))
            let got = tr.score(sourceIds: sources, targetIds: targets)
            for (i, (g, e)) in zip(got, expected).enumerated() {
                #expect(g.tokens == e.tokens)
                #expect(abs(g.logProb - e.logProb) <= 1e-5 * max(1, abs(e.logProb)),
                        "batch \(batchSize), pair \(i): \(g.logProb) vs \(e.logProb)")
            }
        }
    }
}
