// Minimum Bayes risk selection over a beam's hypotheses (Kumar & Byrne 2004): rather than the
// best-scored hypothesis, output the one expected to score the highest sentence BLEU against the
// truth, where the truth is distributed over the list itself by the model's scores:
//
//   p_j = softmax_j(scale · score_j)          score: the beam's (reranked) length-normalised score
//   E_i = Σ_j p_j · sentenceBLEU(h_i, h_j)    (sacreBLEU's sentence_bleu, h_j as the reference)
//
// The output order is E descending; ties go to the higher score, then the earlier hypothesis.
// scale → 0 makes every hypothesis equally likely (a consensus pick); a large scale returns the
// best-scored one. nmt-translate --mbr SCALE; chosen on val with --tune-rescore --mbr-grid.
import Foundation
import NMTMetrics

public enum MinimumBayesRisk {
    /// softmax(scale · scores), computed stably (the largest score subtracted first).
    public static func posterior(scores: [Float], scale: Float) -> [Double] {
        guard let top = scores.max() else { return [] }
        let w = scores.map { Foundation.exp(Double(scale) * (Double($0) - Double(top))) }
        let z = w.reduce(0, +)
        return w.map { $0 / z }
    }

    /// E_i = Σ_j posterior_j · utility[i][j].
    public static func expectedUtilities(utility: [[Double]], posterior: [Double]) -> [Double] {
        utility.map { row in zip(row, posterior).reduce(0) { $0 + $1.0 * $1.1 } }
    }

    /// The hypotheses' order, best first, given their pairwise sentence BLEU `utility`.
    public static func order(utility: [[Double]], scores: [Float], scale: Float) -> [Int] {
        let e = expectedUtilities(utility: utility, posterior: posterior(scores: scores, scale: scale))
        return scores.indices.sorted { a, b in
            if e[a] != e[b] { return e[a] > e[b] }
            if scores[a] != scores[b] { return scores[a] > scores[b] }
            return a < b
        }
    }

    /// The order of the hypotheses `texts` with their `scores`, best first.
    public static func order(texts: [String], scores: [Float], scale: Float) -> [Int] {
        precondition(texts.count == scores.count)
        return order(utility: pairwiseSentenceBLEU(texts), scores: scores, scale: scale)
    }
}
