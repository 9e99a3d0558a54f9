// What every training run is told (TrainerOptions, recorded in a run's training state) and what
// the loop (TrainingLoop.swift) reports back: progress to an observer, a divergence error, and
// each validation's result.

import Foundation

public struct TrainerOptions: Codable, Sendable, Equatable {
    public var batchTokens = 1200
    public var maxEpochs = 20
    public var maxMinutes: Double = 0        // 0: no time budget
    public var maxSteps = 0                  // 0: no step budget
    public var learningRate: Float = 1e-3
    public var clipNorm: Double = 5
    public var patience = 2                  // validations without improvement before halving the rate
    public var earlyStop = 6                 // validations without improvement before stopping
    public var minLearningRate: Float = 1e-5
    public var validEvery = 0                // also validate every N steps (0: once per epoch)
    public var logEvery = 100
    public var seed: UInt64 = 1
    public var maxBadBatches = 5             // non-finite losses in a row before giving up
    /// Exponential moving average of the weights (0: off); step t uses decay
    /// min(emaDecay, (1 + t) / (10 + t)). Validation measures the raw and the averaged weights
    /// and keeps the better as best/.
    public var emaDecay: Float = 0
    /// Validation checkpoints kept in checkpoints/step-N (the weights each validation judged
    /// better, as for best/), the newest N; for `nmt-train average` (0: none).
    public var keepCheckpoints = 0
    /// Batches per process and update (gradient accumulation): an update's global batch is
    /// accum × processes consecutive batches of the seeded order.
    public var accum = 1
    /// Lower the learning rate linearly to 0 over the last `anneal` share of the run (0: off):
    /// the rate of an update is the current rate (after any halvings) times
    /// `annealFactor(progress:)`, progress being the largest share spent of the budgets
    /// (`budgetProgress`).
    public var anneal: Double = 0
    public init() {}

    /// The learning rate's factor at `progress` (0…1) through the run: 1 until the last
    /// `anneal` share begins, then falling linearly to 0 at the end.
    public func annealFactor(progress: Double) -> Float {
        guard anneal > 0, progress > 1 - anneal else { return 1 }
        return Float(max(0, min(1, (1 - progress) / anneal)))
    }

    /// How far a run is through its budgets, 0…1: the largest share spent of the epoch budget
    /// (epochs done plus the share of this one), the step budget and, when `clockAgreed` (one
    /// process: under mpirun the processes' clocks differ), the time budget.
    public func budgetProgress(epoch: Int, batchInEpoch: Int, batchesInEpoch: Int, step: Int, seconds: Double,
                               clockAgreed: Bool = true) -> Double {
        var p = (Double(epoch) + Double(batchInEpoch) / Double(max(batchesInEpoch, 1))) / Double(max(maxEpochs, 1))
        if maxSteps > 0 { p = max(p, Double(step) / Double(maxSteps)) }
        if maxMinutes > 0 && clockAgreed { p = max(p, seconds / (maxMinutes * 60)) }
        return min(max(p, 0), 1)
    }

    /// Options added after run records existed, with the value a run that lacks them had.
    static var addedDefaults: [String: Any] { ["keepCheckpoints": 0, "accum": 1, "anneal": 0] }

    /// Values for options that a version 1 run.json may lack (they did not exist when it was
    /// written, so the run had them off or at these values).
    static var version1Defaults: [String: Any] {
        let d = TrainerOptions()
        return ["batchTokens": d.batchTokens, "maxEpochs": d.maxEpochs, "maxMinutes": d.maxMinutes, "maxSteps": d.maxSteps,
                "learningRate": d.learningRate, "clipNorm": d.clipNorm, "patience": d.patience, "earlyStop": d.earlyStop,
                "minLearningRate": d.minLearningRate, "validEvery": d.validEvery, "logEvery": d.logEvery, "seed": d.seed,
                "maxBadBatches": d.maxBadBatches, "emaDecay": 0].merging(addedDefaults) { a, _ in a }
    }
}

/// What the trainer reports as it goes (the CLI prints it; tests ignore it).
public protocol TrainingObserver: AnyObject {
    func trainingProgress(epoch: Int, batch: Int, batches: Int, loss: Double, tokensPerSecond: Double, learningRate: Float)
    func logLine(_ line: String)
}

public enum TrainingError: Error, CustomStringConvertible {
    case diverged(step: Int)
    case annealNeedsSteps
    public var description: String {
        switch self {
        case .diverged(let s): return "training stopped at step \(s): the loss was NaN or infinite on too many batches in a row (lower --learning-rate or check the data)"
        case .annealNeedsSteps:
            return "--anneal under mpirun follows the step or epoch budget (the processes' clocks differ): give --max-steps with --max-minutes"
        }
    }
}

/// One validation: a score (higher is better), fields for train.log.jsonl and a short text.
public struct ValidationResult {
    public var score: Double
    public var fields: [String: Any]
    public var text: String
}
