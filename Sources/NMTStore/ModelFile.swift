// config.json of a model directory: one versioned format for every task.
//
//   {"format": "swift-nmt-model", "version": 3, "task": "translation" | "fill" | "lm",
//    "model": the task's model config (Seq2SeqConfig, FillConfig, LanguageModelConfig),
//    "vocabularies": {"source": {"file", "hash", "size"}, "target": {...}}   (translation)
//                    {"text": {...}}                                         (fill, lm)
//    "corpus": [training corpus files]    (fill: the n-gram baselines of nmt-fill --eval read them)}
//
// A field added to the format bumps `version`; an older file is read by an explicit migration
// to the current layout (`ModelFileMigration`), never by treating a missing field as a default.

import Foundation
import NMTLayers

/// What a model does; selects its config, its vocabularies and its loader.
public enum ModelTask: String, Codable, Sendable, CaseIterable {
    case translation
    case fill
    case languageModel = "lm"

    /// How messages name a model of this task.
    public var modelName: String {
        switch self {
        case .translation: return "translation model"
        case .fill: return "fill model"
        case .languageModel: return "language model"
        }
    }
}

/// A vocabulary file in a model directory, with the hash and size the model was trained with.
public struct VocabularyRef: Codable, Sendable, Equatable {
    public var file: String
    public var hash: String
    public var size: Int
    public init(file: String, hash: String, size: Int) { self.file = file; self.hash = hash; self.size = size }
}

public struct ModelFile<Config: Codable & Sendable & Equatable>: Codable, Sendable, Equatable {
    public static var formatName: String { ModelFileMigration.formatName }
    public static var currentVersion: Int { ModelFileMigration.currentVersion }
    public var format: String
    public var version: Int
    public var task: ModelTask
    public var model: Config
    public var vocabularies: [String: VocabularyRef]
    public var corpus: [String]

    public init(task: ModelTask, model: Config, vocabularies: [String: VocabularyRef], corpus: [String] = []) {
        format = ModelFileMigration.formatName
        version = ModelFileMigration.currentVersion
        self.task = task; self.model = model; self.vocabularies = vocabularies; self.corpus = corpus
    }
}

public enum ModelDirectoryError: Error, CustomStringConvertible, Equatable {
    case notAModel(String)
    case badConfig(path: String, reason: String)
    case wrongTask(path: String, found: String, expected: String)
    case vocabularyMismatch(path: String, reason: String)
    case weights(path: String, reason: String)
    case ensemble(String)

    public var description: String {
        switch self {
        case .notAModel(let p): return "\(p): not a swift-nmt model directory (no config.json, nor best/config.json or last/config.json)"
        case .badConfig(let p, let r): return "\(p): \(r)"
        case .wrongTask(let p, let f, let e):
            func name(_ t: String) -> String { ModelTask(rawValue: t)?.modelName ?? "\(t) model" }
            return "\(p): this is a \(name(f)), a \(name(e)) is needed"
        case .vocabularyMismatch(let p, let r): return "\(p): \(r)"
        case .weights(let p, let r): return "\(p): \(r)"
        case .ensemble(let p):
            return "\(p): an ensemble of models (\(EnsembleDirectory.fileName)); nmt-translate and nmt-serve decode with it, other tools need one of its members"
        }
    }
}

/// Reads any version of config.json into the current layout.
public enum ModelFileMigration {
    public static let formatName = "swift-nmt-model"
    public static let currentVersion = 6

    /// The JSON object of `data` in the current version's layout; `path` names the file in errors.
    public static func currentLayout(_ data: Data, path: String) throws -> [String: Any] {
        guard let object = try? JSONSerialization.jsonObject(with: data), var json = object as? [String: Any] else {
            throw ModelDirectoryError.badConfig(path: path, reason: "not a JSON object")
        }
        guard json["format"] as? String == formatName else {
            throw ModelDirectoryError.badConfig(path: path, reason: "format is not \(formatName)")
        }
        guard let version = json["version"] as? Int, version >= 1 else {
            throw ModelDirectoryError.badConfig(path: path, reason: "no format version")
        }
        guard version <= currentVersion else {
            throw ModelDirectoryError.badConfig(path: path, reason: "format version \(version) is newer than this program (\(currentVersion))")
        }
        if version == 1 { json = try fromVersion1(json, path: path) }
        if version <= 2 { json = fromVersion2(json) }
        if version <= 3 { json = fromVersion3(json) }
        if version <= 4 { json = fromVersion4(json) }
        if version <= 5 { json = fromVersion5(json) }
        return json
    }

    /// Version 1 had no "vocabularies": a translation model named "source_vocab" and
    /// "target_vocab" (and its config may lack "tieEmbeddings": those models were untied); a
    /// fill model named "vocab". "task" was absent in the first translation models.
    static func fromVersion1(_ v1: [String: Any], path: String) throws -> [String: Any] {
        var json = v1
        let task = v1["task"] as? String ?? ModelTask.translation.rawValue
        json["task"] = task
        switch task {
        case ModelTask.translation.rawValue:
            guard let s = v1["source_vocab"], let t = v1["target_vocab"] else {
                throw ModelDirectoryError.badConfig(path: path, reason: "version 1 translation config without source_vocab/target_vocab")
            }
            json["vocabularies"] = ["source": s, "target": t]
            json["source_vocab"] = nil; json["target_vocab"] = nil
            if var model = v1["model"] as? [String: Any], model["tieEmbeddings"] == nil {
                model["tieEmbeddings"] = false
                json["model"] = model
            }
            json["corpus"] = v1["corpus"] ?? [String]()
        case ModelTask.fill.rawValue:
            guard let v = v1["vocab"] else {
                throw ModelDirectoryError.badConfig(path: path, reason: "version 1 fill config without vocab")
            }
            json["vocabularies"] = ["text": v]
            json["vocab"] = nil
        default:
            throw ModelDirectoryError.badConfig(path: path, reason: "unknown task \"\(task)\"")
        }
        json["version"] = 2
        return json
    }

    /// Version 2 had no recurrent-cell choice: every translation encoder and every fill model
    /// was an LSTM, every decoder a GRU ("encoderCell" / "cell" = "lstm", "decoderCell" = "gru").
    static func fromVersion2(_ v2: [String: Any]) -> [String: Any] {
        var json = v2
        if var model = v2["model"] as? [String: Any] {
            switch v2["task"] as? String {
            case ModelTask.translation.rawValue:
                if model["encoderCell"] == nil { model["encoderCell"] = CellKind.lstm.rawValue }
                if model["decoderCell"] == nil { model["decoderCell"] = CellKind.gru.rawValue }
            case ModelTask.fill.rawValue: if model["cell"] == nil { model["cell"] = CellKind.lstm.rawValue }
            default: break
            }
            json["model"] = model
        }
        json["version"] = currentVersion
        return json
    }

    /// Version 3 had no right-to-left models: every translation model read its target left to
    /// right ("reverseTarget" = false).
    static func fromVersion3(_ v3: [String: Any]) -> [String: Any] { translationKeys(v3, ["reverseTarget": false]) }

    /// Version 4 had no word dropout: its translation models were trained without it
    /// ("sourceWordDropout" = "targetWordDropout" = 0).
    static func fromVersion4(_ v4: [String: Any]) -> [String: Any] {
        translationKeys(v4, ["sourceWordDropout": 0, "targetWordDropout": 0])
    }

    /// Version 5 had no layer normalisation: its translation models had none ("layerNorm" = false).
    static func fromVersion5(_ v5: [String: Any]) -> [String: Any] { translationKeys(v5, ["layerNorm": false]) }

    /// A translation model's keys an older version lacked, set to what its models were (keys the
    /// file has are kept); the version becomes the current one.
    static func translationKeys(_ old: [String: Any], _ values: [String: Any]) -> [String: Any] {
        var json = old
        if old["task"] as? String == ModelTask.translation.rawValue, var model = old["model"] as? [String: Any] {
            for (key, value) in values where model[key] == nil { model[key] = value }
            json["model"] = model
        }
        json["version"] = currentVersion
        return json
    }
}
