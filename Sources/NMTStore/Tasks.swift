// The models a directory can hold, one conformance per task: its config type and vocabularies.
// A new task (a language model, say) adds a case to ModelTask and a conformance here.

import NMTLayers
import NMTModel
import NMTText

extension Seq2Seq: StoredModel {
    public static var task: ModelTask { .translation }
    public static var vocabularyRoles: [String] { ["source", "target"] }
    public static func vocabularySizes(_ config: Seq2SeqConfig) -> [Int] { [config.sourceVocab, config.targetVocab] }

    public static func describeMismatch(_ config: Seq2SeqConfig, shapes: [String: [Int]]) -> String? {
        var parts: [String] = []
        if let found = CellKind.detect(prefix: "encoder.l0.fwd.", shapes: shapes), found != config.encoderCell {
            parts.append("the weights hold a \(found.rawValue) encoder, the config names \(config.encoderCell.rawValue)")
        }
        if let found = CellKind.sequenceCells.first(where: { shapes["decoder.\($0.rawValue).W_hh"] != nil }),
           found != config.decoderCell {
            parts.append("the weights hold a \(found.rawValue) decoder, the config names \(config.decoderCell.rawValue)")
        }
        let normalized = shapes.keys.contains { $0.hasSuffix(".ln_hh.g") }
        if parts.isEmpty && normalized != config.layerNorm {
            parts.append(normalized ? "the weights hold layer-normalised cells, the config says \"layerNorm\": false"
                                    : "the weights hold no layer normalisation, the config says \"layerNorm\": true")
        }
        return parts.isEmpty ? nil : parts.joined(separator: "; ")
    }

    public static func problem(_ c: Seq2SeqConfig, weights: Int) -> String? {
        ConfigCheck.problem(sizes: [("sourceVocab", c.sourceVocab), ("targetVocab", c.targetVocab), ("embedding", c.embedding),
                                    ("encoderHidden", c.encoderHidden), ("encoderLayers", c.encoderLayers),
                                    ("decoderHidden", c.decoderHidden), ("attention", c.attention), ("preOutput", c.preOutput)],
                            rates: [("dropout", c.dropout), ("labelSmoothing", c.labelSmoothing),
                                    ("sourceWordDropout", c.sourceWordDropout), ("targetWordDropout", c.targetWordDropout)],
                            products: [("the source embedding", c.sourceVocab, c.embedding),
                                       ("the target embedding", c.targetVocab, c.embedding),
                                       ("the encoder", c.encoderLayers * c.encoderHidden, c.encoderHidden),
                                       ("the decoder", c.decoderHidden, c.decoderHidden),
                                       ("the attention", c.attention, c.decoderHidden + 2 * c.encoderHidden),
                                       ("the pre-output layer", c.preOutput, c.decoderHidden + 2 * c.encoderHidden)],
                            weights: weights)
    }
}

extension FillModel: StoredModel {
    public static var task: ModelTask { .fill }
    public static var vocabularyRoles: [String] { ["text"] }
    public static func vocabularySizes(_ config: FillConfig) -> [Int] { [config.vocab] }

    public static func describeMismatch(_ config: FillConfig, shapes: [String: [Int]]) -> String? {
        guard let found = CellKind.detect(prefix: "fwd.l0.", shapes: shapes), found != config.cell else { return nil }
        return "the weights hold a \(found.rawValue) model, the config names \(config.cell.rawValue)"
    }

    public static func problem(_ c: FillConfig, weights: Int) -> String? {
        ConfigCheck.problem(sizes: [("vocab", c.vocab), ("embedding", c.embedding), ("hidden", c.hidden), ("layers", c.layers),
                                    ("preOutput", c.preOutput)],
                            rates: [("dropout", c.dropout), ("inputMask", c.inputMask), ("labelSmoothing", c.labelSmoothing)],
                            products: [("the embedding", c.vocab, c.embedding), ("the recurrent layers", c.layers * c.hidden, c.hidden),
                                       ("the output layer", c.vocab, c.preOutput)],
                            weights: weights)
    }
}

extension LanguageModel: StoredModel {
    public static var task: ModelTask { .languageModel }
    public static var vocabularyRoles: [String] { ["text"] }
    public static func vocabularySizes(_ config: LanguageModelConfig) -> [Int] { [config.vocab] }

    public static func describeMismatch(_ config: LanguageModelConfig, shapes: [String: [Int]]) -> String? {
        guard let found = CellKind.detect(prefix: "l0.", shapes: shapes), found != config.cell else { return nil }
        return "the weights hold a \(found.rawValue) language model, the config names \(config.cell.rawValue)"
    }

    public static func problem(_ c: LanguageModelConfig, weights: Int) -> String? {
        ConfigCheck.problem(sizes: [("vocab", c.vocab), ("embedding", c.embedding), ("hidden", c.hidden), ("layers", c.layers)],
                            rates: [("dropout", c.dropout), ("labelSmoothing", c.labelSmoothing)],
                            products: [("the embedding", c.vocab, c.embedding), ("the recurrent layers", c.layers * c.hidden, c.hidden)],
                            weights: weights)
    }
}

extension LoadedModel where Model == Seq2Seq {
    public var sourceVocab: Vocabulary { vocabularies["source"]! }
    public var targetVocab: Vocabulary { vocabularies["target"]! }
}

extension LoadedModel where Model == FillModel {
    public var vocab: Vocabulary { vocabularies["text"]! }
}

extension LoadedModel where Model == LanguageModel {
    public var vocab: Vocabulary { vocabularies["text"]! }
}

extension ModelDirectory {
    /// Saves a translation model with its two vocabularies.
    public static func save(_ model: Seq2Seq, sourceVocab: Vocabulary, targetVocab: Vocabulary, to dir: String) throws {
        try save(model, vocabularies: ["source": sourceVocab, "target": targetVocab], to: dir)
    }

    /// Saves a language model with its vocabulary.
    public static func save(_ model: LanguageModel, vocab: Vocabulary, to dir: String) throws {
        try save(model, vocabularies: ["text": vocab], to: dir)
    }

    /// Saves a fill model with its vocabulary and the corpus it was trained on.
    public static func save(_ model: FillModel, vocab: Vocabulary, corpus: [String], to dir: String) throws {
        try save(model, vocabularies: ["text": vocab], corpus: corpus, to: dir)
    }
}
