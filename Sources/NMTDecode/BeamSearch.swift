import Foundation

/// GNMT length penalty lp(L) = ((5 + L) / 6)^α (Wu et al., 2016). α = 0 gives 1.
@inlinable
public func gnmtLengthPenalty(length: Int, alpha: Float) -> Float {
    alpha == 0 ? 1 : powf((5 + Float(length)) / 6, alpha)
}

/// Options of `BeamSearch`.
public struct BeamSearchOptions: Sendable, Equatable {
    /// Beam size K (hypotheses kept alive per sentence). K = 1 uses the greedy fast path.
    public var beamSize: Int
    /// Number of hypotheses returned per sentence (clamped to 1...K).
    public var nBest: Int
    /// α of the GNMT length penalty; the ranking score of a finished hypothesis is
    /// logP(y) / ((5 + |y|) / 6)^α, with |y| counting the generated tokens including EOS.
    public var lengthPenaltyAlpha: Float
    /// Maximum output length (tokens, EOS not counted) for a source of length n:
    /// `Int(maxLenRatio * n) + maxLenConstant`. When a hypothesis reaches it, EOS is forced.
    public var maxLenRatio: Float
    public var maxLenConstant: Int
    /// EOS is forbidden until a hypothesis has at least `minLen` tokens (EOS not counted).
    public var minLen: Int
    public var bos: Int32
    public var eos: Int32
    public var pad: Int32
    public var unk: Int32
    /// Never generate PAD or BOS (their log-probabilities are masked to -inf).
    public var suppressPadAndBos: Bool
    /// Ask the scorer for attention argmax positions and return them per output token.
    public var collectAlignments: Bool

    public init(beamSize: Int = 5, nBest: Int = 1, lengthPenaltyAlpha: Float = 0.6,
                maxLenRatio: Float = 2, maxLenConstant: Int = 10, minLen: Int = 0,
                bos: Int32, eos: Int32, pad: Int32, unk: Int32,
                suppressPadAndBos: Bool = true, collectAlignments: Bool = false) {
        self.beamSize = beamSize
        self.nBest = nBest
        self.lengthPenaltyAlpha = lengthPenaltyAlpha
        self.maxLenRatio = maxLenRatio
        self.maxLenConstant = maxLenConstant
        self.minLen = minLen
        self.bos = bos
        self.eos = eos
        self.pad = pad
        self.unk = unk
        self.suppressPadAndBos = suppressPadAndBos
        self.collectAlignments = collectAlignments
    }

    /// Maximum number of tokens (EOS not counted) for a source of `sourceLength` tokens.
    @inlinable
    public func maxLength(sourceLength: Int) -> Int {
        max(minLen, Int(maxLenRatio * Float(sourceLength)) + maxLenConstant)
    }
}

/// One finished hypothesis.
public struct Hypothesis: Sendable, Equatable {
    /// Output tokens, without BOS and EOS.
    public var tokens: [Int32]
    /// Sum of the log-probabilities of the tokens and of the final EOS.
    public var logProb: Float
    /// Ranking score: `logProb / gnmtLengthPenalty(tokens.count + 1, α)`.
    public var score: Float
    /// Per output token, the source position of highest attention (only with
    /// `collectAlignments` and a scorer that implements `attentionArgmax`).
    public var alignment: [Int32]?

    public init(tokens: [Int32], logProb: Float, score: Float, alignment: [Int32]? = nil) {
        self.tokens = tokens
        self.logProb = logProb
        self.score = score
        self.alignment = alignment
    }
}

/// Batched beam search over any `StepScorer`.
///
/// Per step and sentence (rows of all active sentences are scored in one `step` call):
/// 1. Masking: PAD and BOS are -inf (if `suppressPadAndBos`); EOS is -inf while the hypothesis
///    has fewer than `minLen` tokens; once it has `maxLength` tokens, everything but EOS is -inf
///    (EOS is forced, as in Marian).
/// 2. Candidates are score(row) + logP(v | row) over the sentence's live rows × V. The best 2K
///    are selected with a bounded min-heap (partial selection, O(R·V·log 2K) worst case, no
///    sort of R·V values).
/// 3. Walking the 2K candidates best first: an EOS candidate ranked among the first K becomes a
///    finished hypothesis (scored with the length penalty); the first K non-EOS candidates stay
///    alive. So the beam stays full (as in fairseq) while finished hypotheses leave the active
///    set: their rows are simply not passed to `reorder`.
/// 4. Stopping rule: a sentence is done when it has no live hypothesis, or when it has at least
///    K finished hypotheses and no live hypothesis can still beat the best finished one.
///    Log-probabilities are ≤ 0, so a live hypothesis of raw score s and t tokens can at best
///    reach s / lp(L) for some final length L in t+2 ... maxLength+1; that bound is exact, so
///    the search never stops a sentence that a longer run would change. (OpenNMT-py stops when
///    the top candidate is EOS; Marian when all beams have finished; this rule is the stricter
///    of the two and reduces to OpenNMT-py's early stop for α = 0.)
/// 5. Hypotheses are nodes (token, parent, attention position) in one pool; live rows and
///    finished hypotheses hold node indices (back-pointers), token sequences are built only
///    for the returned n-best.
///
/// K = 1 takes a greedy fast path (argmax per row, no heap, no back-pointers), which returns
/// the same as the general search with K = 1 when α = 0.
public struct BeamSearch: Sendable {
    public var options: BeamSearchOptions
    /// Use the greedy fast path for K = 1 (default). Off: the general beam code runs with K = 1.
    public var greedyFastPath = true

    public init(options: BeamSearchOptions) {
        self.options = options
    }

    /// Decodes a batch; `sourceLengths[i]` is the length of source sentence i (it sets the
    /// maximum output length). Returns, per sentence, up to `nBest` hypotheses, best first.
    public func decode<S: StepScorer>(_ scorer: inout S, sourceLengths: [Int]) -> [[Hypothesis]] {
        if sourceLengths.isEmpty { return [] }
        if options.beamSize <= 1 && greedyFastPath {
            return greedy(&scorer, sourceLengths: sourceLengths)
        }
        return beam(&scorer, sourceLengths: sourceLengths)
    }

    // MARK: - masking

    @inline(__always)
    func mask(_ p: UnsafeMutablePointer<Float>, vocab V: Int, length t: Int, maxLength: Int) {
        let o = options
        if t >= maxLength {
            let e = p[Int(o.eos)]
            for v in 0..<V { p[v] = -.infinity }
            p[Int(o.eos)] = e
            return
        }
        if t < o.minLen { p[Int(o.eos)] = -.infinity }
        if o.suppressPadAndBos {
            if o.pad >= 0 && Int(o.pad) < V { p[Int(o.pad)] = -.infinity }
            if o.bos >= 0 && Int(o.bos) < V { p[Int(o.bos)] = -.infinity }
        }
    }

    // MARK: - greedy fast path

    func greedy<S: StepScorer>(_ scorer: inout S, sourceLengths: [Int]) -> [[Hypothesis]] {
        let B = sourceLengths.count
        let V = scorer.vocabSize
        let alpha = options.lengthPenaltyAlpha
        let collect = options.collectAlignments
        let eos = options.eos
        var state = scorer.initialState(batchSize: B)
        var result = [[Hypothesis]](repeating: [], count: B)
        var rowSentence = [Int](0..<B)
        var tokens = [[Int32]](repeating: [], count: B)     // indexed by sentence
        var aligns = [[Int32]](repeating: [], count: B)
        var scores = [Float](repeating: 0, count: B)
        var last = [Int32](repeating: options.bos, count: B)
        let maxLens = sourceLengths.map { options.maxLength(sourceLength: $0) }
        let buf = UnsafeMutablePointer<Float>.allocate(capacity: B * V)
        defer { buf.deallocate() }
        var t = 0
        while !rowSentence.isEmpty {
            scorer.step(lastTokens: last, state: &state, out: buf)
            let att = collect ? scorer.attentionArgmax(state: state) : nil
            var keep: [Int32] = []
            var newRowSentence: [Int] = []
            var newLast: [Int32] = []
            for (r, s) in rowSentence.enumerated() {
                let p = buf + r * V
                mask(p, vocab: V, length: t, maxLength: maxLens[s])
                var best = 0
                var bestV = p[0]
                for v in 1..<V where p[v] > bestV { bestV = p[v]; best = v }
                scores[s] += bestV
                if Int32(best) == eos || bestV == -.infinity {
                    let lp = gnmtLengthPenalty(length: t + 1, alpha: alpha)
                    result[s] = [Hypothesis(tokens: tokens[s], logProb: scores[s], score: scores[s] / lp,
                                            alignment: (collect && att != nil) ? aligns[s] : nil)]
                } else {
                    tokens[s].append(Int32(best))
                    if let att { aligns[s].append(att[r]) }
                    keep.append(Int32(r))
                    newRowSentence.append(s)
                    newLast.append(Int32(best))
                }
            }
            if keep.isEmpty { break }
            if keep.count != rowSentence.count { scorer.reorder(state: &state, rows: keep) }
            rowSentence = newRowSentence
            last = newLast
            t += 1
        }
        return result
    }

    // MARK: - general beam search

    struct Finished {
        var node: Int32      // last real token's node (-1: empty output)
        var eosAttn: Int32
        var logProb: Float
        var score: Float
    }

    func beam<S: StepScorer>(_ scorer: inout S, sourceLengths: [Int]) -> [[Hypothesis]] {
        let B = sourceLengths.count
        let V = scorer.vocabSize
        let K = max(1, options.beamSize)
        let N = min(max(1, options.nBest), K)
        let alpha = options.lengthPenaltyAlpha
        let collect = options.collectAlignments
        let eos = options.eos
        let maxLens = sourceLengths.map { options.maxLength(sourceLength: $0) }

        // Node pool (back-pointers).
        var nodeToken: [Int32] = []
        var nodeParent: [Int32] = []
        var nodeAttn: [Int32] = []
        var finished = [[Finished]](repeating: [], count: B)

        // Current rows, grouped by sentence (in `activeSentences` order).
        var activeSentences = [Int](0..<B)
        var rowStart = [Int](0...B)          // rows of activeSentences[a]: rowStart[a]..<rowStart[a+1]
        var rowNode = [Int32](repeating: -1, count: B)
        var rowScore = [Float](repeating: 0, count: B)
        var last = [Int32](repeating: options.bos, count: B)

        var state = scorer.initialState(batchSize: B)
        let buf = UnsafeMutablePointer<Float>.allocate(capacity: B * K * V)
        defer { buf.deallocate() }
        var heap = TopK(capacity: 2 * K)
        var t = 0
        while !activeSentences.isEmpty {
            scorer.step(lastTokens: last, state: &state, out: buf)
            let att = collect ? scorer.attentionArgmax(state: state) : nil

            var nextSentences: [Int] = []
            var nextRowStart: [Int] = [0]
            var reorderRows: [Int32] = []
            var nextNode: [Int32] = []
            var nextScore: [Float] = []
            var nextLast: [Int32] = []

            for (a, s) in activeSentences.enumerated() {
                let r0 = rowStart[a], r1 = rowStart[a + 1]
                let maxLen = maxLens[s]
                heap.reset()
                for r in r0..<r1 {
                    let p = buf + r * V
                    mask(p, vocab: V, length: t, maxLength: maxLen)
                    heap.push(rowBase: rowScore[r], values: p, count: V, baseIndex: (r - r0) * V)
                }
                let cands = heap.sortedDescending()
                var alive = 0
                var bestAliveBound = -Float.infinity
                let lpFinal = gnmtLengthPenalty(length: t + 1, alpha: alpha)
                // Final length of a live hypothesis lies in t+2 ... maxLen+1; lp is monotonic in L.
                let lpShort = gnmtLengthPenalty(length: t + 2, alpha: alpha)
                let lpLong = gnmtLengthPenalty(length: maxLen + 1, alpha: alpha)
                for (rank, c) in cands.enumerated() {
                    if c.score == -.infinity { break }
                    let r = r0 + c.index / V
                    let v = Int32(c.index % V)
                    if v == eos {
                        if rank < K {
                            finished[s].append(Finished(node: rowNode[r], eosAttn: att?[r] ?? -1,
                                                        logProb: c.score, score: c.score / lpFinal))
                        }
                    } else if alive < K {
                        nodeToken.append(v)
                        nodeParent.append(rowNode[r])
                        nodeAttn.append(att?[r] ?? -1)
                        reorderRows.append(Int32(r))
                        nextNode.append(Int32(nodeToken.count - 1))
                        nextScore.append(c.score)
                        nextLast.append(v)
                        alive += 1
                        bestAliveBound = max(bestAliveBound, max(c.score / lpShort, c.score / lpLong))
                    }
                    if alive == K && rank >= K - 1 { break }
                }
                var done = alive == 0
                if !done && finished[s].count >= K {
                    var bestFinished = -Float.infinity
                    for f in finished[s] { bestFinished = max(bestFinished, f.score) }
                    done = bestFinished >= bestAliveBound
                }
                if done {
                    // Drop this sentence's new rows: it leaves the active set.
                    reorderRows.removeLast(alive); nextNode.removeLast(alive)
                    nextScore.removeLast(alive); nextLast.removeLast(alive)
                } else {
                    nextSentences.append(s)
                    nextRowStart.append(reorderRows.count)
                }
            }
            if nextSentences.isEmpty { break }
            scorer.reorder(state: &state, rows: reorderRows)
            activeSentences = nextSentences
            rowStart = nextRowStart
            rowNode = nextNode
            rowScore = nextScore
            last = nextLast
            t += 1
        }

        // Back-trace the n-best of each sentence.
        var out = [[Hypothesis]](repeating: [], count: B)
        for s in 0..<B {
            // Stable sort: equal scores keep the order in which they finished.
            let order = finished[s].indices.sorted {
                let a = finished[s][$0], b = finished[s][$1]
                return a.score != b.score ? a.score > b.score : $0 < $1
            }
            for i in order.prefix(N) {
                let f = finished[s][i]
                var toks: [Int32] = []
                var al: [Int32] = []
                var n = f.node
                while n >= 0 {
                    toks.append(nodeToken[Int(n)])
                    al.append(nodeAttn[Int(n)])
                    n = nodeParent[Int(n)]
                }
                toks.reverse(); al.reverse()
                let hasAtt = collect && (al.isEmpty ? f.eosAttn >= 0 : al.allSatisfy { $0 >= 0 })
                out[s].append(Hypothesis(tokens: toks, logProb: f.logProb, score: f.score,
                                         alignment: hasAtt ? al : nil))
            }
        }
        return out
    }
}
