// nmt-train: train a translation model (BiLSTM encoder → GRU attention decoder), the default
// subcommand `translate`, or a fill-in-the-blank model (`nmt-train fill`, FillTrain.swift).
// Parses arguments, loads data, hands off to NMTTrain.Trainer / FillTrainer, prints progress.

import ArgumentParser
import Foundation
import Logging
import NMTCLI
import NMTDistributed
import NMTInference
import NMTLayers
import NMTModel
import NMTTensor
import NMTText
import NMTTrain

let console = Console("nmt-train")

nonisolated(unsafe) var stopAddress: UnsafeMutablePointer<Int32>?

func installStopHandlers(_ flag: StopFlag) {
    stopAddress = flag.address
    for sig in [SIGINT, SIGTERM] {
        signal(sig) { _ in
            if let p = stopAddress {
                if p.pointee != 0 { _exit(130) }   // a second Ctrl-C quits at once
                p.pointee = 1
            }
        }
    }
}


/// Progress on a terminal (a bar redrawn in place; not in JSON logs) and log lines through
/// swift-log (--log-level, --log-format).
final class ConsoleObserver: TrainingObserver {
    let quiet: Bool
    let terminal = isatty(2) != 0
    let logger: Logger
    let drawsBar: Bool
    var lastDraw = 0.0
    var epochShown = -1, firstBatch = 0
    var epochStart = 0.0
    init(quiet: Bool, logger: Logger = Logger(label: "nmt-train"), format: LogFormat = .text) {
        self.quiet = quiet
        self.logger = logger
        drawsBar = terminal && !quiet && format == .text && logger.logLevel <= .info
    }

    func say(_ s: String) { FileHandle.standardError.write(s.data(using: .utf8)!) }

    func trainingProgress(epoch: Int, batch: Int, batches: Int, loss: Double, tokensPerSecond: Double, learningRate: Float) {
        guard drawsBar else { return }
        let now = Date().timeIntervalSince1970
        if now - lastDraw < 0.2 && batch < batches { return }
        lastDraw = now
        if epoch != epochShown { epochShown = epoch; epochStart = now; firstBatch = batch }
        let done = max(batch - firstBatch, 0)
        let eta = done > 0 ? (now - epochStart) / Double(done) * Double(batches - batch) : 0
        let width = 30
        let filled = batches > 0 ? width * batch / batches : 0
        let bar = String(repeating: "█", count: filled) + String(repeating: "·", count: width - filled)
        say(String(format: "\r\u{1B}[Kepoch %d %@ %d/%d  loss %.3f  %.0f tok/s  ETA %d:%02d", epoch, bar as NSString, batch, batches,
                   loss, tokensPerSecond, Int(eta) / 60, Int(eta) % 60))
    }

    func logLine(_ line: String) {
        guard !quiet else { return }
        if line.hasPrefix("warning: ") { logger.warning("\(line.dropFirst("warning: ".count))") } else { logger.info("\(line)") }
    }
}

/// Validation BLEU: translate the validation sources with the model as it is now.
enum ValidationTranslator {
    static func make(model: Seq2Seq, sourceVocab: Vocabulary, targetVocab: Vocabulary, beam: Int) -> (([String]) -> [String])? {
        var options = TranslateOptions(beamSize: beam, greedy: beam <= 1)
        options.lengthPenalty = beam <= 1 ? 0 : options.lengthPenalty
        guard let translator = try? Translator(model: model, sourceVocab: sourceVocab, targetVocab: targetVocab,
                                               options: options) else { return nil }
        return { lines in translator.translate(lines).map(\.text) }
    }
}

struct NMTTrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "translate",
        abstract: "Train a translation model (bidirectional LSTM encoder, GRU decoder with attention).",
        discussion: """
        Example (German → English on the shipped Multi30k data):
          nmt-train --src corpora/multi30k/train.de.gz \\
            --tgt corpora/multi30k/train.en.gz \\
            --src-vocab vocab/multi30k.de.vocab --tgt-vocab vocab/multi30k.en.vocab \\
            --valid-src corpora/multi30k/val.de.gz \\
            --valid-tgt corpora/multi30k/val.en.gz -o models/de-en
        The output directory gets best/ (best validation BLEU), last/ (latest
        checkpoint) and train.log.jsonl. Ctrl-C saves last/ and exits;
        --resume DIR continues exactly. --config FILE reads options from YAML.
        """)

    @Option(help: "Source side of the training corpus (plain or .gz).") var src: String?
    @Option(help: "Target side of the training corpus.") var tgt: String?
    @Option(help: "Source vocabulary (built from --src when omitted).") var srcVocab: String?
    @Option(help: "Target vocabulary (built from --tgt when omitted).") var tgtVocab: String?
    @Option(help: "Source language, to build a missing vocabulary (default: from the file name).") var srcLang: String?
    @Option(help: "Target language, to build a missing vocabulary (default: from the file name).") var tgtLang: String?
    @Option(help: "Validation source.") var validSrc: String?
    @Option(help: "Validation target (references for BLEU).") var validTgt: String?
    @Option(name: .shortAndLong, help: "Output directory.") var output: String?
    @Option(help: "Continue the run saved in this directory.") var resume: String?
    @Flag(help: "Use an output directory that exists and is not a resumable run.") var force = false

    @Option(help: "Embedding size (source and target).") var embedding = 256
    @Option(help: "Encoder cell, both directions: rnn, lstm, peephole, coupled or gru.") var encCell = "lstm"
    @Option(help: "Encoder size per direction.") var encHidden = 256
    @Option(help: "Encoder layers.") var encLayers = 1
    @Option(help: "Decoder cell: rnn, lstm, peephole, coupled or gru.") var decCell = "gru"
    @Option(help: "Decoder size.") var decHidden = 512
    @Option(help: "Attention size.") var attention = 512
    @Option(help: "Pre-output layer size.") var preOutput = 512
    @Option(help: "Dropout.") var dropout: Float = 0.3
    @Option(help: "Label smoothing.") var labelSmoothing: Float = 0.1
    @Option(help: "Word dropout on the source: the probability that a source token's whole embedding is dropped in training (Marian's --dropout-src).")
    var dropoutSrc: Float = 0
    @Option(help: "Word dropout on the decoder's input tokens (Marian's --dropout-trg).")
    var dropoutTgt: Float = 0
    @Flag(inversion: .prefixedNo,
          help: "Share the target embedding with the output layer (through a pre-output → embedding projection when the sizes differ); --no-tie-embeddings gives the output layer its own weight (the reference benchmark's shape).")
    var tieEmbeddings = true
    @Flag(help: "Read and write the target right to left (a reranker for left-to-right models: nmt-translate --rescore).")
    var reverseTarget = false
    @Flag(help: "Layer normalisation in every recurrent cell, encoder and decoder: the input projection and the recurrent product normalised apart, each with its own gain (Marian's --layer-normalization).")
    var layerNorm = false

    @Option(help: "Target tokens per batch (padded).") var batchTokens = 1200
    @Option(help: "Drop pairs longer than this many tokens.") var maxLen = 80
    @Option(help: "Maximum epochs.") var maxEpochs = 20
    @Option(help: "Beam size for validation BLEU (1: greedy).") var validBeam = 1
    @OptionGroup var common: CommonTrainingOptions

    func validate() throws {
        if resume == nil {
            guard src != nil, tgt != nil else { throw ValidationError("--src and --tgt are required (or --resume DIR)") }
            guard output != nil else { throw ValidationError("-o/--output is required (or --resume DIR)") }
        }
        if (validSrc == nil) != (validTgt == nil) { throw ValidationError("give both --valid-src and --valid-tgt, or neither") }
        for (flag, p) in [("--dropout", dropout), ("--dropout-src", dropoutSrc), ("--dropout-tgt", dropoutTgt),
                          ("--label-smoothing", labelSmoothing)] where !(p >= 0 && p < 1) {
            throw ValidationError("\(flag) must be at least 0 and below 1")
        }
        do {
            _ = try CellKind.parse(encCell, flag: "--enc-cell")
            _ = try CellKind.parse(decCell, flag: "--dec-cell")
        } catch { throw ValidationError("\(error)") }
    }

    /// The language a corpus file's name ends in ("train.de.gz" → "de"), if ICU knows it.
    func langFromName(_ path: String) -> String? {
        var name = (path as NSString).lastPathComponent
        if name.hasSuffix(".gz") { name = String(name.dropLast(3)) }
        let ext = (name as NSString).pathExtension
        return TokenizerSettings.isKnownLanguage(ext) ? ext : nil
    }

    func vocabulary(_ path: String?, corpus: String, lang: String?, side: String, outDir: String,
                    observer: ConsoleObserver) throws -> Vocabulary {
        if let path { return try Vocabulary.load(path: path) }
        guard let lang = lang ?? langFromName(corpus) else {
            let flag = side == "source" ? "src" : "tgt"
            console.fail("no --\(flag)-vocab given, and the name of \(corpus) does not end in a language code ICU knows "
                         + "(as train.de does): pass --\(flag)-lang (or --\(flag)-vocab)")
        }
        observer.logLine("building the \(side) vocabulary from \(corpus) (lang \(lang), min count 2, nmt-vocab's defaults)")
        var builder = VocabularyBuilder(settings: TokenizerSettings(lang: lang))
        try builder.addFile(corpus, tokenizer: try Tokenizer(settings: builder.settings), skipInvalidUTF8: common.skipInvalid)
        let v = try builder.build(minCount: 2)
        if writesFiles { try v.write(to: ModelDirectory.join(outDir, "\(side).vocab"), force: true) }
        return v
    }

    /// Every option as a run records it (RunSettings), paths absolute.
    func settings() -> [String: String] {
        var s = common.settings(batchTokens: batchTokens, maxEpochs: maxEpochs, emaDecay: 0.999)
        for (key, path) in [("src", src), ("tgt", tgt), ("src-vocab", srcVocab), ("tgt-vocab", tgtVocab),
                            ("valid-src", validSrc), ("valid-tgt", validTgt)] {
            if let path { s[key] = absolutePath(path) }
        }
        if let srcLang { s["src-lang"] = srcLang }
        if let tgtLang { s["tgt-lang"] = tgtLang }
        s["max-len"] = "\(maxLen)"
        s["valid-beam"] = "\(validBeam)"
        if let config = try? modelConfig(sourceVocab: 0, targetVocab: 0) { s.merge(Self.settings(of: config)) { $1 } }
        return s
    }

    /// The model's options as the command line gives them.
    static func settings(of c: Seq2SeqConfig) -> [String: String] {
        ["embedding": "\(c.embedding)", "enc-cell": c.encoderCell.rawValue, "enc-hidden": "\(c.encoderHidden)",
         "enc-layers": "\(c.encoderLayers)", "dec-cell": c.decoderCell.rawValue, "dec-hidden": "\(c.decoderHidden)",
         "attention": "\(c.attention)", "pre-output": "\(c.preOutput)", "dropout": "\(c.dropout)",
         "label-smoothing": "\(c.labelSmoothing)", "tie-embeddings": "\(c.tieEmbeddings)",
         "reverse-target": "\(c.reverseTarget)", "dropout-src": "\(c.sourceWordDropout)", "dropout-tgt": "\(c.targetWordDropout)",
         "layer-norm": "\(c.layerNorm)"]
    }

    func modelConfig(sourceVocab: Int, targetVocab: Int) throws -> Seq2SeqConfig {
        Seq2SeqConfig(sourceVocab: sourceVocab, targetVocab: targetVocab, embedding: embedding,
                      encoderHidden: encHidden, encoderLayers: encLayers, decoderHidden: decHidden,
                      attention: attention, preOutput: preOutput, dropout: dropout, labelSmoothing: labelSmoothing,
                      tieEmbeddings: tieEmbeddings, encoderCell: try CellKind.parse(encCell, flag: "--enc-cell"),
                      decoderCell: try CellKind.parse(decCell, flag: "--dec-cell"), reverseTarget: reverseTarget,
                      sourceWordDropout: dropoutSrc, targetWordDropout: dropoutTgt, layerNorm: layerNorm)
    }

    func run() throws {
        common.startProcesses()
        let observer = common.makeObserver()
        do {
            if let resume { return try resumeRun(resume, observer: observer) }
            BLASThreads.set(common.threads)
            let outDir = output!
            try prepareOutputDirectory(outDir, force: force)
            let srcV = try vocabulary(srcVocab, corpus: src!, lang: srcLang, side: "source", outDir: outDir, observer: observer)
            let tgtV = try vocabulary(tgtVocab, corpus: tgt!, lang: tgtLang, side: "target", outDir: outDir, observer: observer)
            let model = Seq2Seq(try modelConfig(sourceVocab: srcV.count, targetVocab: tgtV.count), seed: common.seed)
            var record = RunRecord(task: .translation, train: [src!, tgt!], valid: [validSrc, validTgt].compactMap { $0 },
                                   maxLength: maxLen, options: common.trainerOptions(batchTokens: batchTokens, maxEpochs: maxEpochs,
                                                                                     emaDecay: 0.999),
                                   command: settings())
            record.ranks = runProcesses.size > 1 ? runProcesses.size : nil
            if writesFiles { try record.save(outDir) }
            try train(outDir: outDir, model: model, srcV: srcV, tgtV: tgtV, state: nil, record: record, validBeam: validBeam,
                      skipInvalid: common.skipInvalid, observer: observer)
        } catch let e as ValidationError {
            throw e
        } catch {
            failTraining(error)
        }
    }

    /// Continues the run in `dir` with its recorded options (RunSettings says which may change).
    func resumeRun(_ dir: String, observer: ConsoleObserver) throws {
        var record = try recordForResume(dir, task: .translation)
        let (loaded, loadedState) = try Checkpoint.resume(dir, as: Seq2Seq.self)
        var state = loadedState
        var recorded = record.settings
        if record.command == nil {   // an older record: its files and the model's options are known
            for (key, path) in zip(["src", "tgt"], record.train) { recorded.values[key] = absolutePath(path) }
            for (key, path) in zip(["valid-src", "valid-tgt"], record.valid) { recorded.values[key] = absolutePath(path) }
        }
        recorded.values.merge(Self.settings(of: loaded.model.config)) { $1 }
        let effective = try resumedSettings(dir, record: &record, state: &state, recorded: recorded, now: settings(),
                                            aliases: ["-o": "output", "no-tie-embeddings": "tie-embeddings"],
                                            common: common, observer: observer)
        if let v = srcVocab, try Vocabulary.load(path: v).contentHash != loaded.sourceVocab.contentHash {
            console.fail("--src-vocab \(v) is not the vocabulary of the model in \(dir)")
        }
        if let v = tgtVocab, try Vocabulary.load(path: v).contentHash != loaded.targetVocab.contentHash {
            console.fail("--tgt-vocab \(v) is not the vocabulary of the model in \(dir)")
        }
        try train(outDir: dir, model: loaded.model, srcV: loaded.sourceVocab, tgtV: loaded.targetVocab, state: state,
                  record: record, validBeam: effective["valid-beam"].flatMap { Int($0) } ?? 1,
                  skipInvalid: effective["skip-invalid"] == "true", observer: observer)
    }

    /// Trains as `record` says (its files, length limit and options; a resumed run's own).
    func train(outDir: String, model: Seq2Seq, srcV: Vocabulary, tgtV: Vocabulary, state: TrainingState?,
               record: RunRecord, validBeam: Int, skipInvalid: Bool, observer: ConsoleObserver) throws {
        do {
            let data = try ParallelData.load(sourcePath: record.train[0], targetPath: record.train[1], sourceVocab: srcV,
                                             targetVocab: tgtV, maxLength: record.maxLength, skipInvalidUTF8: skipInvalid,
                                             reverseTarget: model.config.reverseTarget)
            observer.logLine("training data: \(data.summary)")
            var valid: ParallelData?
            if record.valid.count == 2 {
                valid = try ParallelData.load(sourcePath: record.valid[0], targetPath: record.valid[1], sourceVocab: srcV, targetVocab: tgtV,
                                              maxLength: 0, keepLines: true, skipInvalidUTF8: skipInvalid,
                                              reverseTarget: model.config.reverseTarget)
                observer.logLine("validation data: \(valid!.summary)")
            }
            let params = model.arena.count
            observer.logLine("model: \(params) parameters; \(model.config)")
            observer.logLine(common.arithmeticLine)
            let trainer = try Trainer(model: model, sourceVocab: srcV, targetVocab: tgtV, train: data, valid: valid,
                                      options: record.options, outputDir: outDir, state: state, collective: runProcesses)
            trainer.observer = observer
            common.armFaults(trainer)
            trainer.translate = ValidationTranslator.make(model: model, sourceVocab: srcV, targetVocab: tgtV, beam: validBeam)
            installStopHandlers(trainer.stopRequested)
            let final = try trainer.run()
            if let best = final.bestScore {
                observer.logLine(String(format: "best validation score %.2f at step %d; model in %@", best, final.bestStep,
                                        ModelDirectory.join(outDir, "best") as NSString))
            }
        } catch {
            failTraining(error)
        }
    }
}

struct NMTTrainRoot: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "nmt-train",
        abstract: "Train a translation model (default), a fill-in-the-blank model (nmt-train fill) or a language model (nmt-train lm).",
        subcommands: [NMTTrainCommand.self, FillTrainCommand.self, LMTrainCommand.self, InitCommand.self, AverageCommand.self, EnsembleCommand.self, PlotCommand.self],
        defaultSubcommand: NMTTrainCommand.self)
}

signal(SIGXFSZ, SIG_IGN)   // past a file-size limit, a write fails (and says so) instead of killing the run
extension NMTTrainRoot {
    static let commands: [String: ParsableCommand.Type] = ["translate": NMTTrainCommand.self, "fill": FillTrainCommand.self,
                                                          "lm": LMTrainCommand.self]

    /// `arguments` with the file of --config expanded in front of the subcommand's own (the
    /// subcommand given first, else a run record's task, else translate).
    static func expandConfig(_ arguments: [String]) throws -> (arguments: [String], expansion: ConfigFile.Expansion?) {
        guard ConfigFile.path(in: arguments) != nil else { return (arguments, nil) }
        let named = arguments.first.flatMap { commands[$0] != nil ? $0 : nil }
        let rest = named == nil ? arguments : Array(arguments.dropFirst())
        let name = named ?? "translate"
        let table = OptionTable(help: commands[name]!.helpMessage(columns: 10_000))
        guard let e = try ConfigFile.expansion(of: rest, table: table, aliases: ["-o": "output"]) else { return (arguments, nil) }
        if named == nil, let task = e.task, let sub = ["fill": "fill", "lm": "lm"][task] {
            return try expandConfig([sub] + arguments)
        }
        return ((named.map { [$0] } ?? []) + e.arguments + rest, e)
    }
}

// --config FILE is expanded before parsing, so the file's values are checked like flags; an
// error about a flag the file gave names the file and line.
var arguments = Array(CommandLine.arguments.dropFirst())
// `nmt-train --help`: the subcommands, then the options of the default one (translate).
if arguments == ["--help"] || arguments == ["-h"] {
    print(NMTTrainRoot.helpMessage())
    print("The default subcommand, translate (nmt-train … without a subcommand):\n")
    print(NMTTrainRoot.helpMessage(for: NMTTrainCommand.self))
    exit(0)
}
var expansion: ConfigFile.Expansion?
do {
    (arguments, expansion) = try NMTTrainRoot.expandConfig(arguments)
} catch {
    console.fail("\(error)")
}
do {
    var command = try NMTTrainRoot.parseAsRoot(arguments)
    try command.run()
} catch {
    if let expansion, let located = ConfigFile.locate(NMTTrainRoot.message(for: error), in: expansion) {
        console.fail(located.description)
    }
    NMTTrainRoot.exit(withError: error)
}
MPICollective.finishedCleanly = true
