// Training the fill model: monolingual data in the shared TrainingLoop (seeded batch order, NaN
// guard, clipping, Adam, periodic logs, validation perplexity, learning-rate halving, early
// stopping, budgets, atomic best/ and last/ checkpoints, exact resume). Validation keeps the
// model with the lowest perplexity over every word of the validation sentences (each word
// predicted from both sides, or from the left for a left-only model).

import Foundation
import NMTModel
import NMTTensor
import NMTText

/// Tokenized sentences of one language, as ids (no <s>/</s>).
public struct MonolingualData: Sendable {
    public var sentences: [[Int32]] = []
    public var droppedEmpty = 0
    public var droppedLong = 0
    public var skippedInvalid = 0
    public var tokens = 0
    public var unknown = 0
    public init() {}

    public var summary: String {
        "\(sentences.count) sentences, \(tokens) tokens (\(unknown) unknown); dropped \(droppedEmpty) empty, "
            + "\(droppedLong) longer than the limit; skipped \(skippedInvalid) with invalid UTF-8"
    }

    /// Reads each file (plain or .gz) line by line; `maxLength` 0 = no limit.
    public static func load(paths: [String], vocab: Vocabulary, maxLength: Int, skipInvalidUTF8: Bool = false) throws -> MonolingualData {
        let tok = try vocab.makeTokenizer()
        var data = MonolingualData()
        for path in paths {
            let reader = try LineReader(path: path, skipInvalidUTF8: skipInvalidUTF8)
            defer { reader.close() }
            while let line = try reader.next() {
                let ids = vocab.encode(tok.tokenize(line.text))
                if ids.isEmpty { data.droppedEmpty += 1; continue }
                if maxLength > 0 && ids.count > maxLength { data.droppedLong += 1; continue }
                data.sentences.append(ids)
                data.tokens += ids.count
                data.unknown += ids.lazy.filter { $0 == Vocabulary.unkID }.count
            }
            data.skippedInvalid += reader.skippedLineCount
        }
        return data
    }

    /// Batches of about `batchTokens` padded tokens, in a seeded order (Batcher's plan).
    func batcher(batchTokens: Int) -> Batcher {
        Batcher(pairs: sentences.map { SentencePair(source: $0 + [0, 0], target: $0 + [0]) }, batchTokens: batchTokens)
    }

    /// The batch of these sentences, longest first.
    func batch(_ indices: [Int]) -> FillBatch {
        let ordered = indices.enumerated().sorted {
            let a = sentences[$0.element].count, b = sentences[$1.element].count
            return a != b ? a > b : $0.offset < $1.offset
        }.map(\.element)
        return FillBatch(sentences: ordered.map { sentences[$0] })
    }
}

public final class FillTrainer: TrainingLoop {
    public let model: FillModel
    public let vocab: Vocabulary
    public let corpus: [String]

    let data: MonolingualData
    let valid: MonolingualData?

    public init(model: FillModel, vocab: Vocabulary, corpus: [String], train: MonolingualData, valid: MonolingualData?,
                options: TrainerOptions, outputDir: String, state: TrainingState? = nil) throws {
        self.model = model
        self.vocab = vocab
        self.corpus = corpus
        self.data = train
        self.valid = valid
        try super.init(arena: model.arena, batcher: train.batcher(batchTokens: options.batchTokens),
                       options: options, outputDir: outputDir, state: state)
    }

    override func trainStep(_ indices: [Int], rng: inout RNG) -> LossResult {
        model.trainStep(data.batch(indices), rng: &rng)
    }

    override func save(name: String, state: TrainingState?) throws {
        try FillCheckpoint.saveModel(model, vocab: vocab, corpus: corpus, dir: outputDir, name: name, state: state)
    }

    /// Perplexity of every word of `data` (no dropout).
    public static func perplexity(_ model: FillModel, _ data: MonolingualData, batchTokens: Int) -> Double {
        var nll = 0.0, tokens = 0
        let b = data.batcher(batchTokens: batchTokens)
        for indices in b.epochPlan(seed: 0, epoch: 0) {
            let r = model.evaluate(data.batch(indices))
            nll += r.nll
            tokens += r.tokens
        }
        return exp(nll / Double(max(tokens, 1)))
    }

    /// The validation perplexity; best/ keeps the lowest.
    override func measure() -> ValidationResult? {
        guard let valid else { return nil }
        let ppl = FillTrainer.perplexity(model, valid, batchTokens: options.batchTokens)
        return ValidationResult(score: -ppl, fields: ["ppl": ppl, "nll": Foundation.log(ppl)],
                                text: String(format: "fill ppl %.2f", ppl))
    }
}
