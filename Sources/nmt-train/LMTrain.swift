// nmt-train lm: train a left-to-right recurrent language model on a monolingual corpus
// (NMTModel.LanguageModel, any sequence cell). Same batching, validation, checkpoints, progress
// display and exact resume as translation training; nmt-lm scores and samples with the result.

import ArgumentParser
import Foundation
import NMTCLI
import NMTLayers
import NMTModel
import NMTStore
import NMTTensor
import NMTText
import NMTTrain

struct LMTrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lm",
        abstract: "Train a recurrent language model (any cell).",
        discussion: """
        Example (English, the shipped Multi30k data, the classic 8,000-word vocabulary):
          nmt-train lm --corpus corpora/multi30k/train.en.gz --lang en \\
            --valid corpora/multi30k/val.en.gz -o runs/lm/lstm --cell lstm --max-minutes 10
        Without --vocab the vocabulary is the --vocab-size most frequent words of the corpus plus
        the special tokens (<unk> for every other word). Ctrl-C saves last/; --resume DIR
        continues exactly. Score and sample with nmt-lm.
        """)

    @Option(parsing: .upToNextOption, help: "Training corpus file(s), plain or .gz, one sentence a line.") var corpus: [String] = []
    @Option(help: "Language (to build the vocabulary when --vocab is not given).") var lang: String?
    @Option(help: "Vocabulary (built from the corpus when omitted).") var vocab: String?
    @Option(help: "Words in a vocabulary built from the corpus (the most frequent; the special tokens come on top).")
    var vocabSize = 8000
    @Option(help: "Validation file (perplexity; best/ keeps the lowest).") var valid: String?
    @Option(name: .shortAndLong, help: "Output directory.") var output: String?
    @Option(help: "Continue the run saved in this directory.") var resume: String?
    @Flag(help: "Use an output directory that exists and is not a resumable run.") var force = false

    @Option(help: "Recurrent cell: rnn, lstm, peephole, coupled, gru, esn (echo state network: only the readout trains) or clockwork.")
    var cell = "lstm"
    @Option(help: "Clockwork RNN: modules (periods 1, 2, 4, …).") var clockworkModules = 4
    @Option(help: "Echo state network: fraction of the reservoir's weights that are zero.") var reservoirSparsity: Float = 0.9
    @Option(help: "Echo state network: the reservoir's spectral radius (< 1).") var spectralRadius: Float = 0.9
    @Option(help: "Echo state network: scale of the input weights.") var inputScaling: Float = 0.5
    @Option(help: "Echo state network: leak rate (1: no leak).") var leakRate: Float = 0.5
    @Option(help: "Embedding size.") var embedding = 256
    @Option(help: "Recurrent size.") var hidden = 512
    @Option(help: "Recurrent layers.") var layers = 1
    @Option(help: "Dropout (after the embedding and after every layer).") var dropout: Float = 0.3
    @Flag(help: "Share the embedding with the output layer (needs --embedding equal to --hidden).") var tieEmbeddings = false

    @Option(help: "Tokens per batch (padded).") var batchTokens = 2000
    @Option(help: "Drop sentences longer than this many tokens.") var maxLen = 80
    @Option(help: "Maximum epochs.") var maxEpochs = 30
    @OptionGroup var common: CommonTrainingOptions

    func validate() throws {
        if resume == nil {
            guard !corpus.isEmpty else { throw ValidationError("--corpus is required (or --resume DIR)") }
            guard output != nil else { throw ValidationError("-o/--output is required (or --resume DIR)") }
        }
        do { _ = try CellKind.parse(cell, allowed: CellKind.languageModelCells, flag: "--cell") } catch { throw ValidationError("\(error)") }
        if let p = cellOptions.reservoir.problem { throw ValidationError(p) }
        guard clockworkModules >= 1 && clockworkModules <= min(hidden, 30) else {
            throw ValidationError("--clockwork-modules must be in 1...\(min(hidden, 30))")
        }
        if tieEmbeddings && embedding != hidden { throw ValidationError("--tie-embeddings needs --embedding equal to --hidden") }
        guard vocabSize >= 1 else { throw ValidationError("--vocab-size must be at least 1") }
    }

    var cellOptions: CellOptions {
        CellOptions(clockworkModules: clockworkModules,
                    reservoir: ReservoirSettings(sparsity: reservoirSparsity, spectralRadius: spectralRadius,
                                                 inputScaling: inputScaling, leak: leakRate))
    }

    /// Every option as a run records it (RunSettings).
    func settings() -> [String: String] {
        var s = MonolingualRun.settings(corpus: corpus, lang: lang, vocab: vocab, valid: valid, maxLen: maxLen,
                                        batchTokens: batchTokens, maxEpochs: maxEpochs, common: common)
        s["vocab-size"] = "\(vocabSize)"
        if let cell = try? CellKind.parse(cell, allowed: CellKind.languageModelCells, flag: "--cell") {
            s.merge(Self.settings(of: LanguageModelConfig(vocab: 0, cell: cell, embedding: embedding, hidden: hidden,
                                                          layers: layers, dropout: dropout, tieEmbeddings: tieEmbeddings,
                                                          cellOptions: cellOptions))) { $1 }
        }
        return s
    }

    /// The model's options as the command line gives them.
    static func settings(of c: LanguageModelConfig) -> [String: String] {
        ["cell": c.cell.rawValue, "clockwork-modules": "\(c.cellOptions.clockworkModules)",
         "reservoir-sparsity": "\(c.cellOptions.reservoir.sparsity)", "spectral-radius": "\(c.cellOptions.reservoir.spectralRadius)",
         "input-scaling": "\(c.cellOptions.reservoir.inputScaling)", "leak-rate": "\(c.cellOptions.reservoir.leak)",
         "embedding": "\(c.embedding)", "hidden": "\(c.hidden)", "layers": "\(c.layers)", "dropout": "\(c.dropout)",
         "tie-embeddings": "\(c.tieEmbeddings)"]
    }

    func run() throws {
        common.startProcesses()
        let observer = common.makeObserver()
        do {
            if let resume {
                let r = try MonolingualRun.resume(resume, as: LanguageModel.self, now: settings(),
                                                  modelSettings: { Self.settings(of: $0.config) }, common: common,
                                                  observer: observer)
                return try MonolingualRun.train(r.model, vocab: r.vocab, record: r.record, state: r.state, outDir: resume,
                                                common: common, observer: observer)
            }
            BLASThreads.set(common.threads)
            let outDir = output!
            try prepareOutputDirectory(outDir, force: force)
            let v = try MonolingualRun.vocabulary(path: vocab, corpus: corpus, lang: lang, outDir: outDir,
                                                  describe: "the \(vocabSize) most frequent words", common: common,
                                                  observer: observer) {
                try $0.build(minCount: 1, maxSize: vocabSize + Vocabulary.specials.count)
            }
            let config = LanguageModelConfig(vocab: v.count,
                                             cell: try CellKind.parse(cell, allowed: CellKind.languageModelCells, flag: "--cell"),
                                             embedding: embedding, hidden: hidden, layers: layers, dropout: dropout,
                                             tieEmbeddings: tieEmbeddings, cellOptions: cellOptions)
            let record = try MonolingualRun.newRecord(
                task: .languageModel, corpus: corpus, valid: valid, maxLength: maxLen,
                options: common.trainerOptions(batchTokens: batchTokens, maxEpochs: maxEpochs, emaDecay: 0), command: settings(),
                outDir: outDir)
            try MonolingualRun.train(LanguageModel(config, seed: common.seed), vocab: v, record: record, state: nil,
                                     outDir: outDir, common: common, observer: observer)
        } catch let e as ValidationError {
            throw e
        } catch {
            failTraining(error)
        }
    }
}
