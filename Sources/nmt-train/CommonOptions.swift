// The options that translation and fill training share (optimisation, schedule, budgets,
// logging), and the checks both make on an output directory.

import ArgumentParser
import Foundation
import NMTCLI
import Logging
import NMTDistributed
import NMTStore
import NMTTensor
import NMTText
import NMTTrain

struct CommonTrainingOptions: ParsableArguments {
    @Option(help: "Adam learning rate.") var learningRate: Float = 1e-3
    @Option(help: "Clip gradients to this global norm.") var clipNorm: Double = 5
    @Option(help: "Halve the learning rate after this many validations without improvement.") var patience = TrainerOptions().patience
    @Option(help: "Stop after this many validations without improvement.") var earlyStop = TrainerOptions().earlyStop
    @Option(help: "Keep an exponential moving average of the weights with this decay per step; validation measures it beside the raw weights and keeps the better as best/ (0: off; default 0.999 for translation, 0 for fill).")
    var emaDecay: Float?
    @Option(help: "Keep the weights of the last N validations in checkpoints/ (for nmt-train average; 0: none).")
    var keepCheckpoints = 0
    @Option(help: "Lower the learning rate linearly to 0 over the last FRACTION of the run: of its --max-minutes, --max-steps or --max-epochs budget, whichever ends first (0: off).")
    var anneal: Double = 0
    @Option(help: "Time budget in minutes (0: none).") var maxMinutes: Double = 0
    @Option(help: "Step budget (0: none).") var maxSteps = 0
    @Option(help: "Also validate every N steps (0: once per epoch).") var validEvery = 0
    @Option(help: "Log every N steps.") var logEvery = 100
    @Option(help: "Random seed.") var seed: UInt64 = 1
    @Option(help: ArgumentHelp("Options from a YAML file whose keys are the flags' names (src: train.de, dropout: 0.3, …); flags on the command line win. A run's run.json is such a file: it starts a run with the same options.", valueName: "FILE"))
    var config: String?
    @Option(help: "Threads for matrix products.") var threads = 2
    @Option(help: "Accumulate the gradients of N batches per update (per process under mpirun): the update's batch grows N-fold without memory.")
    var accum = 1
    @Option(help: "Under mpirun: every N updates, check that all processes hold the same weights (0: never).")
    var checkSync = 0
    @Flag(help: "Skip lines with invalid UTF-8 (counted) instead of stopping.") var skipInvalid = false
    @Flag(help: "Print nothing but errors.") var quiet = false
    @Option(help: "Least level logged: trace, debug, info, notice, warning, error, critical.") var logLevel = "info"
    @Option(help: "Log lines as plain text (a terminal also gets a progress bar) or as JSON lines (text, json).")
    var logFormat = "text"
    @Flag(help: "With --resume: continue at the --learning-rate given (or the run's first rate) instead of the run's current one.")
    var resetLearningRate = false

    // Fault injection for scripts/fault_inject.sh and the kill tests: SIGKILL at a step, or at a
    // stage (Checkpoint.stages, default old-moved) of the Nth write of last/ ("N" or "N:stage"),
    // and a pause at every stage of every checkpoint write to widen the window for outside kills.
    @Option(help: .hidden) var debugKillAtStep = 0
    @Option(help: .hidden) var debugKillInCheckpoint: String?
    @Option(help: .hidden) var debugCheckpointDelayMs = 0
    // …and a write of last/ that fails at a stage as on a full disk ("N" or "N:stage", default complete).
    @Option(help: .hidden) var debugFailCheckpoint: String?
    // …the rank that kills itself at --debug-kill-at-step (mpirun tests), and a single process
    // training each update's --accum batches as one batch (their union), for the equivalence tests.
    @Option(help: .hidden) var debugKillRank = 0
    @Flag(help: .hidden) var debugAccumAsOneBatch = false

    func validate() throws {
        guard threads >= 1 else { throw ValidationError("--threads must be at least 1") }
        guard keepCheckpoints >= 0 else { throw ValidationError("--keep-checkpoints must be 0 or more") }
        guard anneal >= 0 && anneal <= 1 else { throw ValidationError("--anneal must be between 0 and 1 (a share of the run)") }
        guard accum >= 1 else { throw ValidationError("--accum must be at least 1") }
        guard Logger.Level(rawValue: logLevel) != nil else { throw ValidationError("--log-level \(logLevel): one of \(Logger.Level.names)") }
        guard LogFormat(rawValue: logFormat) != nil else { throw ValidationError("--log-format \(logFormat): text or json") }
        guard checkSync >= 0 else { throw ValidationError("--check-sync must be 0 or more") }
        if let spec = debugKillInCheckpoint, point(spec, default: "old-moved") == nil {
            throw ValidationError("--debug-kill-in-checkpoint N[:STAGE], STAGE one of \(Checkpoint.stages.joined(separator: " "))")
        }
        if let spec = debugFailCheckpoint, point(spec, default: "complete").map({ Checkpoint.stages.prefix(3).contains($0.stage) }) != true {
            throw ValidationError("--debug-fail-checkpoint N[:STAGE], STAGE one of \(Checkpoint.stages.prefix(3).joined(separator: " "))")
        }
    }

    func point(_ spec: String, default stage: String) -> (write: Int, stage: String)? {
        let parts = spec.split(separator: ":").map(String.init)
        guard let n = Int(parts[0]), n >= 1, parts.count <= 2 else { return nil }
        let stage = parts.count == 2 ? parts[1] : stage
        return Checkpoint.stages.contains(stage) ? (n, stage) : nil
    }

    /// Arms the hidden fault-injection options on `loop` and on checkpoint writes.
    func armFaults(_ loop: TrainingLoop) {
        loop.killAtStep = debugKillAtStep
        loop.killRank = debugKillRank
        loop.accumulateAsOneBatch = debugAccumAsOneBatch
        loop.checkSyncEvery = checkSync
        let kill = debugKillInCheckpoint.flatMap { point($0, default: "old-moved") }
        let fail = debugFailCheckpoint.flatMap { point($0, default: "complete") }
        let delay = UInt32(max(0, debugCheckpointDelayMs)) * 1000
        guard kill != nil || fail != nil || delay > 0 else { return }
        nonisolated(unsafe) var writes = 0
        Checkpoint.stageHook = { name, stage in
            if delay > 0 { usleep(delay) }
            guard name == "last" else { return }
            if stage == "begin" { writes += 1 }
            if let kill, writes == kill.write && stage == kill.stage { Glibc.kill(getpid(), SIGKILL) }
            if let fail, writes == fail.write && stage == fail.stage {
                throw TextError.writeFailed(path: name, reason: "No space left on device (injected by --debug-fail-checkpoint)")
            }
        }
    }

    /// The options here as a run records them (RunSettings), with the command's own
    /// batch size, epoch budget and moving-average default.
    func settings(batchTokens: Int, maxEpochs: Int, emaDecay defaultEMA: Float) -> [String: String] {
        var s = RunSettings.trainer(trainerOptions(batchTokens: batchTokens, maxEpochs: maxEpochs, emaDecay: defaultEMA))
        s["threads"] = "\(threads)"
        s["skip-invalid"] = "\(skipInvalid)"
        return s
    }

    func trainerOptions(batchTokens: Int, maxEpochs: Int, emaDecay defaultEMA: Float) -> TrainerOptions {
        var o = TrainerOptions()
        o.batchTokens = batchTokens; o.maxEpochs = maxEpochs; o.maxMinutes = maxMinutes
        o.maxSteps = maxSteps; o.learningRate = learningRate; o.clipNorm = clipNorm
        o.patience = patience; o.earlyStop = earlyStop; o.validEvery = validEvery
        o.logEvery = logEvery; o.seed = seed; o.emaDecay = emaDecay ?? defaultEMA
        o.keepCheckpoints = keepCheckpoints
        o.accum = accum
        o.anneal = anneal
        return o
    }

}

/// The processes of this run: MPI's when mpirun started this one, else this one alone.
nonisolated(unsafe) var runProcesses: Collective = SingleProcess()
/// True in the process that writes files and logs (the only one without mpirun; rank 0 with it).
var writesFiles: Bool { runProcesses.rank == 0 }

extension CommonTrainingOptions {
    /// Joins the job's processes when mpirun started this one (MPI is initialized here, once);
    /// a plain nmt-train runs alone and never touches MPI.
    func startProcesses() {
        guard MPICollective.launchedByMPI, runProcesses is SingleProcess else { return }
        do { runProcesses = try MPICollective.start() } catch { console.fail("\(error)") }
    }

    /// Logging set up as --log-level and --log-format say (once per process), and the observer
    /// that reports through it (quiet on ranks other than 0).
    func makeObserver() -> ConsoleObserver {
        let level = Logger.Level(rawValue: logLevel) ?? .info, format = LogFormat(rawValue: logFormat) ?? .text
        let clear = isatty(2) != 0 && format == .text ? "\r\u{1B}[K" : ""
        LoggingSystem.bootstrap { ToolLogHandler(label: $0, level: level, format: format, linePrefix: clear) }
        return ConsoleObserver(quiet: quiet || !writesFiles, logger: Logger(label: "nmt-train"), format: format)
    }

    /// The log line that says how the run computes: kernels, threads, processes.
    var arithmeticLine: String {
        var s = "\(Kernels.summary), \(BLASThreads.count) thread(s)"
        if runProcesses.size > 1 { s += "; \(runProcesses.size) processes (MPI), each update sums \(runProcesses.size * accum) batches" }
        else if accum > 1 { s += "; each update accumulates \(accum) batches" }
        return s
    }
}

/// Ends the process on a training error: one line; a checkpoint that could not be written says
/// how to go on (the previous checkpoint is intact).
func failTraining(_ error: Error) -> Never {
    if case CheckpointError.writeFailed(let path, _) = error {
        let dir = AtomicFile.directoryName(path)
        if Checkpoint.isResumable(dir) {
            console.fail("\(error); the previous checkpoint is intact: make room and continue with nmt-train --resume \(dir)")
        }
    }
    console.fail("\(error)")
}

/// A path as the record keeps it: absolute, so a run resumed from another directory compares
/// and finds its files.
func absolutePath(_ p: String) -> String {
    URL(fileURLWithPath: p).standardizedFileURL.path
}

/// The record of the run in `dir`, read before anything computes: the run's kernel level is
/// asked for (a plain resume sums as the run did; NMT_KERNELS or a CPU without it overrides).
func recordForResume(_ dir: String, task: ModelTask) throws -> RunRecord {
    guard Checkpoint.isResumable(dir) else { console.fail("\(dir): nothing to resume (no last/\(Checkpoint.stateFile))") }
    let record = try RunRecord.load(dir, task: task)
    if (record.ranks ?? 1) != runProcesses.size {
        console.fail("\(CollectiveError.rankCount(dir: dir, recorded: record.ranks ?? 1, now: runProcesses.size))")
    }
    if let level = record.arithmetic?.kernels { _ = Kernels.prefer(level) }
    return record
}

/// Resuming the run in `dir`: its record's settings (`recorded`, the model's own options
/// included) checked against the options this command line gives (`now`: all of them, given or
/// default); the result is what the resumed run uses. The thread count is set here; `record`
/// gets the new settings and is saved; `state` takes a reset learning rate.
func resumedSettings(_ dir: String, record: inout RunRecord, state: inout TrainingState, recorded: RunSettings,
                     now: [String: String], aliases: [String: String], common: CommonTrainingOptions,
                     observer: ConsoleObserver) throws -> RunSettings {
    let given = GivenOptions.names(aliases: aliases)
    if given.contains("output") { console.fail("-o/--output and --resume exclude each other: the run stays in \(dir)") }
    let effective: RunSettings
    do {
        effective = try recorded.resumed(given: now.filter { given.contains($0.key) },
                                         resetLearningRate: common.resetLearningRate)
    } catch {
        console.fail("\(error)")
    }
    for change in recorded.changes(to: effective) { observer.logLine("resuming with \(change)") }
    BLASThreads.set(effective["threads"].flatMap { Int($0) } ?? common.threads)
    record.options = effective.applied(to: record.options)
    record.command = effective.values
    if writesFiles { try record.save(dir) }
    if common.resetLearningRate {
        state.learningRate = record.options.learningRate
        observer.logLine("learning rate reset to \(state.learningRate)")
    }
    observer.logLine("resuming \(dir) at epoch \(state.epoch + 1), step \(state.step)")
    if let change = record.arithmeticChange() { observer.logLine(change) }
    return effective
}

/// Refuses an output directory that holds a run (resume it instead) or other files (without
/// --force), then creates it and checks that it is writable.
func prepareOutputDirectory(_ outDir: String, force: Bool) throws {
    guard writesFiles else { return }
    if FileManager.default.fileExists(atPath: outDir) {
        if Checkpoint.isResumable(outDir) && !force {
            console.fail("\(outDir) holds a training run; continue it with --resume \(outDir), or pass --force to start over")
        }
        let contents = (try? FileManager.default.contentsOfDirectory(atPath: outDir)) ?? []
        if !contents.isEmpty && !force { console.fail("\(outDir) exists and is not empty; pass --force to use it") }
    }
    try AtomicFile.createDirectories(outDir)
    guard access(outDir, W_OK) == 0 else { console.fail("\(outDir): directory is not writable") }
}
