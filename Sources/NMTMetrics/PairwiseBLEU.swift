// Sentence BLEU of every text of a list against every other, as minimum Bayes risk decoding
// needs it (the utility of choosing hypothesis i when hypothesis j is the truth). Each text is
// tokenized (13a) and its n-grams counted once, so n texts cost n tokenizations and n² merges
// of sorted n-gram runs rather than n² sentence_bleu calls.

extension BLEU {
    /// `u[i][j]` = this metric's sentence score of `texts[i]` with `texts[j]` as its one
    /// reference: with `BLEU(effectiveOrder: true)`, sacreBLEU's `sentence_bleu(texts[i], [texts[j]])`.
    public func pairwiseSentenceScores(_ texts: [String]) -> [[Double]] {
        var interner = TokenInterner()
        let tokens = texts.map { ids($0, &interner) }
        let runs = tokens.map { t in Self.sortedNGrams(t, order: maxNgramOrder).map { Self.runs($0) } }
        let signature = signature(nrefs: 1)
        var out = [[Double]](repeating: [Double](repeating: 0, count: texts.count), count: texts.count)
        for i in texts.indices {
            for j in texts.indices {
                var st = BLEUStatistics(maxOrder: maxNgramOrder)
                st.sysLen = tokens[i].count
                st.refLen = tokens[j].count
                for n in 0..<maxNgramOrder {
                    st.total[n] = max(0, tokens[i].count - n)
                    st.correct[n] = Self.clippedMatches(runs[i][n], runs[j][n])
                }
                out[i][j] = Self.computeBLEU(st, effectiveOrder: effectiveOrder, signature: signature).score
            }
        }
        return out
    }

    /// Σ over the n-grams both run lists hold of the smaller count (the hypothesis's matches
    /// clipped by the reference's counts).
    static func clippedMatches(_ h: [(WordNGram, Int)], _ r: [(WordNGram, Int)]) -> Int {
        var i = 0, j = 0, matches = 0
        while i < h.count && j < r.count {
            if h[i].0 < r[j].0 { i += 1 }
            else if r[j].0 < h[i].0 { j += 1 }
            else { matches += min(h[i].1, r[j].1); i += 1; j += 1 }
        }
        return matches
    }
}

/// `u[i][j]` = `sacrebleu.sentence_bleu(texts[i], [texts[j]]).score` for every pair.
public func pairwiseSentenceBLEU(_ texts: [String]) -> [[Double]] {
    BLEU(effectiveOrder: true).pairwiseSentenceScores(texts)
}
