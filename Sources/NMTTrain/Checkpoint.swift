// Training checkpoints: `last/` is a complete model directory plus
//
//   optimizer.safetensors   Adam's first and second moments ("m.<param>", "v.<param>") and,
//                           with --ema, the moving average of the weights ("ema.<param>")
//   training-state.json     step, epoch, position in the epoch, RNG state, learning rate,
//                           best validation score, patience counters, options
//
// A checkpoint is written into `<dir>/.last.tmp/`, then swapped in by renames
// (last → .last.old, .last.tmp → last, remove .last.old), so a crash at any moment leaves
// either the old or the new checkpoint whole; `resume` falls back to .last.old if it finds
// no last/.

import Foundation
import NMTLayers
import NMTModel
import NMTStore
import NMTTensor
import NMTText

public struct TrainingState: Codable, Sendable, Equatable {
    public var step = 0
    public var epoch = 0
    /// Batches of `epoch` already taken.
    public var batchInEpoch = 0
    /// The dropout generator's state, as four hex words (JSON numbers cannot hold 64 bits).
    public var rng: [String] = []
    public var adamStep = 0
    public var learningRate: Float = 1e-3
    public var bestScore: Double?
    public var bestStep = 0
    /// Validations in a row without a new best (drives learning-rate halving and early stopping).
    public var validationsWithoutImprovement = 0
    public var learningRateHalvings = 0
    public var trainingSeconds = 0.0
    public var targetTokensSeen = 0
    public var finished = false
    /// With several processes: each rank's dropout generator (as `rng`), by rank; nil for one.
    public var rankRNG: [[String]]?

    public init() {}

    public var rngState: RNG {
        get { RNG(stateWords: rng.map { UInt64($0, radix: 16)! }) }
        set { rng = newValue.stateWords.map { String($0, radix: 16) } }
    }

    enum CodingKeys: String, CodingKey {
        case step, epoch, rng, finished
        case batchInEpoch = "batch_in_epoch"
        case adamStep = "adam_step"
        case learningRate = "learning_rate"
        case bestScore = "best_score"
        case bestStep = "best_step"
        case validationsWithoutImprovement = "validations_without_improvement"
        case learningRateHalvings = "learning_rate_halvings"
        case trainingSeconds = "training_seconds"
        case targetTokensSeen = "target_tokens_seen"
        case rankRNG = "rank_rng"
    }
}

public enum CheckpointError: Error, CustomStringConvertible {
    case notResumable(String)
    case corrupt(path: String, reason: String)
    case nonFinite(String)
    case writeFailed(path: String, reason: String)

    public var description: String {
        switch self {
        case .writeFailed(let p, let r):
            return "\(p): the checkpoint could not be written (\(r))"
        case .notResumable(let p): return "\(p): no checkpoint to resume from (no last/training-state.json)"
        case .corrupt(let p, let r): return "\(p): \(r)"
        case .nonFinite(let what): return "refusing to save: \(what) holds a NaN or infinite value"
        }
    }
}

public enum Checkpoint {
    public static let stateFile = "training-state.json"
    public static let optimizerFile = "optimizer.safetensors"

    static func join(_ a: String, _ b: String) -> String { ModelDirectory.join(a, b) }

    /// True when `dir` holds a checkpoint that `resume` can continue.
    public static func isResumable(_ dir: String) -> Bool {
        AtomicFile.fileExists(join(join(dir, "last"), stateFile))
            || AtomicFile.fileExists(join(join(dir, ".last.old"), stateFile))
    }

    static func allFinite(_ p: UnsafeMutablePointer<Float>, _ n: Int) -> Bool {
        for i in 0..<n where !p[i].isFinite { return false }
        return true
    }

    /// Saves the model as a model directory at `dir/<name>` (atomically swapped in): the model
    /// directory is written into `<dir>/.<name>.tmp`; with a state, the optimizer file (Adam's
    /// moments and the moving average of the weights, when there is one) and the training state
    /// join it; then the directory is swapped in by renames.
    public static func save<Model: StoredModel>(_ model: Model, vocabularies: [String: Vocabulary], corpus: [String] = [],
                                                dir: String, name: String, state: TrainingState? = nil) throws {
        let arena = model.arena
        guard allFinite(arena.values, arena.count) else { throw CheckpointError.nonFinite("the model") }
        // A name with a directory part (checkpoints/step-N) is saved inside that subdirectory.
        let slash = name.lastIndex(of: "/")
        let base = slash.map { join(dir, String(name[..<$0])) } ?? dir
        let leaf = slash.map { String(name[name.index(after: $0)...]) } ?? name
        let tmp = join(base, ".\(leaf).tmp"), final = join(base, leaf), old = join(base, ".\(leaf).old")
        let fm = FileManager.default
        do {
            // A run directory that vanished (deleted, unmounted) is not silently made anew.
            guard AtomicFile.fileExists(dir) else { throw CheckpointError.corrupt(path: dir, reason: "the run directory no longer exists") }
            if base != dir { try AtomicFile.createDirectories(base) }
            try stageHook?(name, "begin")
            try? fm.removeItem(atPath: tmp)
            try write(model, vocabularies: vocabularies, corpus: corpus, to: tmp, name: name, state: state)
        } catch {
            try? fm.removeItem(atPath: tmp)
            throw CheckpointError.writeFailed(path: final, reason: "\(error)")
        }
        try? fm.removeItem(atPath: old)
        if fm.fileExists(atPath: final) { try fm.moveItem(atPath: final, toPath: old) }
        try? stageHook?(name, "old-moved")
        try fm.moveItem(atPath: tmp, toPath: final)
        try? stageHook?(name, "swapped")
        try? fm.removeItem(atPath: old)
        syncDirectory(base)
    }

    /// The subdirectory of a run that holds the checkpoints kept by --keep-checkpoints.
    public static let keptDirectory = "checkpoints"

    /// The name (relative to the run directory) of the checkpoint kept at `step`.
    public static func keptName(step: Int) -> String { keptDirectory + "/" + String(format: "step-%07d", step) }

    /// The checkpoints kept in run `dir` (checkpoints/step-N with a config.json), oldest first.
    public static func kept(_ dir: String) -> [(name: String, step: Int)] {
        let kd = join(dir, keptDirectory)
        let names = (try? FileManager.default.contentsOfDirectory(atPath: kd)) ?? []
        return names.compactMap { n -> (String, Int)? in
            guard n.hasPrefix("step-"), let s = Int(n.dropFirst(5)), AtomicFile.fileExists(join(join(kd, n), ModelDirectory.configFile)) else { return nil }
            return (n, s)
        }.sorted { $0.1 < $1.1 }
    }

    /// The files of checkpoint `name`, into its temporary directory `tmp`.
    static func write<Model: StoredModel>(_ model: Model, vocabularies: [String: Vocabulary], corpus: [String], to tmp: String,
                                          name: String, state: TrainingState?) throws {
        let arena = model.arena
        try ModelDirectory.save(model, vocabularies: vocabularies, corpus: corpus, to: tmp)
        try stageHook?(name, "model-written")
        if let state {
            var tensors: [(name: String, shape: [Int], data: UnsafePointer<Float>)] = []
            for p in arena.params { tensors.append(("m.\(p.name)", p.shape, UnsafePointer(arena.adamM + p.offset))) }
            for p in arena.params { tensors.append(("v.\(p.name)", p.shape, UnsafePointer(arena.adamV + p.offset))) }
            if let a = arena.average {
                for p in arena.params { tensors.append(("ema.\(p.name)", p.shape, UnsafePointer(a + p.offset))) }
            }
            try AtomicFile.write(Safetensors.encode(tensors), to: join(tmp, optimizerFile), force: true)
            let enc = JSONEncoder()
            enc.outputFormatting = [.prettyPrinted, .sortedKeys]
            try AtomicFile.write(Array(try enc.encode(state)) + [0x0A], to: join(tmp, stateFile), force: true)
        }
        try stageHook?(name, "complete")
    }

    /// The points of a checkpoint write, in order, that `stageHook` sees: before anything,
    /// the model directory written to `.<name>.tmp`, the optimizer and state files too, the old
    /// checkpoint renamed to `.<name>.old`, the new one renamed into place.
    public static let stages = ["begin", "model-written", "complete", "old-moved", "swapped"]

    /// Fault injection (nmt-train's hidden --debug-kill-in-checkpoint and --debug-fail-checkpoint):
    /// called with the checkpoint's name and each of `stages` as a write passes it; an error it
    /// throws in the first three stages fails the write as a full disk would. Nil in normal runs.
    nonisolated(unsafe) public static var stageHook: ((_ name: String, _ stage: String) throws -> Void)?

    /// After a crash between the two renames of a save, `<name>` is missing and `.<name>.old`
    /// holds the previous checkpoint whole: renames it back, for last/ and best/. A leftover
    /// `.<name>.tmp` is removed by the next save.
    public static func recover(_ dir: String) {
        for name in ["last", "best"] {
            let final = join(dir, name), old = join(dir, ".\(name).old")
            if !AtomicFile.fileExists(final) && AtomicFile.fileExists(old) && rename(old, final) == 0 { syncDirectory(dir) }
        }
    }

    static func syncDirectory(_ dir: String) {
        let fd = open(dir, O_RDONLY)
        if fd >= 0 { fsync(fd); close(fd) }
    }

    /// Loads `dir/last` (or `.last.old`): the model with its Adam moments, and the state.
    public static func resume<Model: StoredModel>(_ dir: String, as: Model.Type) throws -> (LoadedModel<Model>, TrainingState) {
        recover(dir)
        let last = try lastDirectory(dir)
        let loaded = try ModelDirectory.load(last, as: Model.self)
        let state = try readState(last)
        try loadMoments(last, into: loaded.model.arena)
        return (loaded, state)
    }

    /// The checkpoint directory to resume from: `dir/last`, or `dir/.last.old` after a crash
    /// between the two renames of a save.
    public static func lastDirectory(_ dir: String) throws -> String {
        var last = join(dir, "last")
        if !AtomicFile.fileExists(join(last, stateFile)) { last = join(dir, ".last.old") }
        guard AtomicFile.fileExists(join(last, stateFile)) else { throw CheckpointError.notResumable(dir) }
        return last
    }

    /// The training state saved in a checkpoint directory.
    public static func readState(_ last: String) throws -> TrainingState {
        let statePath = join(last, stateFile)
        do {
            let state = try JSONDecoder().decode(TrainingState.self, from: Data(contentsOf: URL(fileURLWithPath: statePath)))
            _ = state.rngState
            return state
        } catch {
            throw CheckpointError.corrupt(path: statePath, reason: "unreadable training state (\(error))")
        }
    }

    /// Restores Adam's moments from a checkpoint directory into `arena` (names and shapes checked).
    public static func loadMoments(_ last: String, into arena: ParameterArena) throws {
        let optPath = join(last, optimizerFile)
        guard let bytes = FileManager.default.contents(atPath: optPath) else {
            throw CheckpointError.corrupt(path: optPath, reason: "missing optimizer state")
        }
        do {
            let (tensors, _) = try Safetensors.decode(Array(bytes))
            for p in arena.params {
                guard let m = tensors["m.\(p.name)"], let v = tensors["v.\(p.name)"], m.shape == p.shape, v.shape == p.shape else {
                    throw CheckpointError.corrupt(path: optPath, reason: "moments of \(p.name) missing or misshapen")
                }
                m.values.withUnsafeBufferPointer { (arena.adamM + p.offset).update(from: $0.baseAddress!, count: p.count) }
                v.values.withUnsafeBufferPointer { (arena.adamV + p.offset).update(from: $0.baseAddress!, count: p.count) }
            }
            // The moving average of the weights, saved when training kept one.
            if arena.params.contains(where: { tensors["ema.\($0.name)"] != nil }) {
                arena.enableAverage()
                for p in arena.params {
                    guard let a = tensors["ema.\(p.name)"], a.shape == p.shape else {
                        throw CheckpointError.corrupt(path: optPath, reason: "moving average of \(p.name) missing or misshapen")
                    }
                    a.values.withUnsafeBufferPointer { (arena.average! + p.offset).update(from: $0.baseAddress!, count: p.count) }
                }
            }
        } catch let e as CheckpointError {
            throw e
        } catch {
            throw CheckpointError.corrupt(path: optPath, reason: "\(error)")
        }
    }
}
