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
    public static let mayChange: [String] = ["max-minutes", "max-steps", "max-epochs", "valid-every", "log-every", "threads"]
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

    /// The settings TrainerOptions hold, in the form the command line gives them.
    public static func trainer(_ o: TrainerOptions) -> [String: String] {
        ["batch-tokens": "\(o.batchTokens)", "max-epochs": "\(o.maxEpochs)", "max-minutes": "\(o.maxMinutes)",
         "max-steps": "\(o.maxSteps)", "learning-rate": "\(o.learningRate)", "clip-norm": "\(o.clipNorm)",
         "patience": "\(o.patience)", "early-stop": "\(o.earlyStop)", "valid-every": "\(o.validEvery)",
         "log-every": "\(o.logEvery)", "seed": "\(o.seed)", "ema-decay": "\(o.emaDecay)"]
    }

    /// `options` with the values of these settings applied (the keys `trainer` writes).
    public func applied(to options: TrainerOptions) -> TrainerOptions {
        var o = options
        func set<T: LosslessStringConvertible>(_ key: String, _ path: WritableKeyPath<TrainerOptions, T>) {
            if let s = values[key], let v = T(s) { o[keyPath: path] = v }
        }
        set("batch-tokens", \.batchTokens); set("max-epochs", \.maxEpochs); set("max-minutes", \.maxMinutes)
        set("max-steps", \.maxSteps); set("learning-rate", \.learningRate); set("clip-norm", \.clipNorm)
        set("patience", \.patience); set("early-stop", \.earlyStop); set("valid-every", \.validEvery)
        set("log-every", \.logEvery); set("seed", \.seed); set("ema-decay", \.emaDecay)
        return o
    }
}
