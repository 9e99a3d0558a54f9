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
    /// The run saved in `dir`: its record (new budgets from the command line applied), model,
    /// vocabulary and training state.
    static func resume<Model: MonolingualModel>(_ dir: String, as: Model.Type, common: CommonTrainingOptions,
                                                observer: ConsoleObserver)
        throws -> (record: RunRecord, model: Model, vocab: Vocabulary, state: TrainingState) {
        guard Checkpoint.isResumable(dir) else { console.fail("\(dir): nothing to resume (no last/\(Checkpoint.stateFile))") }
        var record = try RunRecord.load(dir, task: Model.task)
        let (loaded, state) = try Checkpoint.resume(dir, as: Model.self)
        record.options = common.resumed(record.options)
        observer.logLine("resuming \(dir) at epoch \(state.epoch + 1), step \(state.step)")
        if let change = record.arithmeticChange() { observer.logLine(change) }
        return (record, loaded.model, loaded.vocabularies["text"]!, state)
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
            try v.write(to: ModelDirectory.join(outDir, "text.vocab"), force: true)
        }
        if let lang, lang != v.settings.lang {
            observer.logLine("warning: --lang \(lang) but the vocabulary's tokenizer language is \(v.settings.lang)")
        }
        return v
    }

    /// A new run's record, with absolute paths (the model's config names its corpus for the
    /// n-gram baselines), saved in `outDir`.
    static func newRecord(task: ModelTask, corpus: [String], valid: String?, maxLength: Int, options: TrainerOptions,
                          outDir: String) throws -> RunRecord {
        func absolute(_ p: String) -> String {
            p.hasPrefix("/") ? p : ModelDirectory.join(FileManager.default.currentDirectoryPath, p)
        }
        let record = RunRecord(task: task, train: corpus.map(absolute), valid: valid.map { [absolute($0)] } ?? [],
                               maxLength: maxLength, options: options)
        try record.save(outDir)
        return record
    }

    /// Loads the run's data and trains until a budget, early stopping or Ctrl-C.
    static func train<Model: MonolingualModel>(_ model: Model, vocab: Vocabulary, record: RunRecord, state: TrainingState?,
                                               outDir: String, common: CommonTrainingOptions, observer: ConsoleObserver) throws {
        let data = try MonolingualData.load(paths: record.train, vocab: vocab, maxLength: record.maxLength,
                                            skipInvalidUTF8: common.skipInvalid)
        observer.logLine("training data: \(data.summary)")
        guard !data.sentences.isEmpty else { console.fail("the training corpus has no usable sentence") }
        var validData: MonolingualData?
        if !record.valid.isEmpty {
            validData = try MonolingualData.load(paths: record.valid, vocab: vocab, maxLength: 0, skipInvalidUTF8: common.skipInvalid)
            observer.logLine("validation data: \(validData!.summary)")
        }
        observer.logLine("model: \(model.arena.count) parameters; \(model.config)")
        observer.logLine("\(Kernels.summary), \(BLASThreads.count) thread(s)")
        let trainer = try MonolingualTrainer(model: model, vocab: vocab, corpus: record.train, train: data, valid: validData,
                                             options: record.options, outputDir: outDir, state: state)
        trainer.observer = observer
        installStopHandlers(trainer.stopRequested)
        let final = try trainer.run()
        if let best = final.bestScore {
            observer.logLine(String(format: "best validation perplexity %.2f at step %d; model in %@", -best, final.bestStep,
                                    ModelDirectory.join(outDir, "best") as NSString))
        }
    }
}
