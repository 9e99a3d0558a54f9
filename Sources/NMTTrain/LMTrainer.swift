// Training the language model: monolingual data in the shared TrainingLoop (seeded batch order,
// NaN guard, clipping, Adam, periodic logs, learning-rate halving, early stopping, budgets,
// atomic best/ and last/ checkpoints, exact resume). Validation keeps the model with the lowest
// perplexity over every output token of the validation sentences (their words and </s>).

import Foundation
import NMTLayers
import NMTModel
import NMTStore
import NMTTensor
import NMTText

extension MonolingualData {
    /// The language-model batch of these sentences, longest first.
    func lmBatch(_ indices: [Int]) -> LMBatch {
        let ordered = indices.enumerated().sorted {
            let a = sentences[$0.element].count, b = sentences[$1.element].count
            return a != b ? a > b : $0.offset < $1.offset
        }.map(\.element)
        return LMBatch(sentences: ordered.map { sentences[$0] })
    }
}

public final class LMTrainer: TrainingLoop {
    public let model: LanguageModel
    public let vocab: Vocabulary
    let data: MonolingualData
    let valid: MonolingualData?

    public init(model: LanguageModel, vocab: Vocabulary, train: MonolingualData, valid: MonolingualData?,
                options: TrainerOptions, outputDir: String, state: TrainingState? = nil) throws {
        self.model = model
        self.vocab = vocab
        self.data = train
        self.valid = valid
        try super.init(arena: model.arena, batcher: train.batcher(batchTokens: options.batchTokens),
                       options: options, outputDir: outputDir, state: state)
    }

    override func trainStep(_ indices: [Int], rng: inout RNG) -> LossResult {
        model.trainStep(data.lmBatch(indices), rng: &rng)
    }

    override func save(name: String, state: TrainingState?) throws {
        try Checkpoint.save(model, vocabularies: ["text": vocab], dir: outputDir, name: name, state: state)
    }

    /// Perplexity over every output token of `data` (no dropout).
    public static func perplexity(_ model: LanguageModel, _ data: MonolingualData, batchTokens: Int) -> Double {
        var nll = 0.0, tokens = 0
        for indices in data.batcher(batchTokens: batchTokens).epochPlan(seed: 0, epoch: 0) {
            let r = model.evaluate(data.lmBatch(indices))
            nll += r.nll
            tokens += r.tokens
        }
        return exp(nll / Double(max(tokens, 1)))
    }

    /// The validation perplexity; best/ keeps the lowest.
    override func measure() -> ValidationResult? {
        guard let valid else { return nil }
        let ppl = LMTrainer.perplexity(model, valid, batchTokens: options.batchTokens)
        return ValidationResult(score: -ppl, fields: ["ppl": ppl, "nll": Foundation.log(ppl)],
                                text: String(format: "lm ppl %.2f", ppl))
    }
}
