// Reranking the beam's n-best list with further models (nmt-translate --rescore MODEL[:w]),
// for example one trained right to left (nmt-train --reverse-target), as Marian's and
// fairseq's rescoring do. Every hypothesis of the beam (the whole beam is kept as the n-best
// list when rescorers are set) gets
//
//   score = beam score + Σ_r w_r · log P_r(y | x) / lp(|y| + 1)
//
// with the beam's own GNMT length penalty lp, so a rescorer's term is on the beam score's
// scale; the list is sorted by it and cut to --n-best. Rescorers read the same source and
// target vocabularies (subword models included) as the translator.

import NMTDecode
import NMTMetrics

public struct Rescorer {
    public let translator: Translator
    public let weight: Float
    public let name: String

    public init(translator: Translator, weight: Float, name: String) {
        self.translator = translator; self.weight = weight; self.name = name
    }
}

public enum RescoreError: Error, CustomStringConvertible, Equatable {
    case vocabularyMismatch(rescorer: String, role: String)
    case badSpec(String)
    public var description: String {
        switch self {
        case let .vocabularyMismatch(r, role):
            return "--rescore \(r): its \(role) vocabulary (or subword model) is not the translating model's"
        case .badSpec(let s): return "--rescore \(s): expected MODEL or MODEL:WEIGHT (a number)"
        }
    }

    /// `MODEL[:WEIGHT]` (RescorerRef.parse), or badSpec.
    public static func parse(_ spec: String) throws -> (path: String, weight: Float) {
        guard let r = RescorerRef.parse(spec) else { throw RescoreError.badSpec(spec) }
        return (r.model, r.weight)
    }
}

extension Translator {
    /// Adds a rescorer: checked to read the same vocabularies.
    public func addRescorer(_ r: Rescorer) throws {
        for (role, a, b) in [("source", sourceVocab, r.translator.sourceVocab), ("target", targetVocab, r.translator.targetVocab)]
        where a.contentHash != b.contentHash {
            throw RescoreError.vocabularyMismatch(rescorer: r.name, role: role)
        }
        rescorers.append(r)
    }

    /// Loads each of `refs` (a model or training directory, or an ensemble directory's
    /// members) as a rescorer with this translator's options (the whole vocabulary).
    public func addRescorers(_ refs: [RescorerRef]) throws {
        for r in refs {
            let members = try ModelDirectory.loadMembers(r.model, as: Seq2Seq.self)
            var o = options
            o.shortlist = 0
            try addRescorer(Rescorer(translator: try Translator(ensemble: members, options: o), weight: r.weight, name: r.model))
        }
    }

    /// Per rescorer, log P_r(target | source) / lp(|target| + 1) of each pair (targets left to
    /// right), with this translator's length penalty: the rescorer's term before its weight.
    func rescorerScores(_ rs: [Rescorer], sources: [[Int32]], targets: [[Int32]]) -> [[Float]] {
        let alpha = options.lengthPenalty
        return rs.map { r in
            r.translator.score(sourceIds: sources, targetIds: targets).enumerated().map { i, s in
                Float(s.logProb) / gnmtLengthPenalty(length: targets[i].count + 1, alpha: alpha)
            }
        }
    }

    /// The n-best lists `lists` (tokens in this translator's model order) of `sources`,
    /// rescored, sorted and cut to `keep`.
    func rerank(_ lists: [[Hypothesis]], sources: [[Int32]], keep: Int) -> [[Hypothesis]] {
        var flatSources: [[Int32]] = [], flatTargets: [[Int32]] = []
        for (k, list) in lists.enumerated() {
            for h in list {
                flatSources.append(sources[k])
                flatTargets.append(leftToRight(h.tokens))
            }
        }
        var extra = [Float](repeating: 0, count: flatTargets.count)
        // A rescorer at weight 0 (a grid's choice) changes nothing: it is not run.
        let active = rescorers.filter { $0.weight != 0 }
        for (r, scores) in zip(active, rescorerScores(active, sources: flatSources, targets: flatTargets)) {
            for i in scores.indices { extra[i] += r.weight * scores[i] }
        }
        var out: [[Hypothesis]] = []
        var i = 0
        for list in lists {
            var rescored = list
            for j in rescored.indices { rescored[j].score += extra[i]; i += 1 }
            let order = rescored.indices.sorted { rescored[$0].score != rescored[$1].score ? rescored[$0].score > rescored[$1].score : $0 < $1 }
            out.append(order.prefix(keep).map { rescored[$0] })
        }
        return out
    }
}

/// One hypothesis of a beam with its parts of the reranking score.
public struct RescoreCandidate: Sendable, Equatable {
    public var text: String
    public var beamScore: Float
    /// Per rescorer: log P_r(y | x) / lp(|y| + 1), before its weight.
    public var rescorerScores: [Float]

    public func score(weights: [Float]) -> Float {
        zip(weights, rescorerScores).reduce(beamScore) { $0 + $1.0 * $1.1 }
    }
}

extension Translator {
    /// The whole beam of each line, every rescorer's score beside the beam's (weights not
    /// applied): what --tune-rescore searches over, decoding once.
    public func rescoreCandidates(_ lines: [String]) -> [[RescoreCandidate]] {
        let savedRescorers = rescorers, savedOptions = options
        defer { rescorers = savedRescorers; options = savedOptions }
        rescorers = []
        options.nBest = options.effectiveBeam
        options.mbr = 0   // the beam in its own order: the tuning applies weights, then MBR
        let translations = translate(lines)
        var flatSources: [[Int32]] = [], flatTargets: [[Int32]] = []
        for (line, t) in zip(lines, translations) {
            let ids = prepareSource(line).ids
            for h in t.nBest { flatSources.append(ids); flatTargets.append(h.ids) }
        }
        let perRescorer = rescorerScores(savedRescorers, sources: flatSources, targets: flatTargets)
        var out: [[RescoreCandidate]] = []
        var i = 0
        for t in translations {
            out.append(t.nBest.map { h in
                defer { i += 1 }
                return RescoreCandidate(text: h.text, beamScore: h.score, rescorerScores: perRescorer.map { $0[i] })
            })
        }
        return out
    }
}

public enum RescoreTuning {
    public struct Trial: Sendable, Equatable {
        public var weights: [Float]
        /// The MBR scale (0: off, the best combined score).
        public var mbr: Float
        public var bleu: Double
    }

    /// The grid tried by default for each rescorer's weight.
    public static let defaultGrid: [Float] = [0, 0.25, 0.5, 0.75, 1, 1.5, 2]

    /// Every combination of `grid` values, one per rescorer (none: the beam's own scores), with
    /// every MBR scale of `mbrGrid`, scored by the corpus BLEU of the candidates it picks against
    /// `references`. The choice is the highest BLEU; a tie goes to the earlier combination
    /// (smaller weights first, then the earlier scale).
    public static func tune(_ candidates: [[RescoreCandidate]], references: [String], rescorers: Int,
                            grid: [Float], mbrGrid: [Float] = [0]) -> (best: Trial, trials: [Trial]) {
        precondition(candidates.count == references.count && rescorers >= 0 && !grid.isEmpty && !mbrGrid.isEmpty)
        var combos: [[Float]] = [[]]
        for _ in 0 ..< rescorers { combos = combos.flatMap { c in grid.map { c + [$0] } } }
        // Sentence BLEU between the hypotheses does not depend on the weights: once per line.
        let utilities = mbrGrid.contains { $0 > 0 } ? candidates.map { pairwiseSentenceBLEU($0.map(\.text)) } : []
        var trials: [Trial] = []
        for w in combos {
            for scale in mbrGrid {
                let picked = candidates.enumerated().map { k, list -> String in
                    guard !list.isEmpty else { return "" }
                    let scores = list.map { $0.score(weights: w) }
                    if scale > 0 && list.count > 1 {
                        return list[MinimumBayesRisk.order(utility: utilities[k], scores: scores, scale: scale)[0]].text
                    }
                    var best = 0
                    for i in scores.indices where scores[i] > scores[best] { best = i }
                    return list[best].text
                }
                trials.append(Trial(weights: w, mbr: scale, bleu: corpusBLEU(hypotheses: picked, references: [references]).score))
            }
        }
        var best = trials[0]
        for t in trials.dropFirst() where t.bleu > best.bleu { best = t }
        return (best, trials)
    }
}
