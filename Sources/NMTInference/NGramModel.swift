// Trigram language model with interpolated Kneser–Ney smoothing, over vocabulary ids, the
// baseline of nmt-fill --eval and of nmt-lm score --trigram.
//
//   P3(w | u v) = max(c(uvw) − D3, 0) / c(uv·) + D3 · N1+(uv·) / c(uv·) · P2(w | v)    (c(uv·) > 0; else P2)
//   P2(w | v)   = max(N1+(·vw) − D2, 0) / N1+(·v·) + D2 · N1+(v·)₂ / N1+(·v·) · P1(w)  (N1+(·v·) > 0; else P1)
//   P1(w)       = max(N1+(·w) − D1, 0) / N1+(··) + D1 · |{w : N1+(·w) > 0}| / N1+(··) · 1/V
//
// c are counts, N1+(·vw) the number of distinct words seen before "v w" (continuation counts),
// N1+(v·)₂ the number of distinct w with N1+(·vw) > 0. Discounts D_n = n1 / (n1 + 2·n2) from
// the count-of-counts of each order (Ney et al.). Each distribution sums to 1 over all V ids.
// Sentences are framed as <s> <s> w1 … wn </s>; <s> is never predicted.
//
// Filling a blank at k: the both-sides score of candidate c is log of the product of every
// trigram that contains it, P(c | w_{k−2} w_{k−1}) · P(w_{k+1} | w_{k−1} c) · P(w_{k+2} | c w_{k+1})
// (the window w_{k−2} … w_{k+2} with c inserted; the factors not involving c are constant);
// the left-only score is P(c | w_{k−2} w_{k−1}).

import Foundation
import NMTText

public final class NGramModel {
    public let vocabSize: Int
    public private(set) var d1 = 0.5, d2 = 0.5, d3 = 0.5

    // Trigram counts c(uvw), context totals c(uv·), and N1+(uv·).
    private var tri: [UInt64: Int32] = [:]
    private var triContext: [UInt64: (total: Int32, types: Int32)] = [:]
    // Continuation counts N1+(·vw), and per v: N1+(·v·) and N1+(v·)₂.
    private var bi: [UInt64: Int32] = [:]
    private var biContext: [Int32: (total: Int32, types: Int32)] = [:]
    // N1+(·w) and N1+(··), |{w : N1+(·w) > 0}|.
    private var uni: [Int32]
    private var uniTotal = 0
    private var uniTypes = 0
    /// Plain unigram counts of predicted tokens (the unigram-frequency baseline).
    public private(set) var frequency: [Int]

    static let bos = SpecialIds.bos, eos = SpecialIds.eos

    @inline(__always) static func key2(_ a: Int32, _ b: Int32) -> UInt64 { UInt64(UInt32(bitPattern: a)) << 32 | UInt64(UInt32(bitPattern: b)) }
    @inline(__always) static func key3(_ a: Int32, _ b: Int32, _ c: Int32) -> UInt64 {
        UInt64(UInt32(bitPattern: a)) << 42 | UInt64(UInt32(bitPattern: b)) << 21 | UInt64(UInt32(bitPattern: c))
    }

    /// Counts from sentences of ids (no <s>/</s>); ids must be < vocabSize ≤ 2^21.
    public init(sentences: [[Int32]], vocabSize: Int) {
        precondition(vocabSize > SpecialIds.count && vocabSize < (1 << 21))
        self.vocabSize = vocabSize
        uni = [Int32](repeating: 0, count: vocabSize)
        frequency = [Int](repeating: 0, count: vocabSize)
        for s in sentences {
            var u = Self.bos, v = Self.bos
            for w in s + [Self.eos] {
                tri[Self.key3(u, v, w), default: 0] += 1
                frequency[Int(w)] += 1
                u = v; v = w
            }
        }
        // Trigram contexts, and the continuation counts of the bigram level.
        for (k, c) in tri {
            let u = Int32((k >> 42) & 0x1F_FFFF), v = Int32((k >> 21) & 0x1F_FFFF), w = Int32(k & 0x1F_FFFF)
            let ck = Self.key2(u, v)
            let e = triContext[ck] ?? (0, 0)
            triContext[ck] = (e.total + c, e.types + 1)
            _ = u
            bi[Self.key2(v, w), default: 0] += 1
        }
        for (k, n) in bi {
            let v = Int32(truncatingIfNeeded: k >> 32), w = Int32(truncatingIfNeeded: k & 0xFFFF_FFFF)
            let e = biContext[v] ?? (0, 0)
            biContext[v] = (e.total + n, e.types + 1)
            uni[Int(w)] += 1
        }
        // N1+(·w): distinct v before w among bigram types (v w).
        uniTotal = bi.count
        uniTypes = uni.reduce(0) { $0 + ($1 > 0 ? 1 : 0) }
        d3 = Self.discount(tri.values.map { Int($0) })
        d2 = Self.discount(bi.values.map { Int($0) })
        d1 = Self.discount(uni.map { Int($0) })
    }

    static func discount(_ counts: [Int]) -> Double {
        var n1 = 0, n2 = 0
        for c in counts { if c == 1 { n1 += 1 } else if c == 2 { n2 += 1 } }
        guard n1 > 0 else { return 0.5 }
        return min(max(Double(n1) / Double(n1 + 2 * n2), 0.05), 0.95)
    }

    public func p1(_ w: Int32) -> Double {
        let uniform = 1 / Double(vocabSize)
        guard uniTotal > 0 else { return uniform }
        let t = Double(uniTotal)
        return max(Double(uni[Int(w)]) - d1, 0) / t + d1 * Double(uniTypes) / t * uniform
    }

    public func p2(_ w: Int32, given v: Int32) -> Double {
        guard let ctx = biContext[v] else { return p1(w) }
        let t = Double(ctx.total)
        let n = Double(bi[Self.key2(v, w)] ?? 0)
        return max(n - d2, 0) / t + d2 * Double(ctx.types) / t * p1(w)
    }

    public func p3(_ w: Int32, given u: Int32, _ v: Int32) -> Double {
        guard let ctx = triContext[Self.key2(u, v)] else { return p2(w, given: v) }
        let t = Double(ctx.total)
        let n = Double(tri[Self.key3(u, v, w)] ?? 0)
        return max(n - d3, 0) / t + d3 * Double(ctx.types) / t * p2(w, given: v)
    }

    /// ln P(w1 … wn </s>) under the trigram model: Σ ln P3(w | u v) from <s> <s>, n + 1 factors
    /// (the tokens a recurrent language model scores for the same sentence).
    public func logProbability(sentence: [Int32]) -> Double {
        var u = Self.bos, v = Self.bos, sum = 0.0
        for w in sentence + [Self.eos] {
            sum += Foundation.log(p3(w, given: u, v))
            u = v; v = w
        }
        return sum
    }

    /// The sentence framed for scoring: <s> <s> w… </s> </s> (extra </s> only pads the window).
    static func framed(_ s: [Int32]) -> [Int32] { [bos, bos] + s + [eos, eos] }

    /// Score (log) of each candidate at word index k of `sentence` (the id there is ignored).
    /// bothSides: the three trigrams containing the candidate; else only P(c | w_{k−2} w_{k−1}).
    public func scores(sentence: [Int32], at k: Int, candidates: [Int32], bothSides: Bool) -> [Double] {
        let f = Self.framed(sentence)
        let i = k + 2
        let u = f[i - 2], v = f[i - 1]
        let r1 = f[i + 1]
        let r2: Int32? = k + 1 < sentence.count ? f[i + 2] : nil   // after the sentence's </s>: nothing to predict
        return candidates.map { c in
            var s = log(p3(c, given: u, v))
            if bothSides {
                s += log(p3(r1, given: v, c))
                if let r2 { s += log(p3(r2, given: c, r1)) }
            }
            return s
        }
    }
}
