// How translations are written, line for line with the input: the best hypothesis, or with
// n-best 'i ||| hypothesis ||| score' lines; ' ||| src-tgt …' alignment links; one SVG
// attention picture per sentence; and sentence-pair scores for --score.

import Foundation
import NMTText

/// Writes translations in order, numbering sentences across calls (0-based, as n-best lists are).
public struct TranslationWriter {
    public var nBest: Bool
    public var alignments: Bool
    /// Directory for one `<i>.svg` attention picture per sentence (nil: none).
    public var attentionDirectory: String?
    /// Keep every best hypothesis in `hypotheses` (to score the output against references).
    public var keepHypotheses: Bool
    public private(set) var sentences = 0
    public private(set) var hypotheses: [String] = []

    public init(nBest: Bool, alignments: Bool, attentionDirectory: String?, keepHypotheses: Bool) {
        self.nBest = nBest; self.alignments = alignments
        self.attentionDirectory = attentionDirectory; self.keepHypotheses = keepHypotheses
    }

    public mutating func write(_ results: [Translation], to w: BufferedWriter) throws {
        for (k, t) in results.enumerated() {
            let i = sentences + k
            if nBest {
                for h in t.nBest {
                    var line = "\(i) ||| \(h.text) ||| \(Self.f4(Double(h.score)))"
                    if alignments { line += " ||| " + Self.links(h.alignment) }
                    try w.write(line + "\n")
                }
            } else {
                var line = t.text
                if alignments { line += " ||| " + Self.links(t.alignment) }
                try w.write(line + "\n")
            }
            if keepHypotheses { hypotheses.append(t.text) }
            if let dir = attentionDirectory, let a = t.attention {
                let svg = attentionSVG(sourceTokens: t.sourceTokens, targetTokens: t.tokens, weights: a)
                try AtomicFile.write(string: svg, to: "\(dir)/\(i).svg", force: true)
            }
        }
        sentences += results.count
    }

    static func links(_ a: [AlignmentLink]?) -> String {
        (a ?? []).map { "\($0.source)-\($0.target)" }.joined(separator: " ")
    }

    static func f4(_ x: Double) -> String { String(format: "%.4f", x) }
}

/// Totals of a --score run.
public struct PairScoreTotals: Sendable, Equatable {
    public var pairs = 0
    public var logProb = 0.0
    public var tokens = 0
    public init() {}
    public var perplexity: Double { exp(-logProb / Double(max(tokens, 1))) }
}

extension Translator {
    /// Scores aligned sentence pairs in chunks, writing 'logprob<TAB>perplexity' per pair.
    public func writeScores(sources: [String], targets: [String], to w: BufferedWriter,
                            chunk: Int = 1024) throws -> PairScoreTotals {
        precondition(sources.count == targets.count, "score: \(sources.count) sources, \(targets.count) targets")
        var totals = PairScoreTotals()
        var i = 0
        while i < sources.count {
            let j = min(i + chunk, sources.count)
            for s in try score(sources: Array(sources[i..<j]), targets: Array(targets[i..<j])) {
                try w.write("\(TranslationWriter.f4(s.logProb))\t\(TranslationWriter.f4(s.perplexity))\n")
                totals.logProb += s.logProb
                totals.tokens += s.tokens
            }
            i = j
        }
        totals.pairs = sources.count
        return totals
    }
}
