// nmt-train ensemble: writes an ensemble directory (NMTStore.EnsembleDirectory) naming trained
// translation models, so that `nmt-translate -m DIR` (and nmt-serve) decode with all of them.
// The members are checked here as nmt-translate checks them (Translator): each a translation
// model, all with one source and one target vocabulary (subword models included), one direction.

import ArgumentParser
import Foundation
import NMTCLI
import NMTInference
import NMTModel
import NMTStore

struct EnsembleCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ensemble",
        abstract: "Write an ensemble directory naming translation models that nmt-translate decodes together.",
        usage: "nmt-train ensemble <dir> ... -o <dir> [--force]",
        discussion: """
        Example (two runs trained with different --seed):
          nmt-train ensemble runs/de-en-1 runs/de-en-2 -o runs/de-en-ens
          nmt-translate -m runs/de-en-ens test.de     (the same as -m runs/de-en-1 -m runs/de-en-2)
        Each member is a model or training directory (its best/, else its last/). The output gets
        ensemble.json, which names the members relative to it: keep them where they are (or move
        them together). The output directory may exist and hold the members.
        """)

    @Argument(help: "Model or training directories of translation models with the same vocabularies.")
    var members: [String]
    @Option(name: .shortAndLong, help: "Output (ensemble) directory.") var output: String
    @Option(help: ArgumentHelp("A model that reranks the n-best list (a right-to-left one), with its weight (1 when absent; choose it with nmt-translate --tune-rescore). Repeatable.", valueName: "model[:weight]"))
    var rescore: [String] = []
    @Flag(help: "Replace an existing ensemble.json (or a model) in the output directory.") var force = false

    func validate() throws {
        guard !members.isEmpty else { throw ValidationError("give the model directories of the ensemble") }
        for r in rescore {
            do { _ = try RescoreError.parse(r) } catch { throw ValidationError("\(error)") }
        }
    }

    func run() throws {
        do {
            let rescorers = rescore.compactMap(RescorerRef.parse)
            try EnsembleDirectory.refuseNesting(members + rescorers.map(\.model))   // before loading: the clearer message
            // The checks nmt-translate makes when it reads the directory: translation models, one
            // source and one target vocabulary, one direction; rescorers with the same vocabularies.
            let translator = try Translator(ensemble: try members.map { try ModelDirectory.load($0, as: Seq2Seq.self) })
            try translator.addRescorers(rescorers)
            try EnsembleDirectory.write(members: members, rescorers: rescorers, to: output, force: force)
            console.progress("wrote \(EnsembleDirectory.file(output)): an ensemble of \(members.count) model\(members.count == 1 ? "" : "s")"
                             + (rescorers.isEmpty ? "" : ", reranked by \(rescorers.count)"))
        } catch {
            console.fail("\(error)")
        }
    }
}
