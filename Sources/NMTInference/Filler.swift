// Filling blanks with a trained fill model, and the masked-word evaluation of nmt-fill --eval.
//
// Blanks: `___` (three or more underscores) or `<mask>`. The line is tokenized with the model's
// tokenizer (a blank becomes one token, joined to its neighbours as any word would be) and each
// blank's input id is <mask>.
//
// Several blanks are filled JOINTLY BY ITERATIVE REFINEMENT: round 0 predicts every blank with
// all blanks read as <mask> (the model is trained with random <mask> inputs, so it knows how to
// read one); each following round re-predicts every blank with the other blanks filled by their
// current best word (one batched forward per round: a position's prediction never reads its own
// input); it stops when no best word changes, after at most `maxRounds` rounds. The candidates
// and probabilities printed are those of the last round. With one blank there is one round.

import Foundation
import NMTModel
import NMTTensor
import NMTText

public enum FillError: Error, CustomStringConvertible, Equatable {
    case noBlank(line: Int)
    case choiceNotOneToken(String)
    case emptyChoices
    case subwordVocabulary

    public var description: String {
        switch self {
        case .noBlank(let n): return "line \(n): no blank (___ or <mask>) in the sentence; line kept as it is"
        case .choiceNotOneToken(let c): return "choice \"\(c)\" is not a single token for this model's tokenizer"
        case .emptyChoices: return "--choices needs at least one word (separated by |)"
        case .subwordVocabulary: return "fill models read whole words: this model's vocabulary is a subword vocabulary (train it with a word vocabulary)"
        }
    }
}

public struct FillCandidate: Sendable, Equatable {
    public var word: String          // surface form (joiner removed)
    public var id: Int32
    public var probability: Double
    public var inVocabulary: Bool
}

public struct FilledBlank: Sendable {
    public var tokenIndex: Int       // index of the blank among the line's tokens
    public var candidates: [FillCandidate]
}

public struct FillResult: Sendable {
    public var tokens: [String]      // the tokenized line, blanks as "___"
    public var blanks: [FilledBlank]
    public var rounds: Int
    /// The line with each blank replaced by its best candidate (detokenized).
    public var filled: String
    /// The same with the filled words in [brackets].
    public var marked: String
}

/// A tokenized line with its blanks located.
public struct ParsedFillLine: Sendable, Equatable {
    public var tokens: [String]
    public var ids: [Int32]          // blanks are <mask>
    public var blanks: [Int]         // token indices of the blanks
}

public final class Filler {
    public let model: FillModel
    public let vocab: Vocabulary
    public let tokenizer: Tokenizer
    public var maxRounds = 3
    public let joiner: String

    /// A blank is one word and the model predicts one vocabulary entry per blank, so the
    /// vocabulary must hold words: a subword vocabulary is refused.
    public init(model: FillModel, vocab: Vocabulary) throws {
        guard vocab.subwords == nil else { throw FillError.subwordVocabulary }
        self.model = model
        self.vocab = vocab
        tokenizer = try vocab.makeTokenizer()
        joiner = vocab.settings.joiner
    }

    public convenience init(_ loaded: LoadedModel<FillModel>) throws { try self.init(model: loaded.model, vocab: loaded.vocab) }

    static let firstWordID = Int32(SpecialIds.count)    // ids below are the specials

    /// Normalises blank markers: `<mask>` and runs of 3+ underscores become ` ___ `-like single
    /// tokens (a space is added only where the blank touches a letter or digit, so that
    /// punctuation keeps its usual joiner).
    public static func normalizeBlanks(_ line: String) -> String {
        let chars = Array(line.replacingOccurrences(of: "<mask>", with: "___"))
        var out = ""
        var i = 0
        while i < chars.count {
            if chars[i] == "_" {
                var j = i
                while j < chars.count && chars[j] == "_" { j += 1 }
                if j - i >= 3 {
                    if let last = out.last, last.isLetter || last.isNumber { out.append(" ") }
                    out += "___"
                    if j < chars.count && (chars[j].isLetter || chars[j].isNumber) { out.append(" ") }
                } else {
                    out += String(chars[i..<j])
                }
                i = j
            } else {
                out.append(chars[i])
                i += 1
            }
        }
        return out
    }

    public func stripJoiner(_ token: String) -> String {
        BPEModel.splitJoiner(token, joiner).word
    }

    public func parse(_ line: String) -> ParsedFillLine {
        let tokens = tokenizer.tokenize(Self.normalizeBlanks(line))
        var ids: [Int32] = [], blanks: [Int] = []
        for (i, t) in tokens.enumerated() {
            if stripJoiner(t) == "___" {
                blanks.append(i)
                ids.append(SpecialIds.mask)
            } else {
                ids.append(vocab.id(for: t))
            }
        }
        return ParsedFillLine(tokens: tokens, ids: ids, blanks: blanks)
    }

    /// Fills the blanks of `line` (line number for messages). `choices`: rank only these words.
    public func fill(_ line: String, lineNumber: Int = 1, topK: Int = 5, choices: [String]? = nil) throws -> FillResult {
        let p = parse(line)
        guard !p.blanks.isEmpty else { throw FillError.noBlank(line: lineNumber) }
        let choiceIDs = try choices.map { try resolveChoices($0) }
        var ids = p.ids
        var best = [Int32](repeating: -1, count: p.blanks.count)
        var logp: [Float] = []
        var rounds = 0
        let V = vocab.count
        while true {
            rounds += 1
            logp = model.logProbabilities(FillBatch(sentences: [ids], positions: [p.blanks]))
            var changed = false
            for (j, k) in p.blanks.enumerated() {
                let row = Array(logp[(j * V)..<((j + 1) * V)])
                let top: Int32
                if let choiceIDs {
                    top = choiceIDs.filter { $0.inVocabulary }.max { row[Int($0.id)] < row[Int($1.id)] }?.id ?? SpecialIds.mask
                } else {
                    top = Self.topK(row, 1)[0]
                }
                if top != best[j] { changed = true }
                best[j] = top
                ids[k] = top
            }
            if p.blanks.count == 1 || !changed || rounds >= maxRounds { break }
        }
        var blanks: [FilledBlank] = []
        var outTokens = p.tokens
        var markedTokens = p.tokens
        for (j, k) in p.blanks.enumerated() {
            let row = Array(logp[(j * V)..<((j + 1) * V)])
            var cands: [FillCandidate]
            if let choiceIDs {
                cands = choiceIDs.map {
                    FillCandidate(word: $0.word, id: $0.id, probability: $0.inVocabulary ? Double(exp(row[Int($0.id)])) : 0,
                                  inVocabulary: $0.inVocabulary)
                }
                cands.sort { $0.probability > $1.probability }
            } else {
                cands = Self.topK(row, topK).map {
                    FillCandidate(word: stripJoiner(vocab.token(for: $0)), id: $0, probability: Double(exp(row[Int($0)])), inVocabulary: true)
                }
            }
            blanks.append(FilledBlank(tokenIndex: k, candidates: cands))
            let glued = p.tokens[k].hasPrefix(joiner) && p.tokens[k].count > 1
            let word = cands.first.map { $0.word } ?? "___"
            outTokens[k] = (glued ? joiner : "") + word
            markedTokens[k] = (glued ? joiner : "") + "[" + word + "]"
        }
        return FillResult(tokens: p.tokens.enumerated().map { p.blanks.contains($0.offset) ? "___" : $0.element },
                          blanks: blanks, rounds: rounds, filled: tokenizer.detokenize(outTokens),
                          marked: tokenizer.detokenize(markedTokens))
    }

    struct Choice { var word: String; var id: Int32; var inVocabulary: Bool }

    func resolveChoices(_ words: [String]) throws -> [Choice] {
        let ws = words.map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        guard !ws.isEmpty else { throw FillError.emptyChoices }
        return try ws.map { w in
            let toks = tokenizer.tokenize(w)
            guard toks.count == 1 else { throw FillError.choiceNotOneToken(w) }
            if let id = vocab.lookup(toks[0]), id >= Self.firstWordID { return Choice(word: w, id: id, inVocabulary: true) }
            return Choice(word: w, id: SpecialIds.unk, inVocabulary: false)
        }
    }

    /// The k highest-scoring word ids (specials excluded), best first; ties by lower id.
    public static func topK(_ row: [Float], _ k: Int) -> [Int32] {
        var heap: [(Float, Int32)] = []
        for v in Int(firstWordID)..<row.count {
            let s = row[v]
            if heap.count < k {
                heap.append((s, Int32(v)))
                heap.sort { $0.0 > $1.0 || ($0.0 == $1.0 && $0.1 < $1.1) }
            } else if s > heap[k - 1].0 {
                heap[k - 1] = (s, Int32(v))
                heap.sort { $0.0 > $1.0 || ($0.0 == $1.0 && $0.1 < $1.1) }
            }
        }
        return heap.map(\.1)
    }
}

// MARK: - Evaluation

/// One masked word of the evaluation set.
public struct MaskedItem: Sendable, Equatable {
    public var sentence: [Int32]     // ids, the masked word still in place
    public var position: Int
    public var gold: Int32 { sentence[position] }
}

public struct RankStats: Sendable, Equatable {
    public var count = 0
    public var top1 = 0
    public var top5 = 0
    public var reciprocalRankSum = 0.0
    public init() {}
    public var top1Accuracy: Double { Double(top1) / Double(max(count, 1)) }
    public var top5Accuracy: Double { Double(top5) / Double(max(count, 1)) }
    public var mrr: Double { reciprocalRankSum / Double(max(count, 1)) }

    /// Adds one item given every candidate's score (indexed by id); the gold's rank among the
    /// word ids (specials excluded), ties broken by id. A gold that is <unk> is a miss.
    public mutating func add(scores: (Int) -> Double, gold: Int32, vocabSize: Int) {
        count += 1
        guard gold >= Filler.firstWordID else { return }
        let g = scores(Int(gold))
        var rank = 1
        for v in Int(Filler.firstWordID)..<vocabSize where v != Int(gold) {
            let s = scores(v)
            if s > g || (s == g && v < Int(gold)) { rank += 1 }
        }
        if rank == 1 { top1 += 1 }
        if rank <= 5 { top5 += 1 }
        reciprocalRankSum += 1 / Double(rank)
    }
}

public enum FillEvaluation {
    /// A word token: after removing the joiner it holds at least one letter or digit.
    public static func isWord(_ token: String, joiner: String) -> Bool {
        let body = token.hasPrefix(joiner) ? token.dropFirst(joiner.count) : token[...]
        return body.contains { $0.isLetter || $0.isNumber }
    }

    /// Masks one word per sentence, chosen with a generator seeded by `seed` (one draw per
    /// sentence that has a word; sentences without one are skipped).
    public static func makeMasks(tokens: [[String]], vocab: Vocabulary, seed: UInt64) -> [MaskedItem] {
        var rng = RNG(seed: seed)
        var items: [MaskedItem] = []
        let joiner = vocab.settings.joiner
        for toks in tokens {
            let words = toks.indices.filter { isWord(toks[$0], joiner: joiner) }
            guard !words.isEmpty else { continue }
            let k = words[rng.int(below: words.count)]
            items.append(MaskedItem(sentence: vocab.encode(toks), position: k))
        }
        return items
    }

    /// Reads and tokenizes an evaluation file (plain or .gz).
    public static func loadTokens(path: String, vocab: Vocabulary, skipInvalidUTF8: Bool = false) throws -> [[String]] {
        let tok = try vocab.makeTokenizer()
        let reader = try LineReader(path: path, skipInvalidUTF8: skipInvalidUTF8)
        defer { reader.close() }
        var out: [[String]] = []
        while let line = try reader.next() { out.append(tok.tokenize(line.text)) }
        return out
    }

    /// A neural fill model (both-sides or left-only) on the items: the masked word's input is <mask>.
    public static func evaluate(_ model: FillModel, items: [MaskedItem], batchSize: Int = 64) -> RankStats {
        var stats = RankStats()
        let V = model.config.vocab
        var i = 0
        while i < items.count {
            let chunk = Array(items[i..<min(i + batchSize, items.count)])
            let order = chunk.indices.sorted { chunk[$0].sentence.count > chunk[$1].sentence.count }
            let sentences = order.map { j -> [Int32] in
                var s = chunk[j].sentence
                s[chunk[j].position] = SpecialIds.mask
                return s
            }
            let lp = model.logProbabilities(FillBatch(sentences: sentences, positions: order.map { [chunk[$0].position] }))
            for (r, j) in order.enumerated() {
                lp.withUnsafeBufferPointer { p in
                    let base = p.baseAddress! + r * V
                    stats.add(scores: { Double(base[$0]) }, gold: chunk[j].gold, vocabSize: V)
                }
            }
            i += batchSize
        }
        return stats
    }

    public static func evaluate(_ ngram: NGramModel, items: [MaskedItem], bothSides: Bool) -> RankStats {
        var stats = RankStats()
        let V = ngram.vocabSize
        let candidates = (0..<Int32(V)).map { $0 }
        for it in items {
            let s = ngram.scores(sentence: it.sentence, at: it.position, candidates: candidates, bothSides: bothSides)
            stats.add(scores: { s[$0] }, gold: it.gold, vocabSize: V)
        }
        return stats
    }

    /// The unigram-frequency baseline: every blank gets the corpus's most frequent words.
    public static func evaluateUnigram(_ ngram: NGramModel, items: [MaskedItem]) -> RankStats {
        var stats = RankStats()
        let f = ngram.frequency
        for it in items { stats.add(scores: { Double(f[$0]) }, gold: it.gold, vocabSize: ngram.vocabSize) }
        return stats
    }
}
