// Scoring text with a language model: per line the natural-log probability of its tokens and of
// the end of the sentence, the token count (words + </s>; with a subword vocabulary, pieces +
// </s>), the words outside the vocabulary (scored as <unk>) and the perplexity; and the corpus
// perplexity over all scored lines. An empty line has no tokens and no score.

import Foundation
import NMTLayers
import NMTModel
import NMTStore
import NMTText

public struct LineScore: Sendable, Equatable {
    /// Σ ln p over the line's tokens and </s>.
    public var logProbability: Double
    /// Tokens scored: the line's tokens + 1 (</s>).
    public var tokens: Int
    /// Tokens outside the vocabulary (scored as <unk>).
    public var unknown: Int
    public var perplexity: Double { exp(-logProbability / Double(max(tokens, 1))) }
}

/// Running corpus totals.
public struct CorpusScore: Sendable, Equatable {
    public var logProbability = 0.0
    public var tokens = 0
    public var lines = 0
    public init() {}
    public mutating func add(_ s: LineScore) { logProbability += s.logProbability; tokens += s.tokens; lines += 1 }
    public var perplexity: Double { exp(-logProbability / Double(max(tokens, 1))) }
}

/// Scores lines of text: one score per line, nil for a line without tokens.
public protocol LineScoring {
    func score(_ lines: [String]) -> [LineScore?]
}

/// The Kneser–Ney trigram baseline over the same vocabulary and tokens as a language model.
public final class TrigramScorer: LineScoring {
    public let ngram: NGramModel
    public let vocab: Vocabulary
    let tokenizer: Tokenizer

    /// Counts the trigrams of `corpus` (tokenized and mapped with `vocab`, as the model's training data).
    public init(corpus: [String], vocab: Vocabulary, skipInvalidUTF8: Bool = false) throws {
        self.vocab = vocab
        tokenizer = try vocab.makeTokenizer()
        let data = try MonolingualData.load(paths: corpus, vocab: vocab, maxLength: 0, skipInvalidUTF8: skipInvalidUTF8)
        ngram = NGramModel(sentences: data.sentences, vocabSize: vocab.count)
    }

    public func score(_ lines: [String]) -> [LineScore?] {
        lines.map { line in
            let ids = vocab.encode(tokenizer.tokenize(line))
            if ids.isEmpty { return nil }
            return LineScore(logProbability: ngram.logProbability(sentence: ids), tokens: ids.count + 1,
                             unknown: ids.lazy.filter { $0 == SpecialIds.unk }.count)
        }
    }
}

public final class LMScorer: LineScoring {
    public let model: LanguageModel
    public let vocab: Vocabulary
    let tokenizer: Tokenizer

    public init(model: LanguageModel, vocab: Vocabulary) throws {
        self.model = model
        self.vocab = vocab
        tokenizer = try vocab.makeTokenizer()
    }

    public convenience init(_ loaded: LoadedModel<LanguageModel>) throws {
        try self.init(model: loaded.model, vocab: loaded.vocab)
    }

    /// One score per line, in order; nil for a line without tokens (empty or only spaces).
    public func score(_ lines: [String]) -> [LineScore?] {
        let ids = lines.map { vocab.encode(tokenizer.tokenize($0)) }
        var results = [LineScore?](repeating: nil, count: lines.count)
        // Longest first (the recurrent loop then runs on the active prefix), in batches.
        let order = ids.indices.filter { !ids[$0].isEmpty }.sorted { ids[$0].count > ids[$1].count }
        var start = 0
        while start < order.count {
            let end = min(order.count, start + 64)
            let chunk = Array(order[start..<end])
            let batch = LMBatch(sentences: chunk.map { ids[$0] })
            let lp = model.tokenLogProbabilities(batch)
            let B = batch.size
            for (b, i) in chunk.enumerated() {
                var sum = 0.0
                for t in 0..<batch.lengths[b] { sum += lp[t * B + b] }
                results[i] = LineScore(logProbability: sum, tokens: batch.lengths[b],
                                       unknown: ids[i].lazy.filter { $0 == SpecialIds.unk }.count)
            }
            start = end
        }
        return results
    }
}
