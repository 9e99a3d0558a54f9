// A model on disk: a directory that is complete on its own, for every task.
//
//   config.json          ModelFile (ModelFile.swift): format, version, task, model config,
//                        vocabularies by role, training corpus
//   <role>.vocab         copies of the vocabularies (their headers carry the tokenizer settings)
//   model.safetensors    the weights (docs/model-format.md lists every tensor)
//
// A training output directory holds two such directories, `best/` (best validation score) and
// `last/` (the latest checkpoint, with its training state), plus run.json and train.log.jsonl.
// `ModelDirectory.resolve` takes a model directory or a training directory (→ best/, or last/
// when the run had no validation and so no best/). Every file is written atomically; the config
// is written last, so a directory with a config always has the weights the config describes.

import Foundation
import NMTLayers
import NMTModel
import NMTText

/// A model type that a model directory can hold: its task, its config, its vocabulary roles.
public protocol StoredModel: AnyObject {
    associatedtype Config: Codable & Sendable & Equatable
    static var task: ModelTask { get }
    /// The vocabularies the model reads, by role, in a fixed order (e.g. source, target).
    static var vocabularyRoles: [String] { get }
    /// The vocabulary size the config expects for each role (same order).
    static func vocabularySizes(_ config: Config) -> [Int]
    var config: Config { get }
    var arena: ParameterArena { get }
    /// A model of this shape; a nil seed leaves the weights zero (they come from a file).
    init(_ config: Config, seed: UInt64?)
    /// When weights do not fit the config: what differs, said in the config's terms (e.g. the
    /// cell the weights were trained with), or nil to report the first tensor that differs.
    static func describeMismatch(_ config: Config, shapes: [String: [Int]]) -> String?
    /// What makes `config` unusable before a model is built from it (a size below 1, a rate
    /// outside [0, 1), a weight matrix larger than the `weights` values the file holds), or nil.
    static func problem(_ config: Config, weights: Int) -> String?
}

extension StoredModel {
    public static func describeMismatch(_ config: Config, shapes: [String: [Int]]) -> String? { nil }
    public static func problem(_ config: Config, weights: Int) -> String? { nil }
}

/// The checks `StoredModel.problem` implementations share.
public enum ConfigCheck {
    /// The first of `sizes` (name, value) below 1 or above `limit`, `rates` outside [0, 1), or
    /// `products` (a weight matrix's two dimensions) above `weights` values, said in one line.
    public static func problem(sizes: [(String, Int)], limit: Int = 1 << 24, rates: [(String, Float)],
                               products: [(String, Int, Int)], weights: Int) -> String? {
        for (name, v) in sizes where v < 1 || v > limit { return "\(name) is \(v): it must be in 1...\(limit)" }
        for (name, v) in rates where !(v >= 0 && v < 1) { return "\(name) is \(v): it must be in [0, 1)" }
        for (name, a, b) in products where a.multipliedReportingOverflow(by: b).overflow || a * b > weights {
            return "\(name) would hold \(a) × \(b) values, more than the \(weights) of the weights file"
        }
        return nil
    }
}

/// A model read from a directory, with its file config and vocabularies.
public struct LoadedModel<Model: StoredModel> {
    public let directory: String
    public let config: ModelFile<Model.Config>
    /// By role (Model.vocabularyRoles).
    public let vocabularies: [String: Vocabulary]
    public let model: Model
}

public enum ModelDirectory {
    public static let configFile = "config.json"
    public static let weightsFile = "model.safetensors"
    /// Decoding settings chosen on val for the model or ensemble beside it (NMTInference's DecodingDefaults).
    public static let decodingFile = "decoding.json"

    public static func join(_ a: String, _ b: String) -> String { a.hasSuffix("/") ? a + b : a + "/" + b }

    /// The model directory to load from `path`: itself if it holds a config, else its best/,
    /// else its last/ (a training run without validation has only last/).
    public static func resolve(_ path: String) throws -> String {
        for dir in [path, join(path, "best"), join(path, "last")] where AtomicFile.fileExists(join(dir, configFile)) {
            return dir
        }
        if EnsembleDirectory.isEnsemble(path) { throw ModelDirectoryError.ensemble(path) }
        throw ModelDirectoryError.notAModel(path)
    }

    /// The task of the model at `path` (a model or training directory).
    public static func task(ofModelAt path: String) throws -> ModelTask {
        let dir = try resolve(path)
        let cfgPath = join(dir, configFile)
        let json = try ModelFileMigration.currentLayout(try readFile(cfgPath, dir: dir), path: cfgPath)
        guard let name = json["task"] as? String, let task = ModelTask(rawValue: name) else {
            throw ModelDirectoryError.badConfig(path: cfgPath, reason: "unknown task \(json["task"] ?? "(none)")")
        }
        return task
    }

    /// The config of the model directory `dir`, in the current version (older ones migrated).
    public static func readConfig<Config>(_ dir: String, as: Config.Type) throws -> ModelFile<Config> {
        let path = join(dir, configFile)
        let json = try ModelFileMigration.currentLayout(try readFile(path, dir: dir), path: path)
        do {
            return try JSONDecoder().decode(ModelFile<Config>.self, from: JSONSerialization.data(withJSONObject: json))
        } catch {
            throw ModelDirectoryError.badConfig(path: path, reason: "not a valid model config (\(error))")
        }
    }

    static func readFile(_ path: String, dir: String) throws -> Data {
        guard let data = FileManager.default.contents(atPath: path) else { throw ModelDirectoryError.notAModel(dir) }
        return data
    }

    /// Writes a complete model directory: vocabularies (`<role>.vocab`), weights, then the config.
    public static func save<Model: StoredModel>(_ model: Model, vocabularies: [String: Vocabulary],
                                                corpus: [String] = [], to dir: String) throws {
        precondition(Set(vocabularies.keys) == Set(Model.vocabularyRoles), "vocabularies \(vocabularies.keys) for \(Model.vocabularyRoles)")
        try AtomicFile.createDirectories(dir)
        var refs: [String: VocabularyRef] = [:]
        for role in Model.vocabularyRoles {
            let v = vocabularies[role]!
            let file = "\(role).vocab"
            try v.write(to: join(dir, file), force: true)   // with a subword model, <role>.bpe beside it
            refs[role] = VocabularyRef(file: file, hash: v.contentHash, size: v.count)
        }
        let weights = Safetensors.encode(model.arena, metadata: ["format": "pt", "producer": "swift-nmt"])
        try AtomicFile.write(weights, to: join(dir, weightsFile), force: true)
        let config = ModelFile(task: Model.task, model: model.config, vocabularies: refs, corpus: corpus)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try AtomicFile.write(Array(try encoder.encode(config)) + [0x0A], to: join(dir, configFile), force: true)
    }

    /// Loads a model of type `Model` from a model directory or a training directory (`resolve`).
    public static func load<Model: StoredModel>(_ path: String, as: Model.Type) throws -> LoadedModel<Model> {
        let dir = try resolve(path)
        // The task first: another task's model has another config layout, and deserves a clear message.
        let found = try task(ofModelAt: dir)
        guard found == Model.task else {
            throw ModelDirectoryError.wrongTask(path: dir, found: found.rawValue, expected: Model.task.rawValue)
        }
        let config = try readConfig(dir, as: Model.Config.self)
        var vocabularies: [String: Vocabulary] = [:]
        for (role, size) in zip(Model.vocabularyRoles, Model.vocabularySizes(config.model)) {
            guard let ref = config.vocabularies[role] else {
                throw ModelDirectoryError.badConfig(path: join(dir, configFile), reason: "no \(role) vocabulary")
            }
            let v = try Vocabulary.load(path: join(dir, ref.file))
            guard v.contentHash == ref.hash, v.count == ref.size else {
                throw ModelDirectoryError.vocabularyMismatch(path: dir, reason: "the \(role) vocabulary \(ref.file) is not the one the model was trained with (hash \(v.contentHash), expected \(ref.hash))")
            }
            guard v.count == size else {
                throw ModelDirectoryError.vocabularyMismatch(path: dir, reason: "the \(role) vocabulary has \(v.count) entries, the model \(size)")
            }
            vocabularies[role] = v
        }
        let weightsPath = join(dir, weightsFile)
        guard let data = FileManager.default.contents(atPath: weightsPath) else {
            throw ModelDirectoryError.weights(path: weightsPath, reason: "cannot read the weights file")
        }
        let tensors: [String: SafetensorsEntry]
        do {
            tensors = try Safetensors.decode(Array(data)).tensors
        } catch {
            throw ModelDirectoryError.weights(path: weightsPath, reason: "\(error)")
        }
        // Checked before anything is allocated from it (found by fuzzing config.json: a size of 0
        // stopped the process, a huge one would exhaust memory).
        if let problem = Model.problem(config.model, weights: tensors.values.reduce(0) { $0 + $1.values.count }) {
            throw ModelDirectoryError.badConfig(path: join(dir, configFile), reason: problem)
        }
        let model = Model(config.model, seed: nil)   // weights come from the file
        do {
            try Safetensors.load(tensors, into: model.arena)
        } catch {
            let why = Model.describeMismatch(config.model, shapes: tensors.mapValues(\.shape)) ?? "\(error)"
            throw ModelDirectoryError.weights(path: weightsPath, reason: why)
        }
        return LoadedModel(directory: dir, config: config, vocabularies: vocabularies, model: model)
    }
}
