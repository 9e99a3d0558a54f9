// The training loop: batches in a seeded order, forward/backward, NaN guard, global-norm
// clipping, Adam, periodic logs, validation (perplexity and BLEU), learning-rate halving,
// early stopping, time budgets, checkpoints of best/ and last/, and exact resume.
//
// Exact resume: the batch order of an epoch depends only on (seed, epoch); the dropout
// generator, Adam's moments and step, and the position in the epoch are saved in last/. A run
// stopped after N steps and resumed ends with the same weights, bit for bit, as one that never
// stopped (same thread count).

import Foundation
import NMTMetrics
import NMTModel
import NMTTensor
import NMTText

public struct TrainerOptions: Codable, Sendable, Equatable {
    public var batchTokens = 1200
    public var maxEpochs = 20
    public var maxMinutes: Double = 0        // 0: no time budget
    public var maxSteps = 0                  // 0: no step budget
    public var learningRate: Float = 1e-3
    public var clipNorm: Double = 5
    public var patience = 1                  // validations without improvement before halving the rate
    public var earlyStop = 4                 // validations without improvement before stopping
    public var minLearningRate: Float = 1e-5
    public var validEvery = 0                // also validate every N steps (0: once per epoch)
    public var logEvery = 100
    public var seed: UInt64 = 1
    public var maxBadBatches = 5             // non-finite losses in a row before giving up
    public init() {}
}

/// What the trainer reports as it goes (the CLI prints it; tests ignore it).
public protocol TrainingObserver: AnyObject {
    func trainingProgress(epoch: Int, batch: Int, batches: Int, loss: Double, tokensPerSecond: Double, learningRate: Float)
    func logLine(_ line: String)
}

public enum TrainingError: Error, CustomStringConvertible {
    case diverged(step: Int)
    public var description: String {
        switch self {
        case .diverged(let s): return "training stopped at step \(s): the loss was NaN or infinite on too many batches in a row (lower --learning-rate or check the data)"
        }
    }
}

public final class Trainer {
    public let model: Seq2Seq
    public let sourceVocab: Vocabulary
    public let targetVocab: Vocabulary
    public let options: TrainerOptions
    public let outputDir: String
    public var state: TrainingState
    public weak var observer: TrainingObserver?
    /// Translates validation sources to detokenized text, for validation BLEU (nil: BLEU skipped).
    public var translate: (([String]) -> [String])?
    /// Set (e.g. from a signal handler) to stop after the current batch, saving last/.
    public let stopRequested = StopFlag()

    let batcher: Batcher
    let valid: ParallelData?
    var adam: Adam
    var log: BufferedWriter?

    public init(model: Seq2Seq, sourceVocab: Vocabulary, targetVocab: Vocabulary, train: ParallelData,
                valid: ParallelData?, options: TrainerOptions, outputDir: String, state: TrainingState? = nil) throws {
        self.model = model
        self.sourceVocab = sourceVocab
        self.targetVocab = targetVocab
        self.options = options
        self.outputDir = outputDir
        self.valid = valid
        batcher = Batcher(pairs: train.pairs, batchTokens: options.batchTokens)
        if let state {
            self.state = state
        } else {
            var s = TrainingState()
            s.rngState = RNG(seed: options.seed &+ 0xD0)
            s.learningRate = options.learningRate
            self.state = s
        }
        adam = Adam(AdamConfig(learningRate: self.state.learningRate))
        adam.step = self.state.adamStep
        try AtomicFile.createDirectories(outputDir)
        log = try Trainer.openLog(ModelDirectory.join(outputDir, "train.log.jsonl"))
    }

    static func openLog(_ path: String) throws -> BufferedWriter {
        let fd = open(path, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        guard fd >= 0 else {
            throw TextError.writeFailed(path: path, reason: String(cString: strerror(errno)))
        }
        return BufferedWriter(fileDescriptor: fd, name: path)
    }

    func writeLog(_ object: [String: Any]) {
        guard let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]),
              let line = String(data: data, encoding: .utf8) else { return }
        try? log?.write(line + "\n")
        try? log?.flush()
    }

    /// Trains until a budget is spent, early stopping triggers, or a stop is requested.
    /// Returns the final state (also saved in last/).
    @discardableResult
    public func run() throws -> TrainingState {
        var rng = state.rngState
        let clock = ContinuousClock()
        let started = clock.now
        let secondsAtStart = state.trainingSeconds
        func elapsed() -> Double {
            let d = clock.now - started
            return secondsAtStart + Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
        }
        var badInARow = 0
        var windowLoss = 0.0, windowTokens = 0
        var windowStart = clock.now
        var stopReason: String?

        epochs: while state.epoch < options.maxEpochs && !state.finished {
            let plan = batcher.epochPlan(seed: options.seed, epoch: state.epoch)
            while state.batchInEpoch < plan.count {
                if stopRequested.isSet { stopReason = "stop requested"; break epochs }
                if options.maxSteps > 0 && state.step >= options.maxSteps { stopReason = "step budget"; break epochs }
                if options.maxMinutes > 0 && elapsed() >= options.maxMinutes * 60 { stopReason = "time budget"; break epochs }
                let batch = batcher.batch(plan[state.batchInEpoch])
                state.batchInEpoch += 1
                model.arena.zeroGrads()
                let result = model.trainStep(batch.modelBatch, rng: &rng)
                if !result.loss.isFinite || !model.arena.gradsAreFinite() {
                    badInARow += 1
                    observer?.logLine("warning: step \(state.step + 1): non-finite loss or gradient; batch skipped")
                    writeLog(["type": "skip", "step": state.step + 1, "epoch": state.epoch])
                    if badInARow >= options.maxBadBatches { throw TrainingError.diverged(step: state.step + 1) }
                    continue
                }
                badInARow = 0
                model.arena.clipGradNorm(options.clipNorm)
                adam.config.learningRate = state.learningRate
                adam.update(model.arena)
                state.step += 1
                state.adamStep = adam.step
                state.targetTokensSeen += result.tokens
                windowLoss += result.nll
                windowTokens += result.tokens
                let now = clock.now
                let windowSeconds = Double((now - windowStart).components.attoseconds) * 1e-18 + Double((now - windowStart).components.seconds)
                observer?.trainingProgress(epoch: state.epoch + 1, batch: state.batchInEpoch, batches: plan.count,
                                           loss: windowLoss / Double(max(windowTokens, 1)),
                                           tokensPerSecond: Double(windowTokens) / max(windowSeconds, 1e-9),
                                           learningRate: state.learningRate)
                if options.logEvery > 0 && state.step % options.logEvery == 0 {
                    let nll = windowLoss / Double(max(windowTokens, 1))
                    let tps = Double(windowTokens) / max(windowSeconds, 1e-9)
                    writeLog(["type": "train", "step": state.step, "epoch": state.epoch + 1, "nll": nll,
                              "ppl": exp(nll), "target_tokens_per_s": tps, "lr": Double(state.learningRate),
                              "elapsed_s": elapsed()])
                    observer?.logLine(String(format: "epoch %d step %d  nll %.3f  ppl %.2f  %.0f tgt tok/s  lr %.2e",
                                             state.epoch + 1, state.step, nll, exp(nll), tps, Double(state.learningRate)))
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
        try saveLast()
        writeLog(["type": "stop", "step": state.step, "epoch": state.epoch, "reason": stopReason ?? "done",
                  "elapsed_s": state.trainingSeconds])
        observer?.logLine("stopped after \(state.step) steps (\(stopReason ?? "done")); checkpoint in \(ModelDirectory.join(outputDir, "last"))")
        return state
    }

    public func saveLast() throws {
        try Checkpoint.saveModel(model, sourceVocab: sourceVocab, targetVocab: targetVocab, dir: outputDir,
                                 name: "last", state: state)
    }

    /// Validation perplexity and (when a translator is set) BLEU; keeps best/, halves the
    /// learning rate after `patience` validations without improvement, stops after `earlyStop`.
    func validateAndSave() throws {
        guard let valid else {
            try saveLast()
            return
        }
        let clock = ContinuousClock()
        let t0 = clock.now
        var nll = 0.0, tokens = 0
        let vb = Batcher(pairs: valid.pairs, batchTokens: options.batchTokens)
        for indices in vb.epochPlan(seed: 0, epoch: 0) {
            let r = model.evaluate(vb.batch(indices).modelBatch)
            nll += r.nll
            tokens += r.tokens
        }
        let ppl = exp(nll / Double(max(tokens, 1)))
        var bleu: BLEUScore?
        if let translate {
            let hyps = translate(valid.sourceLines)
            bleu = corpusBLEU(hypotheses: hyps, references: [valid.targetLines])
        }
        // Higher is better: BLEU when available, else minus perplexity.
        let score = bleu?.score ?? -ppl
        let improved = state.bestScore.map { score > $0 } ?? true
        if improved {
            state.bestScore = score
            state.bestStep = state.step
            state.validationsWithoutImprovement = 0
            try Checkpoint.saveModel(model, sourceVocab: sourceVocab, targetVocab: targetVocab, dir: outputDir, name: "best")
        } else {
            state.validationsWithoutImprovement += 1
            if state.validationsWithoutImprovement % max(options.patience, 1) == 0 && state.learningRate / 2 >= options.minLearningRate {
                state.learningRate /= 2
                state.learningRateHalvings += 1
            }
            if state.validationsWithoutImprovement >= options.earlyStop { state.finished = true }
        }
        let seconds = Double((clock.now - t0).components.seconds) + Double((clock.now - t0).components.attoseconds) * 1e-18
        var entry: [String: Any] = ["type": "valid", "step": state.step, "epoch": state.epoch, "ppl": ppl,
                                    "nll": nll / Double(max(tokens, 1)), "best": improved, "lr": Double(state.learningRate),
                                    "valid_seconds": seconds, "elapsed_s": state.trainingSeconds]
        if let bleu { entry["bleu"] = bleu.score; entry["bleu_signature"] = bleu.signature }
        writeLog(entry)
        let bleuText = bleu.map { String(format: "  BLEU %.2f", $0.score) } ?? ""
        observer?.logLine(String(format: "validation after epoch %d (step %d): ppl %.2f", state.epoch, state.step, ppl)
                          + bleuText + (improved ? "  (best)" : "") + String(format: "  [%.1f s]", seconds))
        try saveLast()
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

extension Batch {
    public var modelBatch: ModelBatch {
        ModelBatch(sourceIds: sourceIds, sourceLengths: sourceLengths, targetInput: targetInput,
                   targetOutput: targetOutput, targetLengths: targetLengths)
    }
}
