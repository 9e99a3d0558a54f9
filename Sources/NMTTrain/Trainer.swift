// Training a translation model: the shared TrainingLoop over parallel data, validated by
// perplexity and (when a translator is set) BLEU of the detokenized validation translations.

import Foundation
import NMTLayers
import NMTMetrics
import NMTModel
import NMTStore
import NMTTensor
import NMTText

public final class Trainer: TrainingLoop {
    public let model: Seq2Seq
    public let sourceVocab: Vocabulary
    public let targetVocab: Vocabulary
    /// Translates validation sources to detokenized text, for validation BLEU (nil: BLEU skipped).
    public var translate: (([String]) -> [String])?

    let valid: ParallelData?
    /// The validation batches, built once (each validation measures raw and averaged weights).
    let validBatcher: Batcher?

    public init(model: Seq2Seq, sourceVocab: Vocabulary, targetVocab: Vocabulary, train: ParallelData,
                valid: ParallelData?, options: TrainerOptions, outputDir: String, state: TrainingState? = nil,
                collective: Collective = SingleProcess()) throws {
        self.model = model
        self.sourceVocab = sourceVocab
        self.targetVocab = targetVocab
        self.valid = valid
        validBatcher = valid.map { Batcher(pairs: $0.pairs, batchTokens: options.batchTokens) }
        try super.init(arena: model.arena, batcher: Batcher(pairs: train.pairs, batchTokens: options.batchTokens),
                       options: options, outputDir: outputDir, state: state, collective: collective)
        tokenUnit = "tgt tok/s"
    }

    override func trainStep(_ indices: [Int], rng: inout RNG, gradScale: Float?) -> LossResult {
        model.trainStep(batcher.batch(indices).seq2seqBatch, rng: &rng, gradScale: gradScale)
    }

    override var gradientSegments: [Range<Int>] { model.gradientSegments }
    override func setGradientHook(_ hook: ((Int) -> Void)?) { model.gradientsFinal = hook }

    override func save(name: String, state: TrainingState?) throws {
        try Checkpoint.save(model, vocabularies: ["source": sourceVocab, "target": targetVocab], dir: outputDir,
                            name: name, state: state)
    }

    /// Validation perplexity and, when a translator is set, BLEU (the score; else minus perplexity).
    override func measure() -> ValidationResult? {
        guard let valid, let vb = validBatcher else { return nil }
        var nll = 0.0, tokens = 0
        for indices in vb.epochPlan(seed: 0, epoch: 0) {
            let r = model.evaluate(vb.batch(indices).seq2seqBatch)
            nll += r.nll
            tokens += r.tokens
        }
        let meanNLL = nll / Double(max(tokens, 1))
        let ppl = exp(meanNLL)
        var fields: [String: Any] = ["ppl": ppl, "nll": meanNLL]
        var text = String(format: "ppl %.2f", ppl)
        guard let translate else { return ValidationResult(score: -ppl, fields: fields, text: text) }
        let bleu = corpusBLEU(hypotheses: translate(valid.sourceLines), references: [valid.targetLines])
        fields["bleu"] = bleu.score
        fields["bleu_signature"] = bleu.signature
        text += String(format: "  BLEU %.2f", bleu.score)
        return ValidationResult(score: bleu.score, fields: fields, text: text)
    }
}

extension Batch {
    public var seq2seqBatch: Seq2SeqBatch {
        Seq2SeqBatch(sourceIds: sourceIds, sourceLengths: sourceLengths, targetInput: targetInput,
                   targetOutput: targetOutput, targetLengths: targetLengths)
    }
}
