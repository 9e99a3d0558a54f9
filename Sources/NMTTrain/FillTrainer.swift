// Training the fill model: monolingual data in the shared TrainingLoop (seeded batch order, NaN
// guard, clipping, Adam, periodic logs, validation perplexity, learning-rate halving, early
// stopping, budgets, atomic best/ and last/ checkpoints, exact resume). Validation keeps the
// model with the lowest perplexity over every word of the validation sentences (each word
// predicted from both sides, or from the left for a left-only model).

import Foundation
import NMTLayers
import NMTModel
import NMTStore
import NMTTensor
import NMTText

extension MonolingualData {
    /// Batches of about `batchTokens` padded tokens, in a seeded order (Batcher's plan).
    func batcher(batchTokens: Int) -> Batcher {
        Batcher(pairs: sentences.map { SentencePair(source: $0 + [SpecialIds.pad, SpecialIds.pad], target: $0 + [SpecialIds.pad]) }, batchTokens: batchTokens)
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
        try Checkpoint.save(model, vocabularies: ["text": vocab], corpus: corpus, dir: outputDir, name: name, state: state)
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
