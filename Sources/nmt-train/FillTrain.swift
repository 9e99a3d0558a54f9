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

    func run() throws {
        BLASThreads.set(common.threads)
        let observer = ConsoleObserver(quiet: common.quiet)
        let options = common.trainerOptions(batchTokens: batchTokens, maxEpochs: maxEpochs, emaDecay: 0)
        do {
            let outDir: String
            let model: FillModel
            let v: Vocabulary
            var state: TrainingState?
            var record: RunRecord
            if let resume {
                outDir = resume
                guard Checkpoint.isResumable(resume) else { console.fail("\(resume): nothing to resume (no last/\(Checkpoint.stateFile))") }
                record = try RunRecord.load(resume, task: .fill)
                let (loaded, s) = try Checkpoint.resume(resume, as: FillModel.self)
                record.options = common.resumed(record.options)
                model = loaded.model; v = loaded.vocab; state = s
                observer.logLine("resuming \(resume) at epoch \(s.epoch + 1), step \(s.step)")
            } else {
                outDir = output!
                try prepareOutputDirectory(outDir, force: force)
                if let vocab {
                    v = try Vocabulary.load(path: vocab)
                } else {
                    guard let lang else { throw ValidationError("give --vocab, or --lang to build a vocabulary from the corpus") }
                    observer.logLine("building the vocabulary from \(corpus.joined(separator: ", ")) (lang \(lang), min count 2)")
                    var builder = VocabularyBuilder(settings: TokenizerSettings(lang: lang))
                    let tok = try Tokenizer(settings: builder.settings)
                    for c in corpus { try builder.addFile(c, tokenizer: tok, skipInvalidUTF8: common.skipInvalid) }
                    v = try builder.build(minCount: 2)
                    try v.write(to: ModelDirectory.join(outDir, "text.vocab"), force: true)
                }
                if let lang, lang != v.settings.lang {
                    observer.logLine("warning: --lang \(lang) but the vocabulary's tokenizer language is \(v.settings.lang)")
                }
                let config = FillConfig(vocab: v.count, embedding: embedding, hidden: hidden, layers: layers,
                                        preOutput: preOutput, bidirectional: !leftOnly, dropout: dropout,
                                        inputMask: inputMask, labelSmoothing: labelSmoothing,
                                        cell: try CellKind.parse(cell, flag: "--cell"))
                model = FillModel(config, seed: common.seed)
                // Absolute paths: the model's config names its corpus for nmt-fill --eval's baselines.
                func absolute(_ p: String) -> String {
                    p.hasPrefix("/") ? p : ModelDirectory.join(FileManager.default.currentDirectoryPath, p)
                }
                record = RunRecord(task: .fill, train: corpus.map(absolute), valid: valid.map { [absolute($0)] } ?? [],
                                   maxLength: maxLen, options: options)
                try record.save(outDir)
            }
            let data = try MonolingualData.load(paths: record.train, vocab: v, maxLength: record.maxLength,
                                                skipInvalidUTF8: common.skipInvalid)
            observer.logLine("training data: \(data.summary)")
            guard !data.sentences.isEmpty else { console.fail("the training corpus has no usable sentence") }
            var validData: MonolingualData?
            if !record.valid.isEmpty {
                validData = try MonolingualData.load(paths: record.valid, vocab: v, maxLength: 0, skipInvalidUTF8: common.skipInvalid)
                observer.logLine("validation data: \(validData!.summary)")
            }
            observer.logLine("model: \(model.arena.count) parameters; \(model.config)")
            let trainer = try FillTrainer(model: model, vocab: v, corpus: record.train, train: data, valid: validData,
                                          options: record.options, outputDir: outDir, state: state)
            trainer.observer = observer
            installStopHandlers(trainer.stopRequested)
            let final = try trainer.run()
            if let best = final.bestScore {
                observer.logLine(String(format: "best validation perplexity %.2f at step %d; model in %@", -best, final.bestStep,
                                        ModelDirectory.join(outDir, "best") as NSString))
            }
        } catch let e as ValidationError {
            throw e
        } catch {
            console.fail("\(error)")
        }
    }
}
