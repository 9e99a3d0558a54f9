// Training a model on monolingual sentences (the fill model, the language model) in the shared
// TrainingLoop (seeded batch order, NaN guard, clipping, Adam, periodic logs, learning-rate
// halving, early stopping, budgets, atomic best/ and last/ checkpoints, exact resume).
// Validation keeps the model with the lowest perplexity over the validation sentences (what each
// model predicts: every word from its context for the fill model, every word and </s> from the
// left for the language model). The model's config records the training corpus (nmt-fill
// --eval's and nmt-lm score --trigram's n-gram baselines count it).

import Foundation
import NMTLayers
import NMTModel
import NMTStore
import NMTTensor
import NMTText

/// A model that trains on batches of monolingual sentences.
public protocol MonolingualModel: StoredModel {
    associatedtype Batch
    /// The batch of these sentences (word ids without <s>/</s>) in this order.
    static func batch(_ sentences: [[Int32]]) -> Batch
    func trainStep(_ batch: Batch, rng: inout RNG, gradScale: Float?) -> LossResult
    func evaluate(_ batch: Batch) -> LossResult
    /// How validation lines name the perplexity ("fill ppl").
    static var perplexityLabel: String { get }
}

extension FillModel: MonolingualModel {
    public static func batch(_ sentences: [[Int32]]) -> FillBatch { FillBatch(sentences: sentences) }
    public static var perplexityLabel: String { "fill ppl" }
}

extension LanguageModel: MonolingualModel {
    public static func batch(_ sentences: [[Int32]]) -> LMBatch { LMBatch(sentences: sentences) }
    public static var perplexityLabel: String { "lm ppl" }
}

extension MonolingualData {
    /// Batches of about `batchTokens` padded tokens, in a seeded order (Batcher's plan).
    func batcher(batchTokens: Int) -> Batcher {
        Batcher(pairs: sentences.map { SentencePair(source: $0 + [SpecialIds.pad, SpecialIds.pad], target: $0 + [SpecialIds.pad]) }, batchTokens: batchTokens)
    }

    /// These sentences, longest first (the recurrent loop then runs on the active prefix).
    func longestFirst(_ indices: [Int]) -> [[Int32]] {
        indices.enumerated().sorted {
            let a = sentences[$0.element].count, b = sentences[$1.element].count
            return a != b ? a > b : $0.offset < $1.offset
        }.map { sentences[$0.element] }
    }
}

public final class MonolingualTrainer<Model: MonolingualModel>: TrainingLoop {
    public let model: Model
    public let vocab: Vocabulary
    public let corpus: [String]
    let data: MonolingualData
    let valid: MonolingualData?

    public init(model: Model, vocab: Vocabulary, corpus: [String], train: MonolingualData, valid: MonolingualData?,
                options: TrainerOptions, outputDir: String, state: TrainingState? = nil,
                collective: Collective = SingleProcess()) throws {
        self.model = model
        self.vocab = vocab
        self.corpus = corpus
        self.data = train
        self.valid = valid
        try super.init(arena: model.arena, batcher: train.batcher(batchTokens: options.batchTokens),
                       options: options, outputDir: outputDir, state: state, collective: collective)
    }

    override func trainStep(_ indices: [Int], rng: inout RNG, gradScale: Float?) -> LossResult {
        model.trainStep(Model.batch(data.longestFirst(indices)), rng: &rng, gradScale: gradScale)
    }

    override func save(name: String, state: TrainingState?) throws {
        try Checkpoint.save(model, vocabularies: ["text": vocab], corpus: corpus, dir: outputDir, name: name, state: state)
    }

    /// Perplexity of the model over `data` (no dropout).
    public static func perplexity(_ model: Model, _ data: MonolingualData, batchTokens: Int) -> Double {
        var nll = 0.0, tokens = 0
        for indices in data.batcher(batchTokens: batchTokens).epochPlan(seed: 0, epoch: 0) {
            let r = model.evaluate(Model.batch(data.longestFirst(indices)))
            nll += r.nll
            tokens += r.tokens
        }
        return exp(nll / Double(max(tokens, 1)))
    }

    /// The validation perplexity; best/ keeps the lowest.
    override func measure() -> ValidationResult? {
        guard let valid else { return nil }
        let ppl = Self.perplexity(model, valid, batchTokens: options.batchTokens)
        return ValidationResult(score: -ppl, fields: ["ppl": ppl, "nll": Foundation.log(ppl)],
                                text: String(format: "%@ %.2f", Model.perplexityLabel as NSString, ppl))
    }
}

public typealias FillTrainer = MonolingualTrainer<FillModel>
public typealias LMTrainer = MonolingualTrainer<LanguageModel>
