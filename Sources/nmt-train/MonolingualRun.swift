// What `nmt-train fill` and `nmt-train lm` share around their model: resuming a run, the
// vocabulary (given, or built from the corpus), the run record with absolute paths, and loading
// the data and training with MonolingualTrainer.

import ArgumentParser
import Foundation
import NMTCLI
import NMTModel
import NMTStore
import NMTTensor
import NMTText
import NMTTrain

enum MonolingualRun {
    /// The run saved in `dir`: its record (checked against `now`, this command line's options,
    /// as RunSettings says; the model's own options come from `modelSettings`; the settings the
    /// resumed run uses are the record's), model, vocabulary and training state.
    static func resume<Model: MonolingualModel>(_ dir: String, as: Model.Type, now: [String: String],
                                                modelSettings: (Model) -> [String: String],
                                                common: CommonTrainingOptions, observer: ConsoleObserver)
        throws -> (record: RunRecord, model: Model, vocab: Vocabulary, state: TrainingState) {
        var record = try recordForResume(dir, task: Model.task)
        let (loaded, loadedState) = try Checkpoint.resume(dir, as: Model.self)
        var state = loadedState
        var recorded = record.settings
        if record.command == nil {   // an older record: its files are known
            recorded.values["corpus"] = record.train.joined(separator: "\n")
            if let v = record.valid.first { recorded.values["valid"] = v }
        }
        recorded.values.merge(modelSettings(loaded.model)) { $1 }
        _ = try resumedSettings(dir, record: &record, state: &state, recorded: recorded, now: now,
                                aliases: ["-o": "output", "bidirectional": "left-only"], common: common, observer: observer)
        return (record, loaded.model, loaded.vocabularies["text"]!, state)
    }

    /// The options fill and lm share as a run records them (paths absolute).
    static func settings(corpus: [String], lang: String?, vocab: String?, valid: String?, maxLen: Int,
                         batchTokens: Int, maxEpochs: Int, common: CommonTrainingOptions) -> [String: String] {
        var s = common.settings(batchTokens: batchTokens, maxEpochs: maxEpochs, emaDecay: 0)
        s["corpus"] = corpus.map(absolutePath).joined(separator: "\n")
        if let lang { s["lang"] = lang }
        if let vocab { s["vocab"] = absolutePath(vocab) }
        if let valid { s["valid"] = absolutePath(valid) }
        s["max-len"] = "\(maxLen)"
        return s
    }

    /// The vocabulary at `path`, or one built from the corpus in language `lang` (`describe` says
    /// how, for the log) and written to outDir/text.vocab.
    static func vocabulary(path: String?, corpus: [String], lang: String?, outDir: String, describe: String,
                           common: CommonTrainingOptions, observer: ConsoleObserver,
                           build: (VocabularyBuilder) throws -> Vocabulary) throws -> Vocabulary {
        let v: Vocabulary
        if let path {
            v = try Vocabulary.load(path: path)
        } else {
            guard let lang else { throw ValidationError("give --vocab, or --lang to build a vocabulary from the corpus") }
            observer.logLine("building the vocabulary from \(corpus.joined(separator: ", ")) (lang \(lang), \(describe))")
            var builder = VocabularyBuilder(settings: TokenizerSettings(lang: lang))
            let tok = try Tokenizer(settings: builder.settings)
            for c in corpus { try builder.addFile(c, tokenizer: tok, skipInvalidUTF8: common.skipInvalid) }
            v = try build(builder)
            if writesFiles { try v.write(to: ModelDirectory.join(outDir, "text.vocab"), force: true) }
        }
        if let lang, lang != v.settings.lang {
            observer.logLine("warning: --lang \(lang) but the vocabulary's tokenizer language is \(v.settings.lang)")
        }
        return v
    }

    /// A new run's record, with absolute paths (the model's config names its corpus for the
    /// n-gram baselines), saved in `outDir`.
    static func newRecord(task: ModelTask, corpus: [String], valid: String?, maxLength: Int, options: TrainerOptions,
                          command: [String: String], outDir: String) throws -> RunRecord {
        var record = RunRecord(task: task, train: corpus.map(absolutePath), valid: valid.map { [absolutePath($0)] } ?? [],
                               maxLength: maxLength, options: options, command: command)
        record.ranks = runProcesses.size > 1 ? runProcesses.size : nil
        if writesFiles { try record.save(outDir) }
        return record
    }

    /// Loads the run's data and trains until a budget, early stopping or Ctrl-C.
    static func train<Model: MonolingualModel>(_ model: Model, vocab: Vocabulary, record: RunRecord, state: TrainingState?,
                                               outDir: String, common: CommonTrainingOptions, observer: ConsoleObserver) throws {
        let skipInvalid = record.command?["skip-invalid"].map { $0 == "true" } ?? common.skipInvalid
        let data = try MonolingualData.load(paths: record.train, vocab: vocab, maxLength: record.maxLength,
                                            skipInvalidUTF8: skipInvalid)
        observer.logLine("training data: \(data.summary)")
        guard !data.sentences.isEmpty else { console.fail("the training corpus has no usable sentence") }
        var validData: MonolingualData?
        if !record.valid.isEmpty {
            validData = try MonolingualData.load(paths: record.valid, vocab: vocab, maxLength: 0, skipInvalidUTF8: skipInvalid)
            observer.logLine("validation data: \(validData!.summary)")
        }
        observer.logLine("model: \(model.arena.count) parameters; \(model.config)")
        observer.logLine(common.arithmeticLine)
        let trainer = try MonolingualTrainer(model: model, vocab: vocab, corpus: record.train, train: data, valid: validData,
                                             options: record.options, outputDir: outDir, state: state, collective: runProcesses)
        trainer.observer = observer
        common.armFaults(trainer)
        installStopHandlers(trainer.stopRequested)
        let final = try trainer.run()
        if let best = final.bestScore {
            observer.logLine(String(format: "best validation perplexity %.2f at step %d; model in %@", -best, final.bestStep,
                                    ModelDirectory.join(outDir, "best") as NSString))
        }
    }
}
