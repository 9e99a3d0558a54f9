import Testing
import NMTMetrics

@Suite struct PairwiseBLEUTests {
    /// Every cell is sentence_bleu of the pair (itself checked against sacreBLEU's own output in
    /// SacreBLEUFixtureTests), to the last bit: the same statistics, counted once per text.
    @Test func everyCellIsTheSentenceBLEUOfThePair() throws {
        let refs = try Multi30kFixtureTests.lines("multi30k_val200.ref.en")
        let hyps = try Multi30kFixtureTests.lines("multi30k_val200.hyp.en")
        var texts = Array(hyps.prefix(12)) + Array(refs.prefix(12))
        // an empty text, a repeated one, and one with repeated n-grams (clipping)
        texts += ["", texts[0], "a dog and a dog and a dog .", "a dog and a cat ."]
        let u = pairwiseSentenceBLEU(texts)
        #expect(u.count == texts.count && u.allSatisfy { $0.count == texts.count })
        var distinct = Set<Double>()
        for i in texts.indices {
            for j in texts.indices {
                let want = sentenceBLEU(hypothesis: texts[i], references: [texts[j]]).score
                #expect(u[i][j] == want, "\(i), \(j): \(u[i][j]) vs \(want)")
                distinct.insert(u[i][j])
            }
        }
        #expect(distinct.count > 50, "the pairs should not all score alike")
        let empty = texts.count - 4, repeated = texts.count - 3
        #expect(u[0][repeated] > 99.99 && u[empty][0] == 0 && u[0][empty] == 0)
    }

    /// Clipping: the hypothesis's repeated n-grams count only as often as the reference holds them.
    @Test func matchesAreClippedByTheReference() {
        let u = pairwiseSentenceBLEU(["the the the the", "the cat"])
        let want = sentenceBLEU(hypothesis: "the the the the", references: ["the cat"])
        #expect(want.counts[0] == 1)
        #expect(u[0][1] == want.score)
    }
}
