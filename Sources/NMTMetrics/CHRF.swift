import Foundation

/// A chrF result (sacreBLEU's `CHRFScore`).
public struct CHRFScore: Sendable, Equatable, CustomStringConvertible {
    /// chrF in [0, 100].
    public var score: Double
    /// `chrF2` for the defaults (`chrF{beta}` followed by one `+` per word order).
    public var name: String
    /// Corpus statistics, per order n = 1...charOrder: (hypothesis n-grams, reference n-grams, matches).
    public var statistics: [(hyp: Int, ref: Int, match: Int)]
    /// e.g. `nrefs:1|case:mixed|eff:yes|nc:6|nw:0|space:no|version:2.6.0`.
    public var signature: String

    public func formatted(width: Int = 2, withSignature: Bool = true) -> String {
        let head = withSignature ? "\(name)|\(signature)" : name
        return "\(head) = \(String(format: "%.\(width)f", score))"
    }
    public var description: String { formatted(withSignature: false) }

    public static func == (a: CHRFScore, b: CHRFScore) -> Bool {
        a.score == b.score && a.name == b.name && a.signature == b.signature
            && a.statistics.elementsEqual(b.statistics) { $0 == $1 }
    }
}

/// Character n-gram of up to 6 code points packed 3 × 21 bits per word (order implied by table).
@usableFromInline
struct CharNGram: Hashable, Comparable {
    @usableFromInline var lo: UInt64, hi: UInt64
    @inlinable static func < (a: CharNGram, b: CharNGram) -> Bool { a.hi != b.hi ? a.hi < b.hi : a.lo < b.lo }
}

/// chrF exactly as sacreBLEU 2.x computes it with its defaults: `char_order=6`, `word_order=0`,
/// `beta=2`, `lowercase=False`, whitespace removed (`whitespace=False`), `eps_smoothing=False`.
///
/// - Each segment: whitespace (Python `str.split()` set) is deleted, then character (code point)
///   n-grams for n = 1...6 are counted. Per order the statistics are (hyp count — 0 when the
///   reference has no n-gram of that order —, ref count, clipped matches).
/// - Multiple references: per segment, the reference whose statistics give the highest
///   f-score (first one on ties) is used.
/// - Corpus: the statistics are summed over segments, then: per order precision
///   = match/hyp and recall = match/ref; only orders with hyp > 0 and ref > 0 enter the
///   averages (the "effective order"); P and R are averaged over those orders and combined
///   as (1+β²)·P·R / (β²·P + R) · 100 (0 when P + R = 0).
public struct CHRF: Sendable {
    public let charOrder = 6
    public let wordOrder = 0
    public let beta = 2

    public init() {}

    public func signature(nrefs: Int) -> String {
        "nrefs:\(nrefs)|case:mixed|eff:yes|nc:\(charOrder)|nw:\(wordOrder)|space:no|version:\(sacreBLEUReferenceVersion)"
    }

    /// Corpus chrF; `references` are reference streams parallel to `hypotheses`.
    public func corpusScore(hypotheses: [String], references: [[String]]) -> CHRFScore {
        for r in references { precondition(r.count == hypotheses.count, "each reference stream must have one line per hypothesis") }
        var total = [Int](repeating: 0, count: 3 * charOrder)
        var refs: [String] = []
        for i in hypotheses.indices {
            refs.removeAll(keepingCapacity: true)
            for r in references { refs.append(r[i]) }
            let s = segmentStatistics(hypothesis: hypotheses[i], references: refs)
            for k in total.indices { total[k] += s[k] }
        }
        return makeScore(total, nrefs: references.count)
    }

    public func sentenceScore(hypothesis: String, references: [String]) -> CHRFScore {
        makeScore(segmentStatistics(hypothesis: hypothesis, references: references), nrefs: references.count)
    }

    func makeScore(_ s: [Int], nrefs: Int) -> CHRFScore {
        var st: [(hyp: Int, ref: Int, match: Int)] = []
        for n in 0..<charOrder {
            let i = 3 * n
            st.append((hyp: s[i], ref: s[i + 1], match: s[i + 2]))
        }
        return CHRFScore(score: fScore(s), name: "chrF\(beta)", statistics: st, signature: signature(nrefs: nrefs))
    }

    /// Flattened [hyp, ref, match] × order statistics of one segment (best reference).
    public func segmentStatistics(hypothesis: String, references: [String]) -> [Int] {
        let h = charNGrams(hypothesis)
        var best: [Int] = []
        var bestF = -1.0
        for ref in references {
            let r = charNGrams(ref)
            var stats: [Int] = []
            stats.reserveCapacity(3 * charOrder)
            for n in 0..<charOrder {
                let hn = h[n], rn = r[n]
                // Both sorted: count clipped matches by merging runs of equal n-grams.
                var match = 0
                var i = 0, j = 0
                while i < hn.count && j < rn.count {
                    let a = hn[i], b = rn[j]
                    if a < b { i += 1; continue }
                    if b < a { j += 1; continue }
                    var ci = 0, cj = 0
                    while i < hn.count && hn[i] == a { i += 1; ci += 1 }
                    while j < rn.count && rn[j] == b { j += 1; cj += 1 }
                    match += min(ci, cj)
                }
                stats.append(rn.isEmpty ? 0 : hn.count)
                stats.append(rn.count)
                stats.append(match)
            }
            let f = fScore(stats)
            if f > bestF { bestF = f; best = stats }
        }
        return best
    }

    /// Sorted character n-grams (code points, whitespace removed) for n = 1...charOrder.
    /// Counting by sorting avoids one hash table per order and segment.
    func charNGrams(_ line: String) -> [[CharNGram]] {
        var s: [UInt64] = []
        s.reserveCapacity(line.utf8.count)
        for u in line.unicodeScalars where !isPythonWhitespace(u.value) { s.append(UInt64(u.value)) }
        var out = [[CharNGram]](repeating: [], count: charOrder)
        let m = s.count
        for n in 1...charOrder where m >= n {
            var a = [CharNGram]()
            a.reserveCapacity(m - n + 1)
            for i in 0...(m - n) {
                var lo: UInt64 = 0, hi: UInt64 = 0
                for k in 0..<n {
                    if k < 3 { lo |= s[i + k] << (21 * UInt64(k)) } else { hi |= s[i + k] << (21 * UInt64(k - 3)) }
                }
                a.append(CharNGram(lo: lo, hi: hi))
            }
            a.sort()
            out[n - 1] = a
        }
        return out
    }

    /// `CHRF._compute_f_score` with `eps_smoothing=False` (same floating-point operation order).
    public func fScore(_ s: [Int]) -> Double {
        let factor = Double(beta * beta)
        var avgPrec = 0.0, avgRec = 0.0
        var eff = 0
        for i in 0..<(s.count / 3) {
            let nHyp = s[3 * i], nRef = s[3 * i + 1], nMatch = s[3 * i + 2]
            if nHyp > 0 && nRef > 0 {
                avgPrec += Double(nMatch) / Double(nHyp)
                avgRec += Double(nMatch) / Double(nRef)
                eff += 1
            }
        }
        if eff == 0 {
            avgPrec = 0; avgRec = 0
        } else {
            avgPrec /= Double(eff)
            avgRec /= Double(eff)
        }
        if avgPrec + avgRec != 0 {
            var score = (1 + factor) * avgPrec * avgRec
            score /= (factor * avgPrec) + avgRec
            return 100 * score
        }
        return 0.0
    }
}

/// `sacrebleu.corpus_chrf(hypotheses, references)` with its defaults.
public func corpusCHRF(hypotheses: [String], references: [[String]]) -> CHRFScore {
    CHRF().corpusScore(hypotheses: hypotheses, references: references)
}

/// `sacrebleu.sentence_chrf(hypothesis, references)` with its defaults.
public func sentenceCHRF(hypothesis: String, references: [String]) -> CHRFScore {
    CHRF().sentenceScore(hypothesis: hypothesis, references: references)
}
