import Foundation
import Testing
import NMTDecode

// Vocabulary of the hand-made tables: 0 PAD, 1 UNK, 2 BOS, 3 EOS, 4 "A", 5 "B".
let A: Int32 = 4, B: Int32 = 5
let NEG: Float = -30

/// Builds a row of log-probs over 6 tokens from sparse entries (others NEG).
func row(_ entries: [Int32: Float]) -> [Float] {
    var r = [Float](repeating: NEG, count: 6)
    for (k, v) in entries { r[Int(k)] = v }
    return r
}

func opts(_ k: Int, nBest: Int = 1, alpha: Float = 0, ratio: Float = 0, constant: Int = 8, minLen: Int = 0,
          collect: Bool = false) -> BeamSearchOptions {
    BeamSearchOptions(beamSize: k, nBest: nBest, lengthPenaltyAlpha: alpha, maxLenRatio: ratio,
                      maxLenConstant: constant, minLen: minLen, bos: 2, eos: 3, pad: 0, unk: 1,   // the toy scorers' ids
                      collectAlignments: collect)
}

@Suite struct BeamSearchTests {
    /// Greedy takes A (0.6) but every continuation of A is poor; B then EOS has 0.4 · 0.9 = 0.36.
    @Test func beamFindsSequenceGreedyMisses() {
        let table: [[Int32]: [Float]] = [
            []: row([A: logf(0.6), B: logf(0.4)]),
            [A]: row([3: logf(0.3), A: logf(0.35), B: logf(0.35)]),
            [B]: row([3: logf(0.9), A: logf(0.05), B: logf(0.05)]),
        ]
        let def = row([3: logf(0.5), A: logf(0.25), B: logf(0.25)])
        var g = tableScorer(vocab: 6, table: table, default: def)
        let greedy = BeamSearch(options: opts(1)).decode(&g, sourceLengths: [3])[0][0]
        // Greedy: A (0.6), then A (0.35, ties with B go to the smaller id), then EOS (0.5).
        #expect(greedy.tokens == [A, A])
        #expect(abs(greedy.logProb - logf(0.6 * 0.35 * 0.5)) < 1e-5)
        var s = tableScorer(vocab: 6, table: table, default: def)
        let best = BeamSearch(options: opts(2)).decode(&s, sourceLengths: [3])[0][0]
        #expect(best.tokens == [B])
        #expect(abs(best.logProb - logf(0.36)) < 1e-5)
        #expect(best.logProb > greedy.logProb)
    }

    @Test func beamSizeOneEqualsGreedy() {
        for seed in 0..<20 as Range<UInt64> {
            let ids = [0, 1, 2, 3]
            let src = [2, 5, 1, 4]
            let make = { FunctionScorer(vocabSize: 9, sentenceIDs: ids) { s, p in randomLogProbs(vocab: 9, seed: seed, sentence: s, prefix: p) } }
            var g = make()
            var b = make()
            let fast = BeamSearch(options: opts(1, ratio: 1.5, constant: 2)).decode(&g, sourceLengths: src)
            var general = BeamSearch(options: opts(1, ratio: 1.5, constant: 2))
            general.greedyFastPath = false
            let slow = general.decode(&b, sourceLengths: src)
            #expect(fast == slow, "seed \(seed)")
        }
    }

    @Test func nBestSortedAndDistinct() {
        for seed in 0..<10 as Range<UInt64> {
            var sc = FunctionScorer(vocabSize: 12) { s, p in randomLogProbs(vocab: 12, seed: seed, sentence: s, prefix: p, temperature: 1) }
            let res = BeamSearch(options: opts(6, nBest: 6, alpha: 0.6, constant: 6)).decode(&sc, sourceLengths: [4])[0]
            #expect(res.count == 6)
            for i in 1..<res.count { #expect(res[i - 1].score >= res[i].score) }
            #expect(Set(res.map(\.tokens)).count == res.count)
            for h in res {
                #expect(!h.tokens.contains(3) && !h.tokens.contains(0) && !h.tokens.contains(2))
                let lp = gnmtLengthPenalty(length: h.tokens.count + 1, alpha: 0.6)
                #expect(abs(h.score - h.logProb / lp) < 1e-5)
            }
        }
    }

    /// [A] EOS has log-prob -1.0 (length 2); [B B B] EOS has -1.3 (length 4).
    /// α = 0 prefers the short one; α = 2 (-1.0 / 1.36 vs -1.3 / 2.25) the long one.
    @Test func lengthPenaltyChangesTheChoice() {
        let table: [[Int32]: [Float]] = [
            []: row([A: -0.5, B: -0.6]),
            [A]: row([3: -0.5]),
            [B]: row([B: -0.2]),
            [B, B]: row([B: -0.2]),
            [B, B, B]: row([3: -0.3]),
        ]
        let def = row([3: -3, A: -5, B: -5])
        var s0 = tableScorer(vocab: 6, table: table, default: def)
        let r0 = BeamSearch(options: opts(4, alpha: 0, constant: 6)).decode(&s0, sourceLengths: [1])[0][0]
        #expect(r0.tokens == [A])
        #expect(abs(r0.logProb - -1.0) < 1e-5)
        var s2 = tableScorer(vocab: 6, table: table, default: def)
        let r2 = BeamSearch(options: opts(4, alpha: 2, constant: 6)).decode(&s2, sourceLengths: [1])[0][0]
        #expect(r2.tokens == [B, B, B])
        #expect(abs(r2.logProb - -1.3) < 1e-5)
        #expect(abs(r2.score - -1.3 / 2.25) < 1e-5)
    }

    @Test func minLengthRespected() {
        // EOS is by far the most likely token everywhere.
        let def = row([3: -0.01, A: -5, B: -6])
        for k in [1, 3] {
            var free = tableScorer(vocab: 6, table: [:], default: def)
            #expect(BeamSearch(options: opts(k)).decode(&free, sourceLengths: [5])[0][0].tokens == [])
            var sc = tableScorer(vocab: 6, table: [:], default: def)
            let res = BeamSearch(options: opts(k, nBest: k, minLen: 3)).decode(&sc, sourceLengths: [5])[0]
            #expect(res[0].tokens == [A, A, A], "k=\(k)")
            for h in res { #expect(h.tokens.count >= 3) }
        }
        for seed in 0..<5 as Range<UInt64> {
            var sc = FunctionScorer(vocabSize: 8) { s, p in randomLogProbs(vocab: 8, seed: seed, sentence: s, prefix: p) }
            let res = BeamSearch(options: opts(4, nBest: 4, alpha: 0.6, minLen: 5)).decode(&sc, sourceLengths: [3])[0]
            for h in res { #expect(h.tokens.count >= 5) }
        }
    }

    @Test func maxLengthRespected() {
        // EOS is very unlikely, and the less so the longer the prefix, so every hypothesis
        // (also the best one under the full objective) runs to the maximum length, where EOS is forced.
        for k in [1, 4] {
            for (ratio, constant, src) in [(Float(1.5), 2, 4), (Float(0), 3, 10), (Float(2), 0, 3)] {
                var sc = FunctionScorer(vocabSize: 6) { _, p in row([3: -10 * Float(50 - p.count), A: -0.1, B: -0.5]) }
                let o = opts(k, nBest: k, ratio: ratio, constant: constant)
                let res = BeamSearch(options: o).decode(&sc, sourceLengths: [src])[0]
                let maxLen = Int(ratio * Float(src)) + constant
                #expect(o.maxLength(sourceLength: src) == maxLen)
                #expect(res[0].tokens == [Int32](repeating: A, count: maxLen), "k=\(k) maxLen=\(maxLen)")
                for h in res { #expect(h.tokens.count == maxLen) }
                #expect(sc.rowsPerStep.count == maxLen + 1)
            }
        }
    }

    @Test func batchedEqualsOneAtATime() {
        let src = [3, 7, 1, 5, 2]
        for seed in 0..<8 as Range<UInt64> {
            for (k, alpha) in [(1, Float(0)), (3, Float(0.6)), (5, Float(1))] {
                let o = opts(k, nBest: k, alpha: alpha, ratio: 1.5, constant: 1, collect: true)
                var batch = FunctionScorer(vocabSize: 10, sentenceIDs: Array(src.indices)) { s, p in
                    // Per-sentence EOS bias so that sentences end at different steps.
                    var lp = randomLogProbs(vocab: 10, seed: seed, sentence: s, prefix: p)
                    lp[3] += Float(p.count - src[s]) * 0.7
                    return lp.map { min($0, 0) }
                }
                batch.sourceLengths = Dictionary(uniqueKeysWithValues: src.enumerated().map { ($0.offset, $0.element) })
                let together = BeamSearch(options: o).decode(&batch, sourceLengths: src)
                for i in src.indices {
                    var single = batch
                    single.sentenceIDs = [i]
                    single.rowsPerStep = []
                    let alone = BeamSearch(options: o).decode(&single, sourceLengths: [src[i]])[0]
                    #expect(alone == together[i], "seed \(seed) k \(k) sentence \(i)")
                }
                // Rows left the active set at different times.
                #expect(Set(batch.rowsPerStep.dropFirst()).count > 1)
            }
        }
    }

    @Test func alignmentsFollowTheScorer() {
        let src = [4, 6]
        var sc = FunctionScorer(vocabSize: 8, sentenceIDs: [0, 1]) { s, p in randomLogProbs(vocab: 8, seed: 9, sentence: s, prefix: p) }
        sc.sourceLengths = [0: 4, 1: 6]
        for k in [1, 4] {
            var scorer = sc
            let res = BeamSearch(options: opts(k, nBest: k, ratio: 1, constant: 2, collect: true)).decode(&scorer, sourceLengths: src)
            for (s, hyps) in res.enumerated() {
                for h in hyps {
                    let al = try! #require(h.alignment)
                    #expect(al.count == h.tokens.count)
                    for (i, a) in al.enumerated() { #expect(a == Int32((i + s) % src[s])) }
                }
            }
        }
        // Without the option no alignments are returned.
        var scorer = sc
        let res = BeamSearch(options: opts(4, ratio: 1, constant: 2)).decode(&scorer, sourceLengths: src)
        #expect(res[0][0].alignment == nil)
    }

    /// Vocabulary of 4 (BOS = 2 may be generated here, EOS = 3), maximum length 4: a beam larger
    /// than the number of prefixes must return exactly the brute-force ranking.
    @Test func exhaustiveSmallVocabulary() {
        let V = 4, maxLen = 4
        for seed in 0..<25 as Range<UInt64> {
            for alpha: Float in [0, 0.6, 1.5] {
                let lp = { (p: [Int32]) in randomLogProbs(vocab: V, seed: seed, sentence: 0, prefix: p, temperature: 3) }
                // Brute force over all sequences of {0,1,2} of length 0...maxLen, then EOS.
                var all: [(tokens: [Int32], score: Float, logProb: Float)] = []
                func rec(_ prefix: [Int32], _ score: Float) {
                    let d = lp(prefix)
                    let total = score + d[3]
                    all.append((prefix, total / gnmtLengthPenalty(length: prefix.count + 1, alpha: alpha), total))
                    if prefix.count == maxLen { return }
                    for v: Int32 in [0, 1, 2] { rec(prefix + [v], score + d[Int(v)]) }
                }
                rec([], 0)
                all.sort { $0.score > $1.score }
                var o = opts(128, nBest: 10, alpha: alpha, constant: maxLen)
                o.suppressPadAndBos = false
                var sc = FunctionScorer(vocabSize: V) { _, p in lp(p) }
                let res = BeamSearch(options: o).decode(&sc, sourceLengths: [3])[0]
                #expect(res.count == 10)
                for (i, h) in res.enumerated() {
                    #expect(h.tokens == all[i].tokens, "seed \(seed) α \(alpha) rank \(i)")
                    #expect(abs(h.score - all[i].score) < 1e-5)
                }
                // A moderate beam still finds the best sequence on these smooth distributions.
                var sc8 = FunctionScorer(vocabSize: V) { _, p in lp(p) }
                var o8 = o
                o8.beamSize = 8
                o8.nBest = 1
                let best8 = BeamSearch(options: o8).decode(&sc8, sourceLengths: [3])[0][0]
                #expect(best8.score <= all[0].score + 1e-6)
            }
        }
    }

    @Test func topKMatchesFullSort() {
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<50 {
            let n = Int.random(in: 1...300, using: &rng)
            let k = Int.random(in: 1...20, using: &rng)
            // Coarse values so that ties occur.
            let vals = (0..<n).map { _ in Float(Int.random(in: -20...0, using: &rng)) }
            var heap = TopK(capacity: k)
            vals.withUnsafeBufferPointer { heap.push(rowBase: 0.5, values: $0.baseAddress!, count: n, baseIndex: 100) }
            let got = heap.sortedDescending().map { $0.index }
            let want = Array(vals.indices.sorted { vals[$0] != vals[$1] ? vals[$0] > vals[$1] : $0 < $1 }.prefix(k)).map { $0 + 100 }
            #expect(got == want)
        }
    }

    @Test func emptyBatch() {
        var sc = FunctionScorer(vocabSize: 6, sentenceIDs: []) { _, _ in row([:]) }
        #expect(BeamSearch(options: opts(5)).decode(&sc, sourceLengths: []).isEmpty)
    }
}
