// nmt-train ensemble: writes an ensemble directory (NMTStore.EnsembleDirectory) naming trained
// translation models, so that `nmt-translate -m DIR` (and nmt-serve) decode with all of them.
// The members are checked here: each a translation model, all with one source and one target
// vocabulary (subword models included).

import ArgumentParser
import Foundation
import NMTCLI
import NMTModel
import NMTStore
import NMTText

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
        for r in rescore where RescorerRef.parse(r) == nil {
            throw ValidationError("--rescore \(r): expected MODEL or MODEL:WEIGHT (a number)")
        }
    }

    func run() throws {
        do {
            var first: (path: String, refs: [String: VocabularyRef], reversed: Bool)?
            for m in members {
                if EnsembleDirectory.isEnsemble(m) {
                    throw TextError.invalidSettings("\(m) is itself an ensemble (ensembles do not nest): give its members")
                }
                let dir = try ModelDirectory.resolve(m)
                let task = try ModelDirectory.task(ofModelAt: dir)
                guard task == .translation else {
                    throw ModelDirectoryError.wrongTask(path: dir, found: task.rawValue, expected: ModelTask.translation.rawValue)
                }
                let file = try ModelDirectory.readConfig(dir, as: Seq2SeqConfig.self)
                let refs = file.vocabularies
                if let first {
                    if file.model.reverseTarget != first.reversed {
                        throw TextError.invalidSettings("\(m) cannot join an ensemble with \(first.path): one reads the target right to left (--reverse-target); rescore with it instead (nmt-translate --rescore)")
                    }
                    for role in Seq2Seq.vocabularyRoles where refs[role]?.hash != first.refs[role]?.hash {
                        throw TextError.invalidSettings("\(m) cannot join an ensemble with \(first.path): their \(role) vocabularies (or subword models) differ")
                    }
                } else {
                    first = (m, refs, file.model.reverseTarget)
                }
            }
            let rescorers = rescore.compactMap(RescorerRef.parse)
            for r in rescorers {
                if EnsembleDirectory.isEnsemble(r.model) {
                    throw TextError.invalidSettings("--rescore \(r.model) is an ensemble (ensembles do not nest): give one model")
                }
                let dir = try ModelDirectory.resolve(r.model)
                let file = try ModelDirectory.readConfig(dir, as: Seq2SeqConfig.self)
                for role in Seq2Seq.vocabularyRoles where file.vocabularies[role]?.hash != first?.refs[role]?.hash {
                    throw TextError.invalidSettings("--rescore \(r.model): its \(role) vocabulary (or subword model) is not the ensemble's")
                }
            }
            try EnsembleDirectory.write(members: members, rescorers: rescorers, to: output, force: force)
            console.progress("wrote \(EnsembleDirectory.file(output)): an ensemble of \(members.count) model\(members.count == 1 ? "" : "s")"
                             + (rescorers.isEmpty ? "" : ", reranked by \(rescorers.count)"))
        } catch {
            console.fail("\(error)")
        }
    }
}
