// A model on disk: a directory that is complete on its own.
//
//   config.json          {"format": "swift-nmt-model", "version": 1, "task": "translation",
//                          "model": ModelConfig, "source_vocab": {"file", "hash", "size"},
//                          "target_vocab": {...}, "created_by": ...}
//   source.vocab         copies of the vocabularies (their headers carry the tokenizer settings)
//   target.vocab
//   model.safetensors    the weights (docs/model-format.md lists every tensor)
//
// A training output directory holds two such directories, `best/` (best validation BLEU) and
// `last/` (the latest checkpoint, with its training state), plus `train.log.jsonl`.
// `ModelDirectory.resolve` accepts either a model directory or a training directory (→ best/).
// Every file is written atomically; the config is written last, so a directory with a config
// always has the weights the config describes.

import Foundation
import NMTLayers
import NMTModel
import NMTText

public struct VocabularyRef: Codable, Sendable, Equatable {
    public var file: String
    public var hash: String
    public var size: Int
}

public struct ModelFileConfig: Codable, Sendable, Equatable {
    public static let formatName = "swift-nmt-model"
    public static let currentVersion = 1
    public var format: String = formatName
    public var version: Int = currentVersion
    public var task: String = "translation"
    public var model: ModelConfig
    public var sourceVocab: VocabularyRef
    public var targetVocab: VocabularyRef

    enum CodingKeys: String, CodingKey {
        case format, version, task, model
        case sourceVocab = "source_vocab"
        case targetVocab = "target_vocab"
    }
}

public enum ModelDirectoryError: Error, CustomStringConvertible, Equatable {
    case notAModel(String)
    case badConfig(path: String, reason: String)
    case wrongTask(path: String, found: String, expected: String)
    case vocabularyMismatch(path: String, reason: String)
    case weights(path: String, reason: String)

    public var description: String {
        switch self {
        case .notAModel(let p): return "\(p): not a swift-nmt model directory (no config.json, nor best/config.json)"
        case .badConfig(let p, let r): return "\(p): \(r)"
        case .wrongTask(let p, let f, let e): return "\(p): this is a \(f) model, a \(e) model is needed"
        case .vocabularyMismatch(let p, let r): return "\(p): \(r)"
        case .weights(let p, let r): return "\(p): \(r)"
        }
    }
}

public struct LoadedModel {
    public let directory: String
    public let config: ModelFileConfig
    public let sourceVocab: Vocabulary
    public let targetVocab: Vocabulary
    public let model: Seq2Seq
}

public enum ModelDirectory {
    public static let configFile = "config.json"
    public static let weightsFile = "model.safetensors"

    public static func join(_ a: String, _ b: String) -> String { a.hasSuffix("/") ? a + b : a + "/" + b }

    /// The model directory to load from `path`: itself if it holds a config, else `path/best`.
    public static func resolve(_ path: String) throws -> String {
        if AtomicFile.fileExists(join(path, configFile)) { return path }
        let best = join(path, "best")
        if AtomicFile.fileExists(join(best, configFile)) { return best }
        throw ModelDirectoryError.notAModel(path)
    }

    public static func readConfig(_ dir: String) throws -> ModelFileConfig {
        let path = join(dir, configFile)
        guard let data = FileManager.default.contents(atPath: path) else { throw ModelDirectoryError.notAModel(dir) }
        do {
            let config = try JSONDecoder().decode(ModelFileConfig.self, from: data)
            guard config.format == ModelFileConfig.formatName else {
                throw ModelDirectoryError.badConfig(path: path, reason: "format is \"\(config.format)\", not \(ModelFileConfig.formatName)")
            }
            guard config.version <= ModelFileConfig.currentVersion else {
                throw ModelDirectoryError.badConfig(path: path, reason: "format version \(config.version) is newer than this program (\(ModelFileConfig.currentVersion))")
            }
            return config
        } catch let e as ModelDirectoryError {
            throw e
        } catch {
            throw ModelDirectoryError.badConfig(path: path, reason: "not a valid model config (\(error))")
        }
    }

    /// Writes a complete model directory: vocabularies, weights, then the config.
    public static func save(_ model: Seq2Seq, sourceVocab: Vocabulary, targetVocab: Vocabulary, to dir: String) throws {
        try AtomicFile.createDirectories(dir)
        try AtomicFile.write(sourceVocab.serialized(), to: join(dir, "source.vocab"), force: true)
        try AtomicFile.write(targetVocab.serialized(), to: join(dir, "target.vocab"), force: true)
        let weights = Safetensors.encode(model.arena, metadata: ["format": "pt", "producer": "swift-nmt"])
        try AtomicFile.write(weights, to: join(dir, weightsFile), force: true)
        let config = ModelFileConfig(
            model: model.config,
            sourceVocab: VocabularyRef(file: "source.vocab", hash: sourceVocab.contentHash, size: sourceVocab.count),
            targetVocab: VocabularyRef(file: "target.vocab", hash: targetVocab.contentHash, size: targetVocab.count))
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try AtomicFile.write(Array(try encoder.encode(config)) + [0x0A], to: join(dir, configFile), force: true)
    }

    /// Loads a model (from a model directory or a training directory's best/).
    public static func load(_ path: String, task: String = "translation") throws -> LoadedModel {
        let dir = try resolve(path)
        // The task first: a fill model has another config layout, and deserves a clear message.
        if let found = try? FillModelDirectory.task(ofModelAt: dir), found != task {
            throw ModelDirectoryError.wrongTask(path: dir, found: found, expected: task)
        }
        let config = try readConfig(dir)
        guard config.task == task else { throw ModelDirectoryError.wrongTask(path: dir, found: config.task, expected: task) }
        let src = try Vocabulary.load(path: join(dir, config.sourceVocab.file))
        let tgt = try Vocabulary.load(path: join(dir, config.targetVocab.file))
        for (v, ref, side) in [(src, config.sourceVocab, "source"), (tgt, config.targetVocab, "target")] {
            guard v.contentHash == ref.hash, v.count == ref.size else {
                throw ModelDirectoryError.vocabularyMismatch(path: dir, reason: "the \(side) vocabulary \(ref.file) is not the one the model was trained with (hash \(v.contentHash), expected \(ref.hash))")
            }
        }
        guard config.model.sourceVocab == src.count, config.model.targetVocab == tgt.count else {
            throw ModelDirectoryError.vocabularyMismatch(path: dir, reason: "vocabulary sizes \(src.count)/\(tgt.count) do not match the model's \(config.model.sourceVocab)/\(config.model.targetVocab)")
        }
        let weightsPath = join(dir, weightsFile)
        guard let data = FileManager.default.contents(atPath: weightsPath) else {
            throw ModelDirectoryError.weights(path: weightsPath, reason: "cannot read the weights file")
        }
        let model = Seq2Seq(config.model, seed: nil)   // weights come from the file
        do {
            let (tensors, _) = try Safetensors.decode(Array(data))
            try Safetensors.load(tensors, into: model.arena)
        } catch {
            throw ModelDirectoryError.weights(path: weightsPath, reason: "\(error)")
        }
        return LoadedModel(directory: dir, config: config, sourceVocab: src, targetVocab: tgt, model: model)
    }
}
