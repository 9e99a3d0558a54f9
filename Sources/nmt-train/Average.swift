// nmt-train average: checkpoint averaging. The mean of the weights of several checkpoints of
// one model, written as a model directory (NMTStore.ModelAverage), from directories given one
// by one or from the newest N that a run kept with --keep-checkpoints.

import ArgumentParser
import Foundation
import NMTCLI
import NMTStore
import NMTTrain

struct AverageCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "average",
        abstract: "Average the weights of checkpoints of one model into a new model directory.",
        usage: "nmt-train average <dir> ... -o <dir> [--last <n>] [--force]",
        discussion: """
        Examples:
          nmt-train average runs/de-en/checkpoints/step-0006272 runs/de-en/checkpoints/step-0006664 -o avg
          nmt-train average runs/de-en --last 4 -o runs/de-en-avg4
        With --last N, the one argument is a run directory trained with --keep-checkpoints, and
        its newest N kept checkpoints are averaged. Every weight is summed in double precision
        and divided once: the result does not depend on anything but the inputs and their order.
        """)

    @Argument(help: "Model directories (checkpoints of one model), or with --last one run directory.")
    var inputs: [String]
    @Option(help: "Average the newest N checkpoints the run directory kept in checkpoints/.") var last: Int?
    @Option(name: .shortAndLong, help: "Output model directory.") var output: String
    @Flag(help: "Replace an existing output directory.") var force = false

    func validate() throws {
        guard !inputs.isEmpty else { throw ValidationError("give the model directories to average, or a run directory with --last N") }
        if let last {
            guard last >= 1 else { throw ValidationError("--last must be at least 1") }
            guard inputs.count == 1 else { throw ValidationError("--last N takes one run directory, not \(inputs.count) arguments") }
        }
    }

    func run() throws {
        var dirs = inputs
        if let last {
            let run = inputs[0]
            let kept = Checkpoint.kept(run)
            guard !kept.isEmpty else {
                console.fail("\(run): no kept checkpoints in \(ModelDirectory.join(run, Checkpoint.keptDirectory)) (train with --keep-checkpoints N)")
            }
            guard kept.count >= last else {
                console.fail("\(run): --last \(last), but the run kept \(kept.count) checkpoint\(kept.count == 1 ? "" : "s")")
            }
            dirs = kept.suffix(last).map { ModelDirectory.join(ModelDirectory.join(run, Checkpoint.keptDirectory), $0.name) }
        }
        do {
            let n = try ModelAverage.average(dirs, to: output, force: force)
            console.progress("averaged \(n) tensors of \(dirs.count) checkpoint\(dirs.count == 1 ? "" : "s") into \(output): "
                         + dirs.map { ($0 as NSString).lastPathComponent }.joined(separator: " "))
        } catch {
            console.fail("\(error)")
        }
    }
}
