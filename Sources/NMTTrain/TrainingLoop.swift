// The training loop shared by every kind of model: batches in a seeded order, forward/backward,
// NaN guard, global-norm clipping, Adam, an optional moving average of the weights, periodic
// logs, validation, learning-rate halving and annealing (--anneal), early stopping, time
// budgets, checkpoints of best/ and last/, and exact resume. Trainer (translation) and
// FillTrainer (fill-in-the-blank) say only what a batch, a validation and a checkpoint are.
//
// Exact resume: the batch order of an epoch depends only on (seed, epoch); the dropout
// generator, Adam's moments and step, the moving average and the position in the epoch are
// saved in last/. A run stopped after N steps and resumed ends with the same weights, bit for
// bit, as one that never stopped (same thread count).

import Foundation
import NMTLayers
import NMTModel
import NMTStore
import NMTTensor
import NMTText

/// The loop; subclasses supply the model's batches, validation and checkpoints.
public class TrainingLoop {
    public let options: TrainerOptions
    public let outputDir: String
    public var state: TrainingState
    public weak var observer: TrainingObserver?
    /// Set (e.g. from a signal handler) to stop after the current batch, saving last/.
    public let stopRequested = StopFlag()

    let arena: ParameterArena
    let batcher: Batcher
    /// The processes of the run (one without MPI); rank 0 alone validates, logs and saves.
    public let collective: Collective
    /// Test seam (nmt-train's hidden --debug-accum-as-one-batch): a single process trains each
    /// update's batches as one batch (their union) instead of accumulating them one by one.
    public var accumulateAsOneBatch = false
    /// Every this many updates, the processes compare a hash of their weights (0: never).
    public var checkSyncEvery = 0
    var adam: Adam
    var log: BufferedWriter?
    /// How the logs name the tokens counted for tokens/s.
    var tokenUnit = "tok/s"

    init(arena: ParameterArena, batcher: Batcher, options: TrainerOptions, outputDir: String, state: TrainingState?,
         collective: Collective) throws {
        self.arena = arena
        self.batcher = batcher
        self.collective = collective
        self.options = options
        self.outputDir = outputDir
        if let state {
            self.state = state
        } else {
            var s = TrainingState()
            s.rngState = RNG(seed: options.seed &+ 0xD0 &+ UInt64(collective.rank) &* 0x9E37_79B9_7F4A_7C15)
            s.learningRate = options.learningRate
            self.state = s
        }
        adam = Adam(AdamConfig(learningRate: self.state.learningRate))
        adam.step = self.state.adamStep
        if options.emaDecay > 0 { arena.enableAverage() }
        if let state {
            let recorded = state.rankRNG?.count ?? 1
            guard recorded == collective.size else {
                throw CollectiveError.rankCount(dir: outputDir, recorded: recorded, now: collective.size)
            }
            if let words = state.rankRNG { self.state.rng = words[collective.rank] }
        }
        guard collective.rank == 0 else { return }   // the other ranks write nothing
        try AtomicFile.createDirectories(outputDir)
        let logPath = ModelDirectory.join(outputDir, "train.log.jsonl")
        if state != nil { try TrainingLoop.trimLog(logPath, after: self.state.step) }
        log = try TrainingLoop.openLog(logPath)
    }

    /// Fault injection (nmt-train's hidden --debug-kill-at-step): SIGKILL itself right after
    /// this step's update, before anything of the step is saved (0: never).
    public var killAtStep = 0
    /// The rank that kills itself at `killAtStep` (for the test of a rank that dies).
    public var killRank = 0

    // MARK: what a subclass supplies

    /// Forward and backward on the batch of these example indices (gradients accumulate).
    /// `gradScale` nil: the gradient of the batch's mean loss; else of its sum times gradScale.
    func trainStep(_ indices: [Int], rng: inout RNG, gradScale: Float?) -> LossResult { fatalError("trainStep not overridden") }
    /// The arena's parameters as offset ranges, in the order backward finishes their gradients
    /// (one range: all at the end); a subclass whose model reports progress splits it.
    var gradientSegments: [Range<Int>] { [0..<arena.count] }
    /// Sets (or clears) the model's report that segment i's gradients are final.
    func setGradientHook(_ hook: ((Int) -> Void)?) {}
    /// Measures the model as it is now (nil without validation data).
    func measure() -> ValidationResult? { fatalError("measure not overridden") }
    /// Saves the model as `<outputDir>/<name>`, with the training state when given.
    func save(name: String, state: TrainingState?) throws { fatalError("save not overridden") }

    // MARK: the loop

    static func openLog(_ path: String) throws -> BufferedWriter {
        let fd = open(path, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        guard fd >= 0 else {
            throw TextError.writeFailed(path: path, reason: String(cString: strerror(errno)))
        }
        return BufferedWriter(fileDescriptor: fd, name: path)
    }

    /// A resumed run repeats the steps after its checkpoint: the log lines of those steps (from
    /// a process that was killed) and a torn last line are dropped, so the log tells the run once.
    static func trimLog(_ path: String, after step: Int) throws {
        guard let data = FileManager.default.contents(atPath: path) else { return }
        let lines = data.split(separator: 0x0A, omittingEmptySubsequences: true)
        let kept = lines.filter { line in
            guard let object = try? JSONSerialization.jsonObject(with: Data(line)) as? [String: Any] else { return false }
            return (object["step"] as? Int).map { $0 <= step } ?? true
        }
        guard kept.count != lines.count || data.last.map({ $0 != 0x0A }) == true else { return }
        try AtomicFile.write(kept.flatMap { Array($0) + [0x0A] }, to: path, force: true)
    }

    func writeLog(_ object: [String: Any]) {
        guard let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]),
              let line = String(data: data, encoding: .utf8) else { return }
        try? log?.write(line + "\n")
        try? log?.flush()
    }

    static func seconds(_ d: Duration) -> Double {
        Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
    }

    /// Trains until a budget is spent, early stopping triggers, or a stop is requested.
    /// Returns the final state (also saved in last/).
    @discardableResult
    public func run() throws -> TrainingState {
        var rng = state.rngState
        let clock = ContinuousClock()
        let started = clock.now
        let secondsAtStart = state.trainingSeconds
        func elapsed() -> Double { secondsAtStart + Self.seconds(clock.now - started) }
        var badInARow = 0
        var windowLoss = 0.0, windowTokens = 0
        var windowStart = clock.now
        var stopReason: String?

        // With several processes, a stop (signal, time budget) is agreed on through each update's
        // sums and takes effect before the next update, so that every rank stops at the same step.
        var agreedStop: String?
        let group = collective.size * max(options.accum, 1)
        if options.anneal > 0 && collective.size > 1 && options.maxMinutes > 0 && options.maxSteps == 0 {
            throw TrainingError.annealNeedsSteps
        }
        epochs: while state.epoch < options.maxEpochs && !state.finished {
            let plan = batcher.epochPlan(seed: options.seed, epoch: state.epoch)
            while state.batchInEpoch < plan.count {
                if options.maxSteps > 0 && state.step >= options.maxSteps { stopReason = "step budget"; break epochs }
                if collective.size == 1 {
                    if stopRequested.isSet { stopReason = "stop requested"; break epochs }
                    if options.maxMinutes > 0 && elapsed() >= options.maxMinutes * 60 { stopReason = "time budget"; break epochs }
                } else if let agreedStop { stopReason = agreedStop; break epochs }
                let first = state.batchInEpoch
                state.batchInEpoch = min(first + group, plan.count)
                arena.zeroGrads()
                var result: LossResult
                if group == 1 {
                    result = trainStep(plan[first], rng: &rng, gradScale: nil)
                } else {
                    let mine = Self.share(first..<state.batchInEpoch, rank: collective.rank, accum: max(options.accum, 1))
                    if accumulateAsOneBatch && collective.size == 1 {
                        result = trainStep(mine.flatMap { plan[$0] }, rng: &rng, gradScale: nil)
                    } else {
                        let update = try summedUpdate(mine.map { plan[$0] }, rng: &rng,
                                                      timeIsUp: options.maxMinutes > 0 && elapsed() >= options.maxMinutes * 60)
                        result = update.result
                        if let stop = update.stop { agreedStop = stop }
                    }
                }
                if !result.loss.isFinite || !arena.gradsAreFinite() {
                    badInARow += 1
                    observer?.logLine("warning: step \(state.step + 1): non-finite loss or gradient; batch skipped")
                    writeLog(["type": "skip", "step": state.step + 1, "epoch": state.epoch + 1])
                    if badInARow >= options.maxBadBatches { throw TrainingError.diverged(step: state.step + 1) }
                    continue
                }
                badInARow = 0
                arena.clipGradNorm(options.clipNorm)
                let rate = state.learningRate * options.annealFactor(progress: options.budgetProgress(
                    epoch: state.epoch, batchInEpoch: first, batchesInEpoch: plan.count, step: state.step,
                    seconds: elapsed(), clockAgreed: collective.size == 1))
                adam.config.learningRate = rate
                adam.update(arena)
                state.step += 1
                state.adamStep = adam.step
                if options.emaDecay > 0 {
                    let t = Float(state.step)
                    arena.updateAverage(decay: min(options.emaDecay, (1 + t) / (10 + t)))
                }
                if state.step == killAtStep && killRank == collective.rank { kill(getpid(), SIGKILL) }
                if checkSyncEvery > 0 && collective.size > 1 && state.step % checkSyncEvery == 0 { try checkSync() }
                state.targetTokensSeen += result.tokens
                windowLoss += result.nll
                windowTokens += result.tokens
                let windowSeconds = Self.seconds(clock.now - windowStart)
                let nll = windowLoss / Double(max(windowTokens, 1))
                let tps = Double(windowTokens) / max(windowSeconds, 1e-9)
                observer?.trainingProgress(epoch: state.epoch + 1, batch: state.batchInEpoch, batches: plan.count,
                                           loss: nll, tokensPerSecond: tps, learningRate: rate)
                if options.logEvery > 0 && state.step % options.logEvery == 0 {
                    var entry: [String: Any] = ["type": "train", "step": state.step, "epoch": state.epoch + 1, "nll": nll,
                                                "ppl": exp(nll), "target_tokens_per_s": tps, "lr": Double(rate),
                                                "elapsed_s": elapsed()]
                    if collective.size > 1 {   // cumulative: all communication, and what the loop waited for
                        entry["communication_s"] = collective.communicationSeconds
                        entry["communication_exposed_s"] = collective.exposedSeconds
                    }
                    writeLog(entry)
                    observer?.logLine(String(format: "epoch %d step %d  nll %.3f  ppl %.2f  %.0f %@  lr %.2e",
                                             state.epoch + 1, state.step, nll, exp(nll), tps, tokenUnit as NSString,
                                             Double(rate)))
                    windowLoss = 0; windowTokens = 0; windowStart = clock.now
                }
                if options.validEvery > 0 && state.step % options.validEvery == 0 {
                    state.rngState = rng
                    state.trainingSeconds = elapsed()
                    try validateAndSave()
                    if state.finished { stopReason = "early stopping"; break epochs }
                }
            }
            if state.batchInEpoch >= plan.count {
                state.epoch += 1
                state.batchInEpoch = 0
                state.rngState = rng
                state.trainingSeconds = elapsed()
                if options.validEvery == 0 || state.step % options.validEvery != 0 {
                    try validateAndSave()
                    if state.finished { stopReason = "early stopping"; break epochs }
                }
            }
        }
        if stopReason == nil && state.epoch >= options.maxEpochs { stopReason = "epoch budget" }
        state.rngState = rng
        state.trainingSeconds = elapsed()
        // An annealed run that a budget ends inside an epoch: its last steps (the rate's fall to 0)
        // are what the schedule is for, so they are validated too (and kept as best/ if better).
        if options.anneal > 0 && (stopReason == "time budget" || stopReason == "step budget") && state.batchInEpoch > 0
            && !(options.validEvery > 0 && state.step % options.validEvery == 0) {
            try validateAndSave()
        }
        try saveLast()
        writeLog(["type": "stop", "step": state.step, "epoch": state.epoch, "reason": stopReason ?? "done",
                  "elapsed_s": state.trainingSeconds])
        observer?.logLine("stopped after \(state.step) steps (\(stopReason ?? "done")); checkpoint in \(ModelDirectory.join(outputDir, "last"))")
        return state
    }

    /// Saves last/: the raw weights, Adam's moments, the moving average and the state (with
    /// several processes, every rank's dropout generator; rank 0 writes). Called on all ranks.
    public func saveLast() throws {
        try gatherRankRNG()
        if collective.rank == 0 { try writeLast() }
    }

    func writeLast() throws {
        try save(name: "last", state: state)
    }

    /// Saves the weights as they are now as checkpoints/step-N and removes all but the newest
    /// `keepCheckpoints` there.
    func keepCheckpoint() throws {
        let dir = ModelDirectory.join(outputDir, Checkpoint.keptDirectory)
        try save(name: Checkpoint.keptName(step: state.step), state: nil)
        for old in Checkpoint.kept(outputDir).dropLast(options.keepCheckpoints) {
            try? FileManager.default.removeItem(atPath: ModelDirectory.join(dir, old.name))
        }
    }

    /// Validates; keeps best/, halves the learning rate after `patience` validations without
    /// improvement, stops after `earlyStop`. With a moving average, both the raw and the averaged
    /// weights are measured; the better of the two (on the validation score) is the candidate
    /// for best/, and both sets of figures are logged.
    func validateAndSave() throws {
        try gatherRankRNG()
        if collective.rank == 0 { try validateAndSaveHere() }
        guard collective.size > 1 else { return }
        // Rank 0's decisions, for every rank: the learning rate and whether to stop.
        var decisions: [Double] = [Double(state.learningRate), state.finished ? 1 : 0, Double(state.validationsWithoutImprovement),
                         Double(state.learningRateHalvings), Double(state.bestStep), state.bestScore ?? .nan]
        try collective.broadcast(&decisions)
        state.learningRate = Float(decisions[0])
        state.finished = decisions[1] != 0
        state.validationsWithoutImprovement = Int(decisions[2])
        state.learningRateHalvings = Int(decisions[3])
        state.bestStep = Int(decisions[4])
        state.bestScore = decisions[5].isNaN ? nil : decisions[5]
    }

    func validateAndSaveHere() throws {
        let clock = ContinuousClock()
        let t0 = clock.now
        guard let raw = measure() else {
            try writeLast()
            return
        }
        var averaged: ValidationResult?
        if arena.average != nil {
            arena.swapAverage()
            averaged = measure()
            arena.swapAverage()
        }
        let useAverage = averaged.map { $0.score > raw.score } ?? false
        let result = useAverage ? averaged! : raw
        let improved = state.bestScore.map { result.score > $0 } ?? true
        if options.keepCheckpoints > 0 {
            if useAverage { arena.swapAverage() }
            defer { if useAverage { arena.swapAverage() } }
            try keepCheckpoint()
        }
        if improved {
            state.bestScore = result.score
            state.bestStep = state.step
            state.validationsWithoutImprovement = 0
            if useAverage { arena.swapAverage() }
            defer { if useAverage { arena.swapAverage() } }
            try save(name: "best", state: nil)
        } else {
            state.validationsWithoutImprovement += 1
            if state.validationsWithoutImprovement % max(options.patience, 1) == 0 && state.learningRate / 2 >= options.minLearningRate {
                state.learningRate /= 2
                state.learningRateHalvings += 1
            }
            if state.validationsWithoutImprovement >= options.earlyStop { state.finished = true }
        }
        let secs = Self.seconds(clock.now - t0)
        var entry: [String: Any] = ["type": "valid", "step": state.step, "epoch": state.epoch, "best": improved,
                                    "lr": Double(state.learningRate), "valid_seconds": secs, "elapsed_s": state.trainingSeconds]
        entry.merge(result.fields) { $1 }
        if let averaged {
            entry["weights"] = useAverage ? "averaged" : "raw"
            for (k, v) in raw.fields where !k.hasSuffix("signature") { entry["raw_" + k] = v }
            for (k, v) in averaged.fields where !k.hasSuffix("signature") { entry["ema_" + k] = v }
        }
        writeLog(entry)
        // The learning curve so far, beside the log (a picture: failing to draw it stops nothing).
        if let run = try? LearningCurve.read(runDirectory: outputDir) {
            try? AtomicFile.write(string: LearningCurve(runs: [run]).svg(), to: ModelDirectory.join(outputDir, "curve.svg"), force: true)
        }
        let position = state.batchInEpoch == 0 ? "after epoch \(state.epoch)" : "in epoch \(state.epoch + 1)"
        let figures = averaged.map { "\(raw.text); averaged weights: \($0.text)" + (useAverage ? " ←" : "") } ?? raw.text
        observer?.logLine("validation \(position) (step \(state.step)): " + figures
                          + (improved ? "  (best)" : "") + String(format: "  [%.1f s]", secs))
        try writeLast()
    }
}

/// A flag safe to set from a signal handler and read from the training loop.
public final class StopFlag: @unchecked Sendable {
    private let storage = UnsafeMutablePointer<Int32>.allocate(capacity: 1)
    public init() { storage.initialize(to: 0) }
    deinit { storage.deallocate() }
    public var isSet: Bool { storage.pointee != 0 }
    public func set() { storage.pointee = 1 }
    /// The raw address, for a C signal handler.
    public var address: UnsafeMutablePointer<Int32> { storage }
}
