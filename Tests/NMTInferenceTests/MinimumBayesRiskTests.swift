import Foundation
import NMTInference
import NMTMetrics
import Testing

@Suite struct MinimumBayesRiskTests {
    /// Expected utilities computed here the long way (a sentence_bleu call per pair, posterior by
    /// hand) agree with the module's; the consensus hypothesis wins at a small scale and the
    /// best-scored one at a large scale.
    @Test func consensusAgainstTheTopScore() {
        let texts = ["a dog runs over the meadow .", "a dog runs across the meadow .",
                     "a dog runs over a meadow .", "the cat sleeps ."]
        let scores: [Float] = [-1.2, -1.3, -1.25, -1.0]     // the outlier scores best
        for scale: Float in [0.5, 2, 1000] {
            let z = scores.map { exp(Double(scale) * Double($0 - scores.max()!)) }
            let p = z.map { $0 / z.reduce(0, +) }
            #expect(zip(MinimumBayesRisk.posterior(scores: scores, scale: scale), p).allSatisfy { abs($0 - $1) < 1e-12 })
            let e = texts.map { h in zip(texts, p).reduce(0.0) { $0 + $1.1 * sentenceBLEU(hypothesis: h, references: [$1.0]).score } }
            let got = MinimumBayesRisk.expectedUtilities(utility: pairwiseSentenceBLEU(texts), posterior: p)
            #expect(zip(got, e).allSatisfy { abs($0 - $1) < 1e-9 }, "\(got) vs \(e)")
            let order = MinimumBayesRisk.order(texts: texts, scores: scores, scale: scale)
            #expect(order.sorted() == [0, 1, 2, 3])
            #expect(order == texts.indices.sorted { e[$0] > e[$1] }, "scale \(scale): \(order)")
        }
        #expect(MinimumBayesRisk.order(texts: texts, scores: scores, scale: 0.5)[0] == 0)
        #expect(MinimumBayesRisk.order(texts: texts, scores: scores, scale: 1000)[0] == 3)
    }

    /// Large scores do not overflow; equal expected utilities go to the higher score, then the
    /// earlier hypothesis.
    @Test func stableAndTieBroken() {
        let p = MinimumBayesRisk.posterior(scores: [-1e6, -1e6 - 1, 3e4], scale: 50)
        #expect(p.allSatisfy(\.isFinite) && abs(p.reduce(0, +) - 1) < 1e-12 && p[2] == 1)
        #expect(MinimumBayesRisk.order(texts: ["a b", "a b", "a b"], scores: [-2, -1, -2], scale: 1) == [1, 0, 2])
        #expect(MinimumBayesRisk.posterior(scores: [], scale: 1).isEmpty)
    }
}
