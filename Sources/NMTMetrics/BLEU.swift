import Foundation

/// The sacreBLEU release whose source these metrics were reimplemented from and whose output
/// the tests compare against (`pip install sacrebleu` → 2.6.0). It appears in signatures.
public let sacreBLEUReferenceVersion = "2.6.0"

/// A BLEU result with the same fields sacreBLEU's `BLEUScore` has.
public struct BLEUScore: Sendable, Equatable, CustomStringConvertible {
    /// BLEU in [0, 100].
    public var score: Double
    /// Matched n-grams for n = 1...maxOrder (clipped by the reference counts).
    public var counts: [Int]
    /// Hypothesis n-grams for n = 1...maxOrder.
    public var totals: [Int]
    /// n-gram precisions in percent (smoothed as configured).
    public var precisions: [Double]
    /// Brevity penalty.
    public var bp: Double
    /// `sysLen / refLen` (0 when `refLen` is 0).
    public var ratio: Double
    /// Hypothesis length in tokens (`hyp_len`, sacreBLEU's `sys_len`).
    public var sysLen: Int
    /// Effective reference length (closest reference per segment, ties to the shorter).
    public var refLen: Int
    /// Signature, e.g. `nrefs:1|case:mixed|eff:no|tok:13a|smooth:exp|version:2.6.0`.
    public var signature: String

    /// The line sacreBLEU prints: `BLEU|<signature> = 12.34 50.0/20.0/10.0/5.0 (BP = ... )`.
    public func formatted(width: Int = 2, withSignature: Bool = true) -> String {
        let prec = precisions.map { String(format: "%.1f", $0) }.joined(separator: "/")
        let head = withSignature ? "BLEU|\(signature)" : "BLEU"
        return "\(head) = \(String(format: "%.\(width)f", score)) \(prec) (BP = \(String(format: "%.3f", bp)) "
            + "ratio = \(String(format: "%.3f", ratio)) hyp_len = \(sysLen) ref_len = \(refLen))"
    }

    public var description: String { formatted(withSignature: false) }
}

/// Sufficient statistics of BLEU for one segment or a whole corpus (sums of segments).
public struct BLEUStatistics: Sendable, Equatable {
    public var sysLen: Int = 0
    public var refLen: Int = 0
    public var correct: [Int]
    public var total: [Int]
    public init(maxOrder: Int = 4) {
        correct = Array(repeating: 0, count: maxOrder)
        total = Array(repeating: 0, count: maxOrder)
    }
    public static func += (a: inout BLEUStatistics, b: BLEUStatistics) {
        a.sysLen += b.sysLen
        a.refLen += b.refLen
        for i in a.correct.indices { a.correct[i] += b.correct[i]; a.total[i] += b.total[i] }
    }
}

/// An n-gram of up to 4 interned token ids (unused slots are -1). The order is implied by
/// which table it is stored in.
@usableFromInline
struct WordNGram: Hashable, Comparable {
    @usableFromInline var a: Int32, b: Int32, c: Int32, d: Int32
    @inlinable static func < (x: WordNGram, y: WordNGram) -> Bool {
        if x.a != y.a { return x.a < y.a }
        if x.b != y.b { return x.b < y.b }
        if x.c != y.c { return x.c < y.c }
        return x.d < y.d
    }
    @inlinable init(_ a: Int32, _ b: Int32, _ c: Int32, _ d: Int32) { self.a = a; self.b = b; self.c = c; self.d = d }
}

/// BLEU exactly as sacreBLEU 2.x computes it with `tokenize='13a'`, `smooth_method='exp'`,
/// `lowercase=False`, `max_ngram_order=4`.
///
/// - `effectiveOrder == false` (corpus default, `eff:no`): all four orders count; an order
///   with no hypothesis n-grams contributes log(0) floored to -9999999999 (score ≈ 0).
/// - `effectiveOrder == true` (`sentence_bleu` default, `eff:yes`): orders stop at the
///   last order that has hypothesis n-grams.
/// - `exp` smoothing (mteval-v13a): the k-th order with zero matches gets precision
///   100 / (2^k · total). If no order has any match, the score is 0.
/// - Multiple references: n-gram counts are clipped by the max count over the references;
///   the reference length is the one closest to the hypothesis length (ties: the shorter).
public struct BLEU: Sendable {
    public var effectiveOrder: Bool
    public let maxNgramOrder: Int = 4
    public let tokenizer = Tokenizer13a()

    public init(effectiveOrder: Bool = false) {
        self.effectiveOrder = effectiveOrder
    }

    /// sacreBLEU's signature string for `nrefs` references per segment.
    public func signature(nrefs: Int) -> String {
        "nrefs:\(nrefs)|case:mixed|eff:\(effectiveOrder ? "yes" : "no")|tok:\(tokenizer.signature)|smooth:exp|version:\(sacreBLEUReferenceVersion)"
    }

    /// Corpus BLEU. `references` has sacreBLEU's layout: a list of reference *streams*, each
    /// parallel to `hypotheses` (`references[r][i]` is reference r of segment i).
    public func corpusScore(hypotheses: [String], references: [[String]]) -> BLEUScore {
        for r in references { precondition(r.count == hypotheses.count, "each reference stream must have one line per hypothesis") }
        var interner = TokenInterner()
        var stats = BLEUStatistics(maxOrder: maxNgramOrder)
        var refs: [String] = []
        refs.reserveCapacity(references.count)
        for i in hypotheses.indices {
            refs.removeAll(keepingCapacity: true)
            for r in references { refs.append(r[i]) }
            stats += segmentStatistics(hypothesis: hypotheses[i], references: refs, interner: &interner)
        }
        return Self.computeBLEU(stats, effectiveOrder: effectiveOrder, signature: signature(nrefs: references.count))
    }

    /// Sentence BLEU of one hypothesis against one or more references (sacreBLEU's
    /// `sentence_score`; use `BLEU(effectiveOrder: true)` — or `sentenceBLEU` — for the
    /// `sentence_bleu` defaults).
    public func sentenceScore(hypothesis: String, references: [String]) -> BLEUScore {
        var interner = TokenInterner()
        let stats = segmentStatistics(hypothesis: hypothesis, references: references, interner: &interner)
        return Self.computeBLEU(stats, effectiveOrder: effectiveOrder, signature: signature(nrefs: references.count))
    }

    /// Sufficient statistics of one segment.
    public func segmentStatistics(hypothesis: String, references: [String]) -> BLEUStatistics {
        var interner = TokenInterner()
        return segmentStatistics(hypothesis: hypothesis, references: references, interner: &interner)
    }

    /// sacreBLEU's `BLEU._preprocess_segment`: right-strip (Python whitespace), then tokenize.
    public func preprocess(_ line: String) -> String {
        tokenizer.tokenize(pythonRStrip(line))
    }

    func ids(_ line: String, _ interner: inout TokenInterner) -> [Int32] {
        tokenizer.tokenScalars(pythonRStrip(line)).map { interner.id($0) }
    }

    func segmentStatistics(hypothesis: String, references: [String], interner: inout TokenInterner) -> BLEUStatistics {
        let order = maxNgramOrder
        // Reference n-gram counts (max over references), as sorted (n-gram, count) runs.
        var refRuns = [[(WordNGram, Int)]](repeating: [], count: order)
        var refLens: [Int] = []
        for (k, ref) in references.enumerated() {
            let t = ids(ref, &interner)
            refLens.append(t.count)
            let c = Self.sortedNGrams(t, order: order)
            for n in 0..<order {
                let runs = Self.runs(c[n])
                refRuns[n] = k == 0 ? runs : Self.maxMerge(refRuns[n], runs)
            }
        }
        let h = ids(hypothesis, &interner)
        let hc = Self.sortedNGrams(h, order: order)
        var st = BLEUStatistics(maxOrder: order)
        st.sysLen = h.count
        // closest reference length, ties -> shorter
        var bestDiff = -1, bestLen = -1
        for l in refLens {
            let diff = abs(h.count - l)
            if bestDiff == -1 || diff < bestDiff { bestDiff = diff; bestLen = l }
            else if diff == bestDiff && l < bestLen { bestLen = l }
        }
        st.refLen = bestLen
        for n in 0..<order {
            let hn = hc[n], rr = refRuns[n]
            var cor = 0
            var i = 0, j = 0
            while i < hn.count && j < rr.count {
                let g = hn[i]
                if g < rr[j].0 {
                    i += 1
                } else if rr[j].0 < g {
                    j += 1
                } else {
                    var ci = 0
                    while i < hn.count && hn[i] == g { i += 1; ci += 1 }
                    cor += min(ci, rr[j].1)
                    j += 1
                }
            }
            st.total[n] = hn.count
            st.correct[n] = cor
        }
        return st
    }

    /// Sorted n-grams of each order 1...order.
    static func sortedNGrams(_ t: [Int32], order: Int) -> [[WordNGram]] {
        var out = [[WordNGram]](repeating: [], count: order)
        let m = t.count
        for n in 1...order where m >= n {
            var a = [WordNGram]()
            a.reserveCapacity(m - n + 1)
            for i in 0...(m - n) {
                a.append(WordNGram(t[i], n > 1 ? t[i + 1] : -1, n > 2 ? t[i + 2] : -1, n > 3 ? t[i + 3] : -1))
            }
            a.sort()
            out[n - 1] = a
        }
        return out
    }

    /// Run-length encoding of a sorted array.
    static func runs(_ a: [WordNGram]) -> [(WordNGram, Int)] {
        var out: [(WordNGram, Int)] = []
        var i = 0
        while i < a.count {
            var j = i + 1
            while j < a.count && a[j] == a[i] { j += 1 }
            out.append((a[i], j - i))
            i = j
        }
        return out
    }

    /// Union of two sorted run lists keeping the larger count (sacreBLEU's multi-reference max).
    static func maxMerge(_ a: [(WordNGram, Int)], _ b: [(WordNGram, Int)]) -> [(WordNGram, Int)] {
        var out: [(WordNGram, Int)] = []
        out.reserveCapacity(a.count + b.count)
        var i = 0, j = 0
        while i < a.count || j < b.count {
            if j == b.count || (i < a.count && a[i].0 < b[j].0) { out.append(a[i]); i += 1 }
            else if i == a.count || b[j].0 < a[i].0 { out.append(b[j]); j += 1 }
            else { out.append((a[i].0, max(a[i].1, b[j].1))); i += 1; j += 1 }
        }
        return out
    }

    /// `BLEU.compute_bleu` with `smooth_method='exp'`, from sufficient statistics.
    public static func computeBLEU(_ stats: BLEUStatistics, effectiveOrder: Bool, signature: String) -> BLEUScore {
        let order = stats.correct.count
        let sysLen = stats.sysLen, refLen = stats.refLen
        var bp = 1.0
        if sysLen < refLen {
            bp = sysLen > 0 ? exp(1.0 - Double(refLen) / Double(sysLen)) : 0.0
        }
        let ratio = refLen != 0 ? Double(sysLen) / Double(refLen) : 0.0
        var precisions = [Double](repeating: 0, count: order)
        func make(_ score: Double) -> BLEUScore {
            BLEUScore(score: score, counts: stats.correct, totals: stats.total, precisions: precisions, bp: bp,
                      ratio: ratio, sysLen: sysLen, refLen: refLen, signature: signature)
        }
        if !stats.correct.contains(where: { $0 != 0 }) { return make(0.0) }
        var smoothMteval = 1.0
        var effOrder = order
        for n in 1...order {
            let tot = stats.total[n - 1], cor = stats.correct[n - 1]
            if tot == 0 { break }
            if effectiveOrder { effOrder = n }
            if cor == 0 {
                smoothMteval *= 2
                precisions[n - 1] = 100.0 / (smoothMteval * Double(tot))
            } else {
                precisions[n - 1] = 100.0 * Double(cor) / Double(tot)
            }
        }
        var sum = 0.0
        for p in precisions[0..<effOrder] { sum += p == 0.0 ? -9999999999.0 : log(p) }
        return make(bp * exp(sum / Double(effOrder)))
    }
}

/// Interns tokens by their exact code point sequence.
@usableFromInline
struct TokenInterner {
    var table: [[UInt32]: Int32] = [:]
    mutating func id(_ t: [UInt32]) -> Int32 {
        if let v = table[t] { return v }
        let v = Int32(table.count)
        table[t] = v
        return v
    }
}

/// `sacrebleu.corpus_bleu(hypotheses, references)` with its defaults.
public func corpusBLEU(hypotheses: [String], references: [[String]]) -> BLEUScore {
    BLEU(effectiveOrder: false).corpusScore(hypotheses: hypotheses, references: references)
}

/// `sacrebleu.sentence_bleu(hypothesis, references)` with its defaults (exp smoothing,
/// effective order on).
public func sentenceBLEU(hypothesis: String, references: [String]) -> BLEUScore {
    BLEU(effectiveOrder: true).sentenceScore(hypothesis: hypothesis, references: references)
}
