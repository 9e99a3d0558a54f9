// nmt-train init: writes an untrained translation model (weights drawn from --seed) as a model
// directory, for tests, benchmarks and checking a setup end to end before a long run.

import ArgumentParser
import NMTCLI
import NMTModel
import NMTStore
import NMTText

struct InitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init",
        abstract: "Write an untrained translation model (random weights) to -o DIR.",
        usage: "nmt-train init --src-vocab <file> --tgt-vocab <file> -o <dir> [<options>]",
        discussion: "The reference shape (untied output layer, the benchmark's) unless --tiny, a few units per layer for tests.")

    @Option(help: "Source vocabulary file.") var srcVocab: String
    @Option(help: "Target vocabulary file.") var tgtVocab: String
    @Option(name: .shortAndLong, help: "Model directory to write.") var output: String
    @Flag(help: "A tiny model (embedding 8, encoder 6, decoder 10): for tests.") var tiny = false
    @Option(help: "Random seed of the weights.") var seed: UInt64 = 1
    @Flag(help: "Overwrite the directory's files if it exists.") var force = false

    func run() throws {
        let console = Console("nmt-train")
        try console.run {
            if !force && AtomicFile.fileExists(output) { throw TextError.outputExists(path: output) }
            let src = try Vocabulary.load(path: srcVocab), tgt = try Vocabulary.load(path: tgtVocab)
            let config = tiny
                ? Seq2SeqConfig(sourceVocab: src.count, targetVocab: tgt.count, embedding: 8, encoderHidden: 6,
                              encoderLayers: 1, decoderHidden: 10, attention: 7, preOutput: 9)
                : Seq2SeqConfig(sourceVocab: src.count, targetVocab: tgt.count)
            try ModelDirectory.save(Seq2Seq(config, seed: seed), sourceVocab: src, targetVocab: tgt, to: output)
        }
    }
}
