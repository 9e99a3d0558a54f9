import Foundation
import NMTModel
import NMTStore
import NMTText

/// best/ and last/ checkpoints of a fill training run (same protocol as Checkpoint).
public enum FillCheckpoint {
    static func join(_ a: String, _ b: String) -> String { ModelDirectory.join(a, b) }

    public static func saveModel(_ model: FillModel, vocab: Vocabulary, corpus: [String], dir: String, name: String,
                                 state: TrainingState? = nil) throws {
        try Checkpoint.save(model.arena, dir: dir, name: name, state: state) { tmp in
            try FillModelDirectory.save(model, vocab: vocab, corpus: corpus, to: tmp)
        }
    }

    /// Loads `dir/last` (or `.last.old`): the model with its Adam moments, and the state.
    public static func resume(_ dir: String) throws -> (LoadedFillModel, TrainingState) {
        let last = try Checkpoint.lastDirectory(dir)
        let loaded = try FillModelDirectory.load(last)
        let state = try Checkpoint.readState(last)
        try Checkpoint.loadMoments(last, into: loaded.model.arena)
        return (loaded, state)
    }
}

/// What a fill training run was started with (run.json), for --resume.
public struct FillRunRecord: Codable, Sendable, Equatable {
    public var task = "fill"
    public var corpus: [String]
    public var valid: String?
    public var options: TrainerOptions
    public var maxLength: Int

    public init(corpus: [String], valid: String?, options: TrainerOptions, maxLength: Int) {
        self.corpus = corpus; self.valid = valid; self.options = options; self.maxLength = maxLength
    }

    public func save(_ dir: String) throws {
        let enc = JSONEncoder()
        enc.outputFormatting = [.prettyPrinted, .sortedKeys]
        try AtomicFile.write(Array(try enc.encode(self)) + [0x0A], to: ModelDirectory.join(dir, RunRecord.file), force: true)
    }

    public static func load(_ dir: String) throws -> FillRunRecord {
        let path = ModelDirectory.join(dir, RunRecord.file)
        guard let data = FileManager.default.contents(atPath: path) else {
            throw CheckpointError.corrupt(path: path, reason: "missing: the run's settings are needed to resume")
        }
        do { return try JSONDecoder().decode(FillRunRecord.self, from: data) } catch {
            throw CheckpointError.corrupt(path: path, reason: "not a fill training run, or unreadable run settings (\(error))")
        }
    }
}
