// nmt-train plot: learning curves of one or more runs as an SVG (NMTTrain.LearningCurve).

import ArgumentParser
import Foundation
import NMTCLI
import NMTText
import NMTTrain

struct PlotCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plot",
        abstract: "Draw learning curves (training loss, validation perplexity and BLEU) of runs as SVG.",
        usage: "nmt-train plot <run-dir> ... -o <file.svg> [--minutes] [--force]",
        discussion: """
        Each run directory's train.log.jsonl is read; several runs share the axes, \\
        one colour each. A run also writes its own curve.svg at every validation.
        """)

    @Argument(help: "Run directories (the -o of nmt-train).") var runs: [String]
    @Option(name: .shortAndLong, help: "Output SVG file.") var output: String
    @Flag(help: "Minutes of training on the x axis instead of update steps.") var minutes = false
    @Flag(help: "Replace an existing output file.") var force = false

    func validate() throws {
        guard !runs.isEmpty else { throw ValidationError("give at least one run directory") }
    }

    func run() throws {
        do {
            let curve = LearningCurve(runs: try runs.map { try LearningCurve.read(runDirectory: $0) }, byMinutes: minutes)
            try AtomicFile.write(string: curve.svg(), to: output, force: force)
        } catch {
            console.fail("\(error)")
        }
    }
}
