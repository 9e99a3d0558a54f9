// A fill model on disk (task "fill"): the same layout and guarantees as a translation model
// directory (ModelDirectory.swift), with one vocabulary:
//
//   config.json          {"format": "swift-nmt-model", "version": 1, "task": "fill",
//                          "model": FillConfig, "vocab": {"file", "hash", "size"},
//                          "corpus": the training corpus (for the n-gram baselines of --eval)}
//   vocab.vocab          the vocabulary (its header carries the tokenizer settings)
//   model.safetensors    the weights (FillModel.swift lists the tensors)
//
// A training directory holds best/ (lowest validation perplexity), last/ (with
// optimizer.safetensors and training-state.json, as Checkpoint.swift), run.json and
// train.log.jsonl. Loading reads the task first, so handing a translation model to nmt-fill
// (or a fill model to a translation loader that checks) gives a clear error.

import Foundation
import NMTLayers
import NMTModel
import NMTTensor
import NMTText

public struct FillFileConfig: Codable, Sendable, Equatable {
    public var format: String = ModelFileConfig.formatName
    public var version: Int = ModelFileConfig.currentVersion
    public var task: String = "fill"
    public var model: FillConfig
    public var vocab: VocabularyRef
    public var corpus: [String]
}

/// Just the fields every model config has, to check the task before decoding the rest.
struct ModelConfigHeader: Codable {
    var format: String
    var version: Int
    var task: String?
}

public struct LoadedFillModel {
    public let directory: String
    public let config: FillFileConfig
    public let vocab: Vocabulary
    public let model: FillModel
}

public enum FillModelDirectory {
    public static let task = "fill"
    public static let vocabFile = "vocab.vocab"

    static func join(_ a: String, _ b: String) -> String { ModelDirectory.join(a, b) }

    /// Reads the task of the model directory at `dir` ("translation" when the field is absent).
    public static func task(ofModelAt path: String) throws -> String {
        let dir = try ModelDirectory.resolve(path)
        let cfgPath = join(dir, ModelDirectory.configFile)
        guard let data = FileManager.default.contents(atPath: cfgPath) else { throw ModelDirectoryError.notAModel(path) }
        guard let h = try? JSONDecoder().decode(ModelConfigHeader.self, from: data), h.format == ModelFileConfig.formatName else {
            throw ModelDirectoryError.badConfig(path: cfgPath, reason: "not a swift-nmt model config")
        }
        return h.task ?? "translation"
    }

    public static func save(_ model: FillModel, vocab: Vocabulary, corpus: [String], to dir: String) throws {
        try AtomicFile.createDirectories(dir)
        try AtomicFile.write(vocab.serialized(), to: join(dir, vocabFile), force: true)
        let weights = Safetensors.encode(model.arena, metadata: ["format": "pt", "producer": "swift-nmt"])
        try AtomicFile.write(weights, to: join(dir, ModelDirectory.weightsFile), force: true)
        let config = FillFileConfig(model: model.config,
                                    vocab: VocabularyRef(file: vocabFile, hash: vocab.contentHash, size: vocab.count),
                                    corpus: corpus)
        let enc = JSONEncoder()
        enc.outputFormatting = [.prettyPrinted, .sortedKeys]
        try AtomicFile.write(Array(try enc.encode(config)) + [0x0A], to: join(dir, ModelDirectory.configFile), force: true)
    }

    /// Loads a fill model from a model directory or a training directory (→ best/, or last/
    /// when the run had no validation set and so no best/).
    public static func load(_ path: String) throws -> LoadedFillModel {
        let dir: String
        if let d = try? ModelDirectory.resolve(path) {
            dir = d
        } else if AtomicFile.fileExists(join(join(path, "last"), ModelDirectory.configFile)) {
            dir = join(path, "last")
        } else {
            throw ModelDirectoryError.notAModel(path)
        }
        let found = try task(ofModelAt: dir)
        guard found == task else { throw ModelDirectoryError.wrongTask(path: dir, found: found, expected: task) }
        let cfgPath = join(dir, ModelDirectory.configFile)
        let config: FillFileConfig
        do {
            config = try JSONDecoder().decode(FillFileConfig.self, from: FileManager.default.contents(atPath: cfgPath) ?? Data())
        } catch {
            throw ModelDirectoryError.badConfig(path: cfgPath, reason: "not a valid fill model config (\(error))")
        }
        guard config.version <= ModelFileConfig.currentVersion else {
            throw ModelDirectoryError.badConfig(path: cfgPath, reason: "format version \(config.version) is newer than this program")
        }
        let vocab = try Vocabulary.load(path: join(dir, config.vocab.file))
        guard vocab.contentHash == config.vocab.hash, vocab.count == config.vocab.size, vocab.count == config.model.vocab else {
            throw ModelDirectoryError.vocabularyMismatch(path: dir, reason: "the vocabulary \(config.vocab.file) is not the one the model was trained with")
        }
        let weightsPath = join(dir, ModelDirectory.weightsFile)
        guard let data = FileManager.default.contents(atPath: weightsPath) else {
            throw ModelDirectoryError.weights(path: weightsPath, reason: "cannot read the weights file")
        }
        let model = FillModel(config.model, seed: nil)
        do {
            let (tensors, _) = try Safetensors.decode(Array(data))
            try Safetensors.load(tensors, into: model.arena)
        } catch {
            throw ModelDirectoryError.weights(path: weightsPath, reason: "\(error)")
        }
        return LoadedFillModel(directory: dir, config: config, vocab: vocab, model: model)
    }
}

