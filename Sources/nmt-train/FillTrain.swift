// nmt-train fill: train the fill-in-the-blank model (forward + backward LSTM LMs over a
// monolingual corpus; NMTModel.FillModel). Same batching, validation, checkpoints, progress
// display and exact resume as translation training.

import ArgumentParser
import Foundation
import NMTCLI
import NMTLayers
import NMTModel
import NMTStore
import NMTTensor
import NMTText
import NMTTrain

struct FillTrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fill",
        abstract: "Train a fill-in-the-blank model (forward and backward LSTM language models).",
        discussion: """
        Example (English, the shipped Multi30k data):
          nmt-train fill --corpus corpora/multi30k/train.en.gz --lang en \\
            --vocab vocab/multi30k.en.vocab --valid corpora/multi30k/val.en.gz -o runs/fill/en --max-minutes 20
        --left-only trains the left-to-right LSTM language model of the same size (the baseline
        of nmt-fill --eval). Ctrl-C saves last/; nmt-train fill --resume DIR continues exactly.
        """)

    @Option(parsing: .upToNextOption, help: "Training corpus file(s), plain or .gz, one sentence a line.") var corpus: [String] = []
    @Option(help: "Language (to build the vocabulary when --vocab is not given).") var lang: String?
    @Option(help: "Vocabulary (built from the corpus, min count 2, when omitted).") var vocab: String?
    @Option(help: "Validation file (perplexity; best/ keeps the lowest).") var valid: String?
    @Option(name: .shortAndLong, help: "Output directory.") var output: String?
    @Option(help: "Continue the run saved in this directory.") var resume: String?
    @Flag(help: "Use an output directory that exists and is not a resumable run.") var force = false

    @Flag(name: .customLong("left-only"), help: "Left-to-right language model only (baseline).") var leftOnly = false
    @Flag(name: .customLong("bidirectional"), help: "Both directions (the default).") var bidirectional = false
    @Option(help: "Embedding size.") var embedding = 256
    @Option(help: "Recurrent cell: rnn, lstm, peephole, coupled or gru.") var cell = "lstm"
    @Option(help: "Recurrent size per direction.") var hidden = 512
    @Option(help: "Recurrent layers per direction.") var layers = 1
    @Option(help: "Size of the hidden layer before the softmax.") var preOutput = 512
    @Option(help: "Dropout.") var dropout: Float = 0.3
    @Option(help: "Probability that a word's input is replaced by <mask> in training.") var inputMask: Float = 0.1
    @Option(help: "Label smoothing.") var labelSmoothing: Float = 0.1

    @Option(help: "Tokens per batch (padded).") var batchTokens = 2000
    @Option(help: "Drop sentences longer than this many tokens.") var maxLen = 80
    @Option(help: "Maximum epochs.") var maxEpochs = 30
    @OptionGroup var common: CommonTrainingOptions

    func validate() throws {
        if resume == nil {
            guard !corpus.isEmpty else { throw ValidationError("--corpus is required (or --resume DIR)") }
            guard output != nil else { throw ValidationError("-o/--output is required (or --resume DIR)") }
        }
        if leftOnly && bidirectional { throw ValidationError("--left-only and --bidirectional exclude each other") }
        do { _ = try CellKind.parse(cell, flag: "--cell") } catch { throw ValidationError("\(error)") }
    }

    /// Every option as a run records it (RunSettings).
    func settings() -> [String: String] {
        var s = MonolingualRun.settings(corpus: corpus, lang: lang, vocab: vocab, valid: valid, maxLen: maxLen,
                                        batchTokens: batchTokens, maxEpochs: maxEpochs, common: common)
        if let config = try? modelConfig(vocab: 0) { s.merge(Self.settings(of: config)) { $1 } }
        return s
    }

    func modelConfig(vocab: Int) throws -> FillConfig {
        FillConfig(vocab: vocab, embedding: embedding, hidden: hidden, layers: layers, preOutput: preOutput,
                   bidirectional: !leftOnly, dropout: dropout, inputMask: inputMask, labelSmoothing: labelSmoothing,
                   cell: try CellKind.parse(cell, flag: "--cell"))
    }

    /// The model's options as the command line gives them.
    static func settings(of c: FillConfig) -> [String: String] {
        ["left-only": "\(!c.bidirectional)", "embedding": "\(c.embedding)", "cell": c.cell.rawValue, "hidden": "\(c.hidden)",
         "layers": "\(c.layers)", "pre-output": "\(c.preOutput)", "dropout": "\(c.dropout)", "input-mask": "\(c.inputMask)",
         "label-smoothing": "\(c.labelSmoothing)"]
    }

    func run() throws {
        common.startProcesses()
        let observer = common.makeObserver()
        do {
            if let resume {
                let r = try MonolingualRun.resume(resume, as: FillModel.self, now: settings(),
                                                  modelSettings: { Self.settings(of: $0.config) }, common: common,
                                                  observer: observer)
                return try MonolingualRun.train(r.model, vocab: r.vocab, record: r.record, state: r.state, outDir: resume,
                                                common: common, observer: observer)
            }
            BLASThreads.set(common.threads)
            let outDir = output!
            try prepareOutputDirectory(outDir, force: force)
            let v = try MonolingualRun.vocabulary(path: vocab, corpus: corpus, lang: lang, outDir: outDir, describe: "min count 2",
                                                  common: common, observer: observer) { try $0.build(minCount: 2) }
            let config = try modelConfig(vocab: v.count)
            let record = try MonolingualRun.newRecord(
                task: .fill, corpus: corpus, valid: valid, maxLength: maxLen,
                options: common.trainerOptions(batchTokens: batchTokens, maxEpochs: maxEpochs, emaDecay: 0), command: settings(),
                outDir: outDir)
            try MonolingualRun.train(FillModel(config, seed: common.seed), vocab: v, record: record, state: nil, outDir: outDir,
                                     common: common, observer: observer)
        } catch let e as ValidationError {
            throw e
        } catch {
            failTraining(error)
        }
    }
}
