// Forced decoding: the log-probability of given target sequences (nmt-translate --score, the
// rescorers of Reranker.swift) and the attention rows of given outputs (--attention-svg).
//
// Pairs that share a source (one sentence's n-best list, rescored) share its encoding: each
// distinct source of a batch is encoded once and its decoder row fanned out to its pairs
// (DecoderState.select, as the beam search fans a sentence out to its beams). A row whose
// target has ended leaves the batch, so a step computes only the rows still being read.

import NMTDecode
import NMTModel
import NMTText

extension Translator {
    /// Log-probability and perplexity of each target line given its source line (both raw text;
    /// the target is tokenized with the target vocabulary's settings). An empty source or target
    /// line is scored as it stands (an empty target scores </s> alone; an empty source gives 0).
    public func score(sources: [String], targets: [String]) throws -> [PairScore] {
        precondition(sources.count == targets.count)
        let tgtTok = try targetVocab.makeTokenizer()
        let src = sources.map { prepareSource($0).ids }
        let tgt = targets.map { targetVocab.encode(tgtTok.tokenize($0)) }
        return score(sourceIds: src, targetIds: tgt)
    }

    /// Forced-decoding scores of id sequences (no <s>/</s>). Pairs with equal source ids share
    /// one encoding; a batch holds up to `options.batchSize` pairs (all the pairs of one source
    /// at least), longest sources first.
    public func score(sourceIds: [[Int32]], targetIds: [[Int32]]) -> [PairScore] {
        precondition(sourceIds.count == targetIds.count)
        var out = [PairScore](repeating: PairScore(logProb: 0, tokens: 0), count: sourceIds.count)
        // The distinct non-empty sources, each with its pairs in input order.
        var slot: [[Int32]: Int] = [:]
        var distinct: [[Int32]] = [], pairsOf: [[Int]] = []
        for i in sourceIds.indices where !sourceIds[i].isEmpty {
            if let k = slot[sourceIds[i]] {
                pairsOf[k].append(i)
            } else {
                slot[sourceIds[i]] = distinct.count
                distinct.append(sourceIds[i])
                pairsOf.append([i])
            }
        }
        var order = Array(distinct.indices)
        order.sort { distinct[$0].count != distinct[$1].count ? distinct[$0].count > distinct[$1].count : $0 < $1 }
        let bs = max(1, options.batchSize)
        var start = 0
        while start < order.count {
            var batch: [Int] = [], rows = 0
            while start < order.count, batch.isEmpty || rows + pairsOf[order[start]].count <= bs {
                batch.append(order[start])
                rows += pairsOf[order[start]].count
                start += 1
            }
            var rowSource: [Int32] = [], pairs: [Int] = []
            for (k, d) in batch.enumerated() {
                for i in pairsOf[d] { rowSource.append(Int32(k)); pairs.append(i) }
            }
            let lp = forced(sources: batch.map { distinct[$0] }, rowSource: rowSource,
                            targets: pairs.map { reversed ? targetIds[$0].reversed() : targetIds[$0] },
                            encoded: false, collectAttention: false).logProbs
            for (r, i) in pairs.enumerated() { out[i] = PairScore(logProb: lp[r], tokens: targetIds[i].count + 1) }
        }
        return out
    }

    /// Teacher-forced pass: row r reads source `rowSource[r]` (row r reads source r when nil),
    /// feeds <s> y1 … yn of `targets[r]`, sums log P(y1 … yn </s>), and optionally records the
    /// attention rows of its n target tokens. `sources` are encoded here unless `encoded`.
    func forced(sources: [[Int32]], rowSource: [Int32]? = nil, targets: [[Int32]], encoded: Bool,
                collectAttention: Bool) -> (logProbs: [Double], attention: [[[Float]]]?) {
        let B = targets.count, V = targetVocab.count
        precondition(rowSource.map { $0.count == B } ?? (sources.count == B), "forced: one source per row")
        if !encoded { scorer.encode(sources) }
        var state = scorer.initialState(batchSize: sources.count)
        if let rowSource { scorer.reorder(state: &state, rows: rowSource) }
        let buf = UnsafeMutablePointer<Float>.allocate(capacity: B * V)
        defer { buf.deallocate() }
        var logProbs = [Double](repeating: 0, count: B)
        var attention: [[[Float]]]? = collectAttention ? [[[Float]]](repeating: [], count: B) : nil
        var live = Array(0..<B)                     // the pair of each current row
        var last = [Int32](repeating: SpecialIds.bos, count: B)
        var t = 0
        while !live.isEmpty {
            scorer.step(lastTokens: last, state: &state, out: buf)
            let a = state[0].attentionWeights
            var keep: [Int32] = [], next: [Int] = []
            for (r, b) in live.enumerated() {
                let n = targets[b].count
                let gold = t < n ? targets[b][t] : SpecialIds.eos
                logProbs[b] += Double(buf[r * V + Int(gold)])
                guard t < n else { continue }        // </s> scored: the row leaves
                if collectAttention {
                    let len = sources[rowSource.map { Int($0[b]) } ?? b].count
                    attention![b].append(Array(UnsafeBufferPointer(start: a.row(r), count: len)))
                }
                keep.append(Int32(r))
                next.append(b)
            }
            if next.count < live.count && !next.isEmpty { scorer.reorder(state: &state, rows: keep) }
            last = next.map { targets[$0][t] }
            live = next
            t += 1
        }
        return (logProbs, attention)
    }
}
