// Training the fill model: monolingual data, the same loop as Trainer (seeded batch order, NaN
// guard, clipping, Adam, periodic logs, validation perplexity, learning-rate halving, early
// stopping, budgets, atomic best/ and last/ checkpoints, exact resume). Validation keeps the
// model with the lowest perplexity over every word of the validation sentences (each word
// predicted from both sides, or from the left for a left-only model).

import Foundation
import NMTModel
import NMTTensor
import NMTText

/// Tokenized sentences of one language, as ids (no <s>/</s>).
public struct MonolingualData: Sendable {
    public var sentences: [[Int32]] = []
    public var droppedEmpty = 0
    public var droppedLong = 0
    public var skippedInvalid = 0
    public var tokens = 0
    public var unknown = 0
    public init() {}

    public var summary: String {
        "\(sentences.count) sentences, \(tokens) tokens (\(unknown) unknown); dropped \(droppedEmpty) empty, "
            + "\(droppedLong) longer than the limit; skipped \(skippedInvalid) with invalid UTF-8"
    }

    /// Reads each file (plain or .gz) line by line; `maxLength` 0 = no limit.
    public static func load(paths: [String], vocab: Vocabulary, maxLength: Int, skipInvalidUTF8: Bool = false) throws -> MonolingualData {
        let tok = try vocab.makeTokenizer()
        var data = MonolingualData()
        for path in paths {
            let reader = try LineReader(path: path, skipInvalidUTF8: skipInvalidUTF8)
            defer { reader.close() }
            while let line = try reader.next() {
                let ids = vocab.encode(tok.tokenize(line.text))
                if ids.isEmpty { data.droppedEmpty += 1; continue }
                if maxLength > 0 && ids.count > maxLength { data.droppedLong += 1; continue }
                data.sentences.append(ids)
                data.tokens += ids.count
                data.unknown += ids.lazy.filter { $0 == Vocabulary.unkID }.count
            }
            data.skippedInvalid += reader.skippedLineCount
        }
        return data
    }

    /// Batches of about `batchTokens` padded tokens, in a seeded order (Batcher's plan).
    func batcher(batchTokens: Int) -> Batcher {
        Batcher(pairs: sentences.map { SentencePair(source: $0 + [0, 0], target: $0 + [0]) }, batchTokens: batchTokens)
    }

    /// The batch of these sentences, longest first.
    func batch(_ indices: [Int]) -> FillBatch {
        let ordered = indices.enumerated().sorted {
            let a = sentences[$0.element].count, b = sentences[$1.element].count
            return a != b ? a > b : $0.offset < $1.offset
        }.map(\.element)
        return FillBatch(sentences: ordered.map { sentences[$0] })
    }
}

public final class FillTrainer {
    public let model: FillModel
    public let vocab: Vocabulary
    public let corpus: [String]
    public let options: TrainerOptions
    public let outputDir: String
    public var state: TrainingState
    public weak var observer: TrainingObserver?
    public let stopRequested = StopFlag()

    let data: MonolingualData
    let batcher: Batcher
    let valid: MonolingualData?
    var adam: Adam
    var log: BufferedWriter?

    public init(model: FillModel, vocab: Vocabulary, corpus: [String], train: MonolingualData, valid: MonolingualData?,
                options: TrainerOptions, outputDir: String, state: TrainingState? = nil) throws {
        self.model = model
        self.vocab = vocab
        self.corpus = corpus
        self.options = options
        self.outputDir = outputDir
        self.data = train
        self.valid = valid
        batcher = train.batcher(batchTokens: options.batchTokens)
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

    func writeLog(_ object: [String: Any]) {
        guard let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]),
              let line = String(data: data, encoding: .utf8) else { return }
        try? log?.write(line + "\n")
        try? log?.flush()
    }

    @discardableResult
    public func run() throws -> TrainingState {
        var rng = state.rngState
        let clock = ContinuousClock()
        let started = clock.now
        let secondsAtStart = state.trainingSeconds
        func seconds(_ d: Duration) -> Double { Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18 }
        func elapsed() -> Double { secondsAtStart + seconds(clock.now - started) }
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
                let batch = data.batch(plan[state.batchInEpoch])
                state.batchInEpoch += 1
                model.arena.zeroGrads()
                let result = model.trainStep(batch, rng: &rng)
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
                let windowSeconds = seconds(clock.now - windowStart)
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
                    observer?.logLine(String(format: "epoch %d step %d  nll %.3f  ppl %.2f  %.0f tok/s  lr %.2e",
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
        try FillCheckpoint.saveModel(model, vocab: vocab, corpus: corpus, dir: outputDir, name: "last", state: state)
    }

    /// Perplexity of every word of `data` (no dropout).
    public static func perplexity(_ model: FillModel, _ data: MonolingualData, batchTokens: Int) -> Double {
        var nll = 0.0, tokens = 0
        let b = data.batcher(batchTokens: batchTokens)
        for indices in b.epochPlan(seed: 0, epoch: 0) {
            let r = model.evaluate(data.batch(indices))
            nll += r.nll
            tokens += r.tokens
        }
        return exp(nll / Double(max(tokens, 1)))
    }

    func validateAndSave() throws {
        guard let valid else {
            try saveLast()
            return
        }
        let clock = ContinuousClock()
        let t0 = clock.now
        let ppl = FillTrainer.perplexity(model, valid, batchTokens: options.batchTokens)
        let score = -ppl
        let improved = state.bestScore.map { score > $0 } ?? true
        if improved {
            state.bestScore = score
            state.bestStep = state.step
            state.validationsWithoutImprovement = 0
            try FillCheckpoint.saveModel(model, vocab: vocab, corpus: corpus, dir: outputDir, name: "best")
        } else {
            state.validationsWithoutImprovement += 1
            if state.validationsWithoutImprovement % max(options.patience, 1) == 0 && state.learningRate / 2 >= options.minLearningRate {
                state.learningRate /= 2
                state.learningRateHalvings += 1
            }
            if state.validationsWithoutImprovement >= options.earlyStop { state.finished = true }
        }
        let d = clock.now - t0
        let secs = Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
        writeLog(["type": "valid", "step": state.step, "epoch": state.epoch, "ppl": ppl, "nll": Foundation.log(ppl),
                  "best": improved, "lr": Double(state.learningRate), "valid_seconds": secs,
                  "elapsed_s": state.trainingSeconds])
        observer?.logLine(String(format: "validation at epoch %d (step %d): fill ppl %.2f", state.epoch, state.step, ppl)
                          + (improved ? "  (best)" : "") + String(format: "  [%.1f s]", secs))
        try saveLast()
    }
}
