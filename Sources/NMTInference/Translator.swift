// Text in, text out: tokenize with the source vocabulary's settings, map to ids, sort by
// length, batch, beam search (or greedy) over a `Seq2SeqScorer`, restore input order,
// detokenize with the target vocabulary's joiner. Used by nmt-translate and by the trainer
// (validation BLEU).
//
//   lines ─ Tokenizer ─ Vocabulary.encode (unknown → <unk>, cut to maxSourceLength)
//         ─ sort by source length ─ batches of batchSize sentences
//         ─ Seq2SeqScorer.encode ─ BeamSearch.decode ─ [--replace-unk] ─ Detokenizer ─ Translation
// With several models (an ensemble) the search runs over an EnsembleScorer of one
// Seq2SeqScorer per model.

import Foundation
import NMTDecode
import NMTModel
import NMTTensor
import NMTText

/// Decoding options of a `Translator`.
public struct TranslateOptions: Sendable, Equatable {
    /// Beam size K; 1 (or `greedy`) takes the greedy fast path.
    public var beamSize: Int = 5
    /// Greedy decoding (argmax per step), whatever `beamSize` says.
    public var greedy: Bool = false
    /// α of the GNMT length penalty ((5 + |y|) / 6)^α; 0 ranks by raw log-probability.
    public var lengthPenalty: Float = 0.6
    /// Maximum output length: Int(maxLenRatio · source tokens) + maxLenConstant (EOS is forced there).
    public var maxLenRatio: Float = 2
    public var maxLenConstant: Int = 10
    /// EOS is not allowed before this many output tokens.
    public var minLen: Int = 0
    /// Hypotheses returned per sentence (≤ beam size) in `Translation.nBest`.
    public var nBest: Int = 1
    /// Replace each output <unk> with the source token of highest attention at that step.
    public var replaceUnk: Bool = false
    /// Fill `Translation.alignment` (source-target pairs from the attention argmax).
    public var alignments: Bool = false
    /// Fill `Translation.attention` (the best hypothesis's full attention matrix; one extra
    /// forced-decoding pass per batch).
    public var attentionMatrix: Bool = false
    /// Sentences decoded together (one `step` per target position scores all their rows).
    public var batchSize: Int = 64
    /// Longer sources are cut to this many tokens (with a warning in `Translation.warnings`).
    public var maxSourceLength: Int = 200
    /// Score only this many of the most frequent target words at each step (0: all); a speed
    /// option whose BLEU cost README states.
    public var shortlist: Int = 0
    /// Batches decoded at once, each on a thread of its own; they share BLASThreads.count threads
    /// out among them (one each on two cores with 2 workers). The batches, and so the
    /// translations, are the same for any number of workers.
    public var workers: Int = 1
    /// Minimum Bayes risk (MinimumBayesRisk.swift): output, from the whole beam (reranked when
    /// rescorers are set), the hypothesis of highest expected sentence BLEU against the others
    /// under softmax(mbr · score); the n-best list comes in that order. 0: off (best score first).
    public var mbr: Float = 0

    public init(beamSize: Int = 5, greedy: Bool = false, lengthPenalty: Float = 0.6, maxLenRatio: Float = 2,
                maxLenConstant: Int = 10, minLen: Int = 0, nBest: Int = 1, replaceUnk: Bool = false,
                alignments: Bool = false, attentionMatrix: Bool = false, batchSize: Int = 64,
                maxSourceLength: Int = 200, shortlist: Int = 0, workers: Int = 1, mbr: Float = 0) {
        self.beamSize = beamSize; self.greedy = greedy; self.lengthPenalty = lengthPenalty
        self.maxLenRatio = maxLenRatio; self.maxLenConstant = maxLenConstant; self.minLen = minLen
        self.nBest = nBest; self.replaceUnk = replaceUnk; self.alignments = alignments
        self.attentionMatrix = attentionMatrix; self.batchSize = batchSize; self.maxSourceLength = maxSourceLength
        self.shortlist = shortlist; self.workers = workers; self.mbr = mbr
    }

    /// The beam size actually used (1 when greedy).
    public var effectiveBeam: Int { greedy ? 1 : max(1, beamSize) }
}

/// A source-target token alignment link (0-based token indices).
public struct AlignmentLink: Sendable, Equatable, Hashable {
    public var source: Int
    public var target: Int
    public init(source: Int, target: Int) { self.source = source; self.target = target }
}

/// One hypothesis of a translation.
public struct TranslationHypothesis: Sendable, Equatable {
    /// Detokenized text.
    public var text: String
    /// Target tokens (after --replace-unk), without specials.
    public var tokens: [String]
    /// Target ids as generated (before --replace-unk), without <s>/</s>.
    public var ids: [Int32]
    /// Ranking score: logProb / lengthPenalty(|y| + 1).
    public var score: Float
    /// Σ log P of the tokens and the final </s>.
    public var logProb: Float
    /// Source-target links from the attention argmax (when alignments or replaceUnk are on).
    public var alignment: [AlignmentLink]?
}

/// The translation of one input line.
public struct Translation: Sendable, Equatable {
    /// Detokenized best hypothesis ("" for an empty line).
    public var text: String { best.text }
    public var tokens: [String] { best.tokens }
    public var ids: [Int32] { best.ids }
    public var score: Float { best.score }
    public var logProb: Float { best.logProb }
    public var alignment: [AlignmentLink]? { best.alignment }
    /// Source tokens the model saw (after cutting to maxSourceLength).
    public var sourceTokens: [String]
    /// The best hypothesis, then the others (up to `nBest`), best first.
    public var nBest: [TranslationHypothesis]
    /// Attention weights of the best hypothesis, [target token][source token] (with attentionMatrix).
    public var attention: [[Float]]?
    /// Things worth telling the user (e.g. the source was cut).
    public var warnings: [String]

    public var best: TranslationHypothesis { nBest[0] }

    static func empty(_ sourceTokens: [String] = [], warnings: [String] = []) -> Translation {
        Translation(sourceTokens: sourceTokens,
                    nBest: [TranslationHypothesis(text: "", tokens: [], ids: [], score: 0, logProb: 0,
                                                  alignment: []) ],
                    attention: nil, warnings: warnings)
    }
}

/// Forced-decoding score of one sentence pair.
public struct PairScore: Sendable, Equatable {
    /// Σ log P(y_t | y_<t, x) over the target tokens and </s>.
    public var logProb: Double
    /// Target tokens + 1 (</s>).
    public var tokens: Int
    /// exp(−logProb / tokens).
    public var perplexity: Double { exp(-logProb / Double(max(tokens, 1))) }
}

/// Translates lines of text with a `Seq2Seq`. Not thread-safe (it owns a tokenizer and the
/// scorer's buffers); it holds a reference to the model, so weights updated in place (training)
/// are used by the next call.
public final class Translator {
    /// The first model (alignments and attention come from it).
    public let model: Seq2Seq
    /// Every model of the ensemble, the first included (one without an ensemble).
    public let models: [Seq2Seq]
    public let sourceVocab: Vocabulary
    public let targetVocab: Vocabulary
    public var options: TranslateOptions

    private let tokenizer: Tokenizer
    private let detokenizer: Detokenizer
    let scorer: EnsembleScorer
    /// A right-to-left model (config.reverseTarget): its outputs are reversed back, given
    /// targets reversed before scoring. Everything outside speaks left to right.
    let reversed: Bool
    /// Models that rescore the n-best list (Reranker.swift); none by default.
    public internal(set) var rescorers: [Rescorer] = [] { didSet { workerTwins = [] } }
    /// Translators over the same models that decode batches beside this one when
    /// options.workers > 1 (BatchWorkers.swift), made at the first such call.
    var workerTwins: [Translator] = []

    /// Tokens in this translator's model order, left to right.
    func leftToRight(_ tokens: [Int32]) -> [Int32] { reversed ? tokens.reversed() : tokens }
    private let sourceJoiner: String
    /// With subwords on either side, the target tokenizer that groups output pieces into words:
    /// translations are then reported per word (WordAlignment.swift).
    private let targetTokenizer: Tokenizer?

    /// A translator for `model`, or for the ensemble of `model` and `ensemble` (models that read
    /// and write the same vocabularies; the caller checks that they are the same files).
    public init(model: Seq2Seq, sourceVocab: Vocabulary, targetVocab: Vocabulary, options: TranslateOptions = TranslateOptions(),
                ensemble: [Seq2Seq] = []) throws {
        for m in [model] + ensemble {
            precondition(m.config.sourceVocab == sourceVocab.count && m.config.targetVocab == targetVocab.count,
                         "Translator: vocabulary sizes \(sourceVocab.count)/\(targetVocab.count) do not match the model's \(m.config.sourceVocab)/\(m.config.targetVocab)")
            guard m.config.reverseTarget == model.config.reverseTarget else { throw EnsembleError.directionMismatch }
        }
        reversed = model.config.reverseTarget
        self.model = model
        models = [model] + ensemble
        self.sourceVocab = sourceVocab
        self.targetVocab = targetVocab
        self.options = options
        tokenizer = try sourceVocab.makeTokenizer()
        detokenizer = Detokenizer(joiner: targetVocab.settings.joiner)
        sourceJoiner = sourceVocab.settings.joiner
        targetTokenizer = sourceVocab.subwords != nil || targetVocab.subwords != nil ? try targetVocab.makeTokenizer() : nil
        scorer = EnsembleScorer(members: models.map { m in
            let s = Seq2SeqScorer(model: m)
            s.shortlist = options.shortlist
            return s
        })
    }

    /// Convenience: a translator for a loaded model directory.
    public convenience init(_ loaded: LoadedModel<Seq2Seq>, options: TranslateOptions = TranslateOptions()) throws {
        try self.init(model: loaded.model, sourceVocab: loaded.sourceVocab, targetVocab: loaded.targetVocab, options: options)
    }

    /// An ensemble of loaded model directories (the first one's vocabularies; every other must
    /// have the same source and target vocabularies, subword models included).
    public convenience init(ensemble loaded: [LoadedModel<Seq2Seq>], options: TranslateOptions = TranslateOptions()) throws {
        precondition(!loaded.isEmpty)
        let first = loaded[0]
        for other in loaded.dropFirst() {
            for (role, a, b) in [("source", first.sourceVocab, other.sourceVocab), ("target", first.targetVocab, other.targetVocab)]
            where a.contentHash != b.contentHash {
                throw EnsembleError.vocabularyMismatch(first: first.directory, other: other.directory, role: role)
            }
        }
        try self.init(model: first.model, sourceVocab: first.sourceVocab, targetVocab: first.targetVocab, options: options,
                      ensemble: loaded.dropFirst().map(\.model))
    }

    /// Source tokens and ids of a line (cut to maxSourceLength), and a warning if it was cut.
    /// With a subword vocabulary the tokens are the pieces the model reads.
    public func prepareSource(_ line: String) -> (tokens: [String], ids: [Int32], warning: String?) {
        let p = prepare(line)
        return (p.tokens, p.ids, p.warning)
    }

    func prepare(_ line: String) -> PreparedSource {
        var words = tokenizer.tokenize(line)
        var toks = words, pieceWord = Array(words.indices)
        if sourceVocab.subwords != nil {
            toks = []; pieceWord = []
            for (w, word) in words.enumerated() {
                for p in sourceVocab.pieces(of: word) { toks.append(p); pieceWord.append(w) }
            }
        }
        var warning: String?
        let limit = max(1, options.maxSourceLength)
        if toks.count > limit {
            warning = "source has \(toks.count) tokens, cut to \(limit)"
            toks.removeLast(toks.count - limit)
            pieceWord.removeLast(pieceWord.count - limit)
            words.removeLast(words.count - (pieceWord.last.map { $0 + 1 } ?? 0))
        }
        let ids = sourceVocab.subwords != nil ? sourceVocab.ids(ofPieces: toks) : sourceVocab.encode(toks)
        return PreparedSource(tokens: toks, ids: ids, warning: warning, words: words, pieceWord: pieceWord)
    }

    /// Translations of `lines`, in input order. An empty (or whitespace-only) line gives an
    /// empty translation without running the model.
    public func translate(_ lines: [String]) -> [Translation] {
        translate(prepared: lines.map { prepare($0) })
    }

    /// Translations of already tokenized sources (tokens as the model sees them).
    public func translate(tokenizedSources: [[String]]) -> [Translation] {
        translate(prepared: tokenizedSources.map { toks in
            let limit = max(1, options.maxSourceLength)
            let cut = Array(toks.prefix(limit))
            return PreparedSource(tokens: cut, ids: sourceVocab.encode(cut),
                                  warning: toks.count > limit ? "source has \(toks.count) tokens, cut to \(limit)" : nil,
                                  words: cut, pieceWord: Array(cut.indices))
        })
    }

    private func translate(prepared: [PreparedSource]) -> [Translation] {
        var results = [Translation?](repeating: nil, count: prepared.count)
        var order: [Int] = []
        for (i, p) in prepared.enumerated() {
            if p.ids.isEmpty {
                results[i] = .empty(p.words, warnings: p.warning.map { [$0] } ?? [])
            } else {
                order.append(i)
            }
        }
        // Longest first, stable: batches of similar lengths, little padding.
        order.sort { prepared[$0].ids.count != prepared[$1].ids.count ? prepared[$0].ids.count > prepared[$1].ids.count : $0 < $1 }
        let bs = max(1, options.batchSize)
        let batches = stride(from: 0, to: order.count, by: bs).map { Array(order[$0 ..< min($0 + bs, order.count)]) }
        // One batch after another here, or on options.workers threads (BatchWorkers.swift): the
        // batches are the same either way, and so is every translation.
        decode(batches, prepared: prepared, into: &results)
        return results.map { $0! }
    }

    /// The translations of the sentences `idx` of `prepared`, decoded as one batch.
    func translateBatch(_ idx: [Int], prepared: [PreparedSource]) -> [Translation] {
        let o = options
        let collect = o.alignments || o.replaceUnk
        let mbr = o.mbr > 0 && o.effectiveBeam > 1
        let keep = max(1, o.nBest)
        let search = BeamSearch(options: BeamSearchOptions(
            beamSize: o.effectiveBeam, nBest: rescorers.isEmpty && !mbr ? keep : o.effectiveBeam, lengthPenaltyAlpha: o.lengthPenalty,
            maxLenRatio: o.maxLenRatio, maxLenConstant: o.maxLenConstant, minLen: o.minLen,
            bos: SpecialIds.bos, eos: SpecialIds.eos, pad: SpecialIds.pad, unk: SpecialIds.unk,
            suppressPadAndBos: true, collectAlignments: collect))
        let sources = idx.map { prepared[$0].ids }
        scorer.encode(sources)
        var s = scorer
        var hyps = search.decode(&s, sourceLengths: sources.map(\.count))
        if !rescorers.isEmpty { hyps = rerank(hyps, sources: sources, keep: mbr ? o.effectiveBeam : keep) }
        var lists = idx.enumerated().map { k, i in hyps[k].map { hypothesis($0, sourceTokens: prepared[i].tokens) } }
        if mbr {
            for k in lists.indices where lists[k].count > 1 {
                let order = MinimumBayesRisk.order(texts: lists[k].map(\.text), scores: lists[k].map(\.score), scale: o.mbr).prefix(keep)
                lists[k] = order.map { lists[k][$0] }
                hyps[k] = order.map { hyps[k][$0] }
            }
        }
        var attention: [[[Float]]]?
        if o.attentionMatrix {
            attention = forced(sources: sources, targets: hyps.map { $0.first?.tokens ?? [] }, encoded: true,
                               collectAttention: true).attention
            if reversed { attention = attention?.map { $0.reversed() } }
        }
        return idx.enumerated().map { k, i in
            let p = prepared[i]
            let nb = lists[k]
            let t = Translation(sourceTokens: p.tokens, nBest: nb.isEmpty ? Translation.empty().nBest : nb,
                                attention: attention?[k], warnings: p.warning.map { [$0] } ?? [])
            return targetTokenizer.map { t.perWord(source: p, detokenizer: detokenizer, targetTokenizer: $0,
                                                   joiner: targetVocab.settings.joiner) } ?? t
        }
    }

    private func hypothesis(_ modelOrder: Hypothesis, sourceTokens: [String]) -> TranslationHypothesis {
        var h = modelOrder
        if reversed {
            h.tokens.reverse()
            h.alignment?.reverse()
        }
        var toks: [String] = []
        toks.reserveCapacity(h.tokens.count)
        var links: [AlignmentLink]? = h.alignment == nil ? nil : []
        for (j, id) in h.tokens.enumerated() {
            let a = h.alignment.map { Int($0[j]) }
            if let a { links!.append(AlignmentLink(source: a, target: j)) }
            if SpecialIds.isStructural(id) { continue }   // never generated, but be safe
            if id == SpecialIds.unk && options.replaceUnk, let a, a >= 0 && a < sourceTokens.count {
                toks.append(unjoined(sourceTokens[a]))
            } else {
                toks.append(targetVocab.token(for: id))
            }
        }
        return TranslationHypothesis(text: detokenizer.detokenize(toks), tokens: toks, ids: h.tokens,
                                     score: h.score, logProb: h.logProb,
                                     alignment: options.alignments || options.replaceUnk ? links : nil)
    }

    /// A source token copied into the output stands alone: its joiner mark (glue to the previous
    /// source token) says nothing about the target side. A lone joiner is a literal and stays.
    private func unjoined(_ token: String) -> String {
        BPEModel.splitJoiner(token, sourceJoiner).word
    }
}

public enum EnsembleError: Error, CustomStringConvertible, Equatable {
    case vocabularyMismatch(first: String, other: String, role: String)
    case directionMismatch
    public var description: String {
        switch self {
        case .directionMismatch:
            return "an ensemble cannot mix left-to-right and right-to-left (--reverse-target) models: rescore with the other direction (--rescore)"
        case let .vocabularyMismatch(first, other, role):
            return "\(other) cannot join an ensemble with \(first): their \(role) vocabularies (or subword models) differ"
        }
    }
}
