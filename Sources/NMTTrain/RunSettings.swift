// The options a run was started with, by the long name of their flag, and what a resume may
// change.
//
// A run's record (run.json, "command") holds every option of the command that started it with
// the value it had, given or default: {"dropout": "0.3", "max-len": "80", "threads": "2", …}
// (an option without a value, such as a vocabulary built from the corpus, is absent). A plain
// `--resume DIR` reuses them all, the thread count included. An option given again with
// --resume must equal its recorded value, unless it is one of `mayChange` (budgets, validation
// and logging frequency, threads); a new --learning-rate also needs --reset-learning-rate, as
// OpenNMT-py's -reset_optim. Anything else is refused with the option, its recorded value and
// the given one.

public struct RunSettings: Sendable, Equatable {
    public var values: [String: String]

    public init(_ values: [String: String]) { self.values = values }

    /// Options a resumed run may take anew.
    public static let mayChange: [String] = ["max-minutes", "max-steps", "max-epochs", "valid-every", "log-every", "threads",
                                             "keep-checkpoints"]
    /// The option that needs `--reset-learning-rate` to change.
    public static let learningRate = "learning-rate"

    public subscript(_ option: String) -> String? { values[option] }

    public enum Conflict: Error, CustomStringConvertible, Equatable {
        case differs(option: String, recorded: String, given: String)
        case notRecorded(option: String, given: String)
        case learningRate(recorded: String, given: String)

        public var description: String {
            switch self {
            case let .differs(option, recorded, given):
                return "--\(option) \(given): this run was started with --\(option) \(recorded), and a resumed run keeps "
                    + "its options (only " + RunSettings.mayChange.map { "--\($0)" }.joined(separator: ", ")
                    + " may change; start a new run for other values)"
            case let .notRecorded(option, given):
                return "--\(option) \(given): this run's record holds no value for --\(option) (the run started without it, "
                    + "or an older version wrote the record); resume without it"
            case let .learningRate(recorded, given):
                return "--learning-rate \(given): this run was started with --learning-rate \(recorded); "
                    + "add --reset-learning-rate to continue with the new rate"
            }
        }
    }

    /// The settings a resumed run continues with: these (the recorded ones), with each option of
    /// `given` (an option given on the command line → its value now) checked and, where allowed,
    /// applied. Throws the first conflict in the order of the option names.
    public func resumed(given: [String: String], resetLearningRate: Bool) throws -> RunSettings {
        var out = self
        for (option, value) in given.sorted(by: { $0.key < $1.key }) {
            if RunSettings.mayChange.contains(option) {
                out.values[option] = value
                continue
            }
            guard let recorded = values[option] else { throw Conflict.notRecorded(option: option, given: value) }
            if recorded == value { continue }
            if option == RunSettings.learningRate {
                guard resetLearningRate else { throw Conflict.learningRate(recorded: recorded, given: value) }
                out.values[option] = value
                continue
            }
            throw Conflict.differs(option: option, recorded: recorded, given: value)
        }
        return out
    }

    /// The options in which `other` differs from these (the given value first), for logs.
    public func changes(to other: RunSettings) -> [String] {
        Set(values.keys).union(other.values.keys).sorted().compactMap { k in
            values[k] == other.values[k] ? nil : "--\(k) \(values[k] ?? "(none)") → \(other.values[k] ?? "(none)")"
        }
    }

    /// The TrainerOptions fields a run records, by flag name: one table for writing and reading.
    typealias Field = (key: String, get: @Sendable (TrainerOptions) -> String, set: @Sendable (inout TrainerOptions, String) -> Void)
    static let trainerFields: [Field] = [
        field("batch-tokens", \.batchTokens), field("max-epochs", \.maxEpochs), field("max-minutes", \.maxMinutes),
        field("max-steps", \.maxSteps), field("learning-rate", \.learningRate), field("clip-norm", \.clipNorm),
        field("patience", \.patience), field("early-stop", \.earlyStop), field("valid-every", \.validEvery),
        field("log-every", \.logEvery), field("seed", \.seed), field("ema-decay", \.emaDecay),
        field("keep-checkpoints", \.keepCheckpoints), field("accum", \.accum), field("anneal", \.anneal),
    ]

    static func field<T: LosslessStringConvertible>(_ key: String, _ path: WritableKeyPath<TrainerOptions, T> & Sendable) -> Field {
        (key, { "\($0[keyPath: path])" }, { o, s in if let v = T(s) { o[keyPath: path] = v } })
    }

    /// The settings TrainerOptions hold, in the form the command line gives them.
    public static func trainer(_ o: TrainerOptions) -> [String: String] {
        Dictionary(uniqueKeysWithValues: trainerFields.map { ($0.key, $0.get(o)) })
    }

    /// `options` with the values of these settings applied (the keys `trainer` writes).
    public func applied(to options: TrainerOptions) -> TrainerOptions {
        var o = options
        for f in RunSettings.trainerFields { if let s = values[f.key] { f.set(&o, s) } }
        return o
    }
}
