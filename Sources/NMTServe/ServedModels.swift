// The models a server holds: each loaded once (a model or an ensemble directory), named, with its
// language pair and its batcher.
import Foundation
import NMTInference

/// `NAME=DIR` from the command line (or a bare DIR: then the name is SRC-TGT from its vocabularies).
public struct ModelSpec: Equatable, Sendable {
    public var name: String?
    public var path: String

    public init(name: String?, path: String) { self.name = name; self.path = path }

    public init(parsing text: String) throws {
        if let eq = text.firstIndex(of: "=") {
            let name = String(text[..<eq]), path = String(text[text.index(after: eq)...])
            guard !name.isEmpty, !path.isEmpty else { throw ServeConfigError.badModelSpec(text) }
            self.init(name: name, path: path)
        } else {
            guard !text.isEmpty else { throw ServeConfigError.badModelSpec(text) }
            self.init(name: nil, path: text)
        }
    }
}

public enum ServeConfigError: Error, CustomStringConvertible {
    case badModelSpec(String)
    case duplicateName(String)
    case duplicatePair(String, String, String)
    case noModels
    case keysFile(path: String, line: Int, reason: String)

    public var description: String {
        switch self {
        case .badModelSpec(let s): return "--model \(s): expected NAME=DIR or DIR"
        case .duplicateName(let n): return "two models are named \(n)"
        case let .duplicatePair(a, b, pair): return "models \(a) and \(b) both translate \(pair): give one of them"
        case .noModels: return "no model: give --model NAME=DIR"
        case let .keysFile(path, line, reason): return "\(path):\(line): \(reason)"
        }
    }
}

/// Decoding settings shared by every model of a server.
public struct DecodeSettings: Sendable {
    public var beam: Int?                     // nil: the model's decoding.json, else 5
    public var lengthPenalty: Float?          // nil: the model's decoding.json, else 0.6
    public var mbr: Float?                    // nil: the model's decoding.json, else 0 (off)
    public var maxBatch = 32
    public var maxWaitMilliseconds = 5.0
    public var queueLimit = 256
    public var maxAlternatives = 4
    public init() {}
}

public final class ServedModel: @unchecked Sendable {
    public let name: String
    public let directory: String
    public let source: String
    public let target: String
    /// The beam it decodes with (the server's --beam, else its decoding.json's, else 5).
    public let beam: Int
    /// Its minimum Bayes risk scale (0: off), from the server's --mbr, else its decoding.json.
    public let mbr: Float
    public let batcher: DynamicBatcher

    /// `members`: one model, or an ensemble's (loaded from the ensemble directory `directory`).
    init(name: String, directory: String, members: [LoadedModel<Seq2Seq>], settings: DecodeSettings,
         observer: @escaping @Sendable (String, Int, Double, Int) -> Void) throws {
        let loaded = members[0]
        self.name = name
        self.directory = EnsembleDirectory.isEnsemble(directory) ? directory : loaded.directory
        source = loaded.sourceVocab.settings.lang
        target = loaded.targetVocab.settings.lang
        let tuned = try DecodingDefaults.load(modelDirectory: self.directory)
        beam = DecodingDefaults.beamSize(given: settings.beam, tuned: tuned)
        mbr = DecodingDefaults.mbrScale(given: settings.mbr, tuned: tuned)
        let options = TranslateOptions(beamSize: beam, lengthPenalty: DecodingDefaults.lengthPenalty(given: settings.lengthPenalty, tuned: tuned),
                                       batchSize: settings.maxBatch, mbr: mbr)
        let translator = try Translator(ensemble: members, options: options)
        if EnsembleDirectory.isEnsemble(directory) { try translator.addRescorers(EnsembleDirectory.rescorers(directory)) }
        batcher = DynamicBatcher(translator: translator, maxBatch: settings.maxBatch, maxWait: settings.maxWaitMilliseconds / 1000,
                          queueLimit: settings.queueLimit) { n, s, q in observer(name, n, s, q) }
    }
}

/// Every model of the server, by name and by language pair.
public final class ModelRegistry: @unchecked Sendable {
    public let models: [ServedModel]
    public let settings: DecodeSettings

    public init(specs: [ModelSpec], settings: DecodeSettings,
                observer: @escaping @Sendable (String, Int, Double, Int) -> Void = { _, _, _, _ in }) throws {
        guard !specs.isEmpty else { throw ServeConfigError.noModels }
        var models: [ServedModel] = []
        // On an error, the batchers already started are stopped (their threads would hold them).
        var done = false
        defer { if !done { for m in models { m.batcher.stop() } } }
        for spec in specs {
            let members = try ModelDirectory.loadMembers(spec.path, as: Seq2Seq.self)
            let loaded = members[0]
            let name = spec.name ?? "\(loaded.sourceVocab.settings.lang)-\(loaded.targetVocab.settings.lang)"
            if models.contains(where: { $0.name == name }) { throw ServeConfigError.duplicateName(name) }
            let source = loaded.sourceVocab.settings.lang, target = loaded.targetVocab.settings.lang
            if let other = models.first(where: { $0.source == source && $0.target == target }) {
                throw ServeConfigError.duplicatePair(other.name, name, "\(source)→\(target)")
            }
            let m = try ServedModel(name: name, directory: spec.path, members: members, settings: settings, observer: observer)
            models.append(m)
        }
        self.models = models
        self.settings = settings
        done = true
    }

    public func model(named name: String) -> ServedModel? { models.first { $0.name == name } }

    public func model(source: String, target: String) -> ServedModel? {
        models.first { $0.source == source && $0.target == target }
    }

    /// Finishes queued work and stops every batcher.
    public func stop() { for m in models { m.batcher.stop() } }
}
