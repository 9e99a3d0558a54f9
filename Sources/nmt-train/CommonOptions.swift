// The options that translation and fill training share (optimisation, schedule, budgets,
// logging), and the checks both make on an output directory.

import ArgumentParser
import Foundation
import NMTCLI
import NMTText
import NMTTrain

struct CommonTrainingOptions: ParsableArguments {
    @Option(help: "Adam learning rate.") var learningRate: Float = 1e-3
    @Option(help: "Clip gradients to this global norm.") var clipNorm: Double = 5
    @Option(help: "Halve the learning rate after this many validations without improvement.") var patience = TrainerOptions().patience
    @Option(help: "Stop after this many validations without improvement.") var earlyStop = TrainerOptions().earlyStop
    @Option(help: "Keep an exponential moving average of the weights with this decay per step; validation measures it beside the raw weights and keeps the better as best/ (0: off; default 0.999 for translation, 0 for fill).")
    var emaDecay: Float?
    @Option(help: "Time budget in minutes (0: none).") var maxMinutes: Double = 0
    @Option(help: "Step budget (0: none).") var maxSteps = 0
    @Option(help: "Also validate every N steps (0: once per epoch).") var validEvery = 0
    @Option(help: "Log every N steps.") var logEvery = 100
    @Option(help: "Random seed.") var seed: UInt64 = 1
    @Option(help: "Threads for matrix products.") var threads = 2
    @Flag(help: "Skip lines with invalid UTF-8 (counted) instead of stopping.") var skipInvalid = false
    @Flag(help: "Print nothing but errors.") var quiet = false

    func validate() throws {
        guard threads >= 1 else { throw ValidationError("--threads must be at least 1") }
    }

    func trainerOptions(batchTokens: Int, maxEpochs: Int, emaDecay defaultEMA: Float) -> TrainerOptions {
        var o = TrainerOptions()
        o.batchTokens = batchTokens; o.maxEpochs = maxEpochs; o.maxMinutes = maxMinutes
        o.maxSteps = maxSteps; o.learningRate = learningRate; o.clipNorm = clipNorm
        o.patience = patience; o.earlyStop = earlyStop; o.validEvery = validEvery
        o.logEvery = logEvery; o.seed = seed; o.emaDecay = emaDecay ?? defaultEMA
        return o
    }

    /// A resumed run keeps its saved options; only new budgets given on the command line apply.
    func resumed(_ saved: TrainerOptions) -> TrainerOptions {
        var o = saved
        if maxMinutes > 0 { o.maxMinutes = maxMinutes }
        if maxSteps > 0 { o.maxSteps = maxSteps }
        return o
    }
}

/// Refuses an output directory that holds a run (resume it instead) or other files (without
/// --force), then creates it and checks that it is writable.
func prepareOutputDirectory(_ outDir: String, force: Bool) throws {
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
