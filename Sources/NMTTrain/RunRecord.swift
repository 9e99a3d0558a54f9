// What a training run was started with, saved as `run.json` in the output directory so that
// `--resume DIR` needs nothing else. One format for every task:
//
//   {"version": 2, "task": "translation" | "fill" | "lm",
//    "train": translation [source, target] / fill [corpus files…],
//    "valid": the validation files in the same roles ([] without validation),
//    "max_length": sentences longer than this (tokens) were dropped (0: no limit),
//    "options": TrainerOptions, every field present,
//    "arithmetic": {"threads": N, "kernels": "generic" | "avx2" | "avx512"}: what the sums ran on;
//                  absent in records written before it existed,
//    "command": every option of the command, by flag name, with the value the run uses
//               (RunSettings; absent in version 2, which `settings` completes from what it holds),
//    "ranks": the number of processes (mpirun -np N) that train it; absent for one}
//
// Version 1 (before the tasks shared it) is read by `migrate`; version 2 lacks only "command".

import Foundation
import NMTStore
import NMTTensor
import NMTText

public struct RunRecord: Codable, Sendable, Equatable {
    public static let file = "run.json"
    public static let currentVersion = 3

    public var version = RunRecord.currentVersion
    public var task: ModelTask
    public var train: [String]
    public var valid: [String]
    public var maxLength: Int
    public var options: TrainerOptions
    /// The thread count and instruction-set level the run started with (nil: not recorded).
    public var arithmetic: Arithmetic?
    /// Every option of the command that started the run (or resumed it last), by flag name.
    public var command: [String: String]?
    /// The number of processes that train the run (data-parallel over MPI); nil: one.
    public var ranks: Int?

    /// What a run's floating-point sums depend on besides its data and options: the engines'
    /// thread count and the instruction-set level (Kernels.path). A run resumed with other
    /// values continues correctly but not bit-identically to one that never stopped.
    public struct Arithmetic: Codable, Sendable, Equatable, CustomStringConvertible {
        public var threads: Int
        public var kernels: String
        public init(threads: Int, kernels: String) { self.threads = threads; self.kernels = kernels }
        public static var current: Arithmetic { Arithmetic(threads: BLASThreads.count, kernels: Kernels.path.rawValue) }
        public var description: String { "\(threads) thread\(threads == 1 ? "" : "s"), kernels \(kernels)" }
    }

    public init(task: ModelTask, train: [String], valid: [String], maxLength: Int, options: TrainerOptions,
                arithmetic: Arithmetic? = .current, command: [String: String]? = nil) {
        self.task = task; self.train = train; self.valid = valid; self.maxLength = maxLength; self.options = options
        self.arithmetic = arithmetic
        self.command = command
    }

    /// The run's options by flag name: the recorded command; for a record written before
    /// commands were recorded, what it holds (the trainer's options, the length limit, the
    /// thread count). The model's own options come from its config (the caller adds them).
    public var settings: RunSettings {
        if let command { return RunSettings(command) }
        var s = RunSettings.trainer(options)
        s["max-len"] = "\(maxLength)"
        if let arithmetic { s["threads"] = "\(arithmetic.threads)" }
        return RunSettings(s)
    }

    /// For a resumed run: a one-line note when this process computes differently from the run's start.
    public func arithmeticChange(now: Arithmetic = .current) -> String? {
        guard let was = arithmetic, was != now else { return nil }
        return "note: this run started with \(was) and resumes with \(now): it continues correctly, "
            + "but not bit-identically to a run that never stopped"
    }

    enum CodingKeys: String, CodingKey {
        case version, task, train, valid, options, arithmetic, command, ranks
        case maxLength = "max_length"
    }

    public func save(_ dir: String) throws {
        let enc = JSONEncoder()
        enc.outputFormatting = [.prettyPrinted, .sortedKeys]
        try AtomicFile.write(Array(try enc.encode(self)) + [0x0A], to: ModelDirectory.join(dir, RunRecord.file), force: true)
    }

    /// Reads `dir/run.json` of a run of `task` (older versions migrated).
    public static func load(_ dir: String, task: ModelTask) throws -> RunRecord {
        let path = ModelDirectory.join(dir, file)
        guard let data = FileManager.default.contents(atPath: path) else {
            throw CheckpointError.corrupt(path: path, reason: "missing: the run's settings are needed to resume")
        }
        let record: RunRecord
        do {
            guard var json = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
                throw CheckpointError.corrupt(path: path, reason: "not a JSON object")
            }
            let version = json["version"] as? Int ?? 1
            guard version <= currentVersion else {
                throw CheckpointError.corrupt(path: path, reason: "run format version \(version) is newer than this program (\(currentVersion))")
            }
            if version == 1 { json = migrate(json) }
            if var options = json["options"] as? [String: Any] {
                for (key, value) in TrainerOptions.addedDefaults where options[key] == nil { options[key] = value }
                json["options"] = options
            }
            record = try JSONDecoder().decode(RunRecord.self, from: JSONSerialization.data(withJSONObject: json))
        } catch let e as CheckpointError {
            throw e
        } catch {
            throw CheckpointError.corrupt(path: path, reason: "unreadable run settings (\(error))")
        }
        guard record.task == task else {
            throw CheckpointError.corrupt(path: path, reason: "a \(record.task.rawValue) run, not a \(task.rawValue) run")
        }
        return record
    }

    /// Version 1 had no "version": a translation run recorded src, tgt, validSrc, validTgt and
    /// no length limit (it resumed with the command line's --max-len, whose default is 80); a
    /// fill run recorded task "fill", corpus, valid and maxLength. Options added after a run
    /// was written take the values that run had: emaDecay 0 (no moving average).
    static func migrate(_ v1: [String: Any]) -> [String: Any] {
        var out: [String: Any] = ["version": currentVersion]
        if v1["task"] as? String == ModelTask.fill.rawValue {
            out["task"] = ModelTask.fill.rawValue
            out["train"] = v1["corpus"] ?? [String]()
            out["valid"] = (v1["valid"] as? String).map { [$0] } ?? [String]()
            out["max_length"] = v1["maxLength"] ?? 0
        } else {
            out["task"] = ModelTask.translation.rawValue
            out["train"] = [v1["src"] ?? "", v1["tgt"] ?? ""]
            if let s = v1["validSrc"] as? String, let t = v1["validTgt"] as? String { out["valid"] = [s, t] } else { out["valid"] = [String]() }
            out["max_length"] = 80
        }
        var options = v1["options"] as? [String: Any] ?? [:]
        let defaults = TrainerOptions.version1Defaults
        for (key, value) in defaults where options[key] == nil { options[key] = value }
        out["options"] = options
        return out
    }
}
