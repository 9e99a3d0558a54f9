import Foundation
import NMTStore
import NMTTestSupport
import NMTTrain
import Testing

/// run.json: one format for every task; version 1 files (translation and fill) are migrated.
@Suite struct RunRecordTests {
    @Test func roundTripsAndRefusesAnotherTask() throws {
        let dir = makeTemporaryDirectory(prefix: "nmt-run")
        var options = TrainerOptions()
        options.emaDecay = 0.999
        options.seed = 7
        let record = RunRecord(task: .translation, train: ["s", "t"], valid: ["vs", "vt"], maxLength: 30, options: options)
        try record.save(dir)
        #expect(try RunRecord.load(dir, task: .translation) == record)
        #expect(throws: CheckpointError.self) { try RunRecord.load(dir, task: .fill) }
    }

    @Test func recordsTheArithmeticAndNotesAChangeAtResume() throws {
        let dir = makeTemporaryDirectory(prefix: "nmt-run")
        let record = RunRecord(task: .languageModel, train: ["c"], valid: [], maxLength: 0, options: TrainerOptions(),
                               arithmetic: .init(threads: 1, kernels: "avx2"))
        try record.save(dir)
        let loaded = try RunRecord.load(dir, task: .languageModel)
        #expect(loaded.arithmetic == .init(threads: 1, kernels: "avx2"))
        #expect(loaded.arithmeticChange(now: .init(threads: 1, kernels: "avx2")) == nil)
        let note = loaded.arithmeticChange(now: .init(threads: 2, kernels: "avx512"))
        #expect(note == "note: this run started with 1 thread, kernels avx2 and resumes with 2 threads, kernels avx512: "
                + "it continues correctly, but not bit-identically to a run that never stopped")
        // Records written before the field existed say nothing.
        var old = record
        old.arithmetic = nil
        #expect(old.arithmeticChange() == nil)
        #expect(RunRecord(task: .languageModel, train: [], valid: [], maxLength: 0, options: TrainerOptions()).arithmetic == .current)
    }

    /// A resume may change budgets, frequencies and threads; the learning rate only when told;
    /// anything else, or an option the record lacks, is a conflict naming both values.
    @Test func resumedSettingsAllowOnlyTheDocumentedChanges() throws {
        var options = TrainerOptions()
        options.maxSteps = 100
        var values = RunSettings.trainer(options)
        values["dropout"] = "0.3"
        values["threads"] = "1"
        let recorded = RunSettings(values)
        #expect(recorded.applied(to: TrainerOptions()) == options)
        #expect(try recorded.resumed(given: [:], resetLearningRate: false) == recorded)
        let budgets = try recorded.resumed(given: ["max-steps": "200", "threads": "2", "dropout": "0.3", "valid-every": "50"],
                                           resetLearningRate: false)
        #expect(budgets["max-steps"] == "200" && budgets["threads"] == "2" && budgets["valid-every"] == "50")
        #expect(recorded.changes(to: budgets).count == 3)
        #expect(throws: RunSettings.Conflict.differs(option: "dropout", recorded: "0.3", given: "0.5")) {
            try recorded.resumed(given: ["dropout": "0.5", "max-steps": "200"], resetLearningRate: false)
        }
        #expect(throws: RunSettings.Conflict.notRecorded(option: "valid-beam", given: "5")) {
            try recorded.resumed(given: ["valid-beam": "5"], resetLearningRate: false)
        }
        #expect(throws: RunSettings.Conflict.learningRate(recorded: "0.001", given: "0.01")) {
            try recorded.resumed(given: ["learning-rate": "0.01"], resetLearningRate: false)
        }
        let rate = try recorded.resumed(given: ["learning-rate": "0.01"], resetLearningRate: true)
        #expect(rate.applied(to: options).learningRate == 0.01)
        // A record written before commands were recorded: its options, length limit and threads.
        let legacy = RunRecord(task: .translation, train: ["s", "t"], valid: [], maxLength: 30, options: options,
                               arithmetic: .init(threads: 1, kernels: "avx2"))
        #expect(legacy.settings["max-len"] == "30" && legacy.settings["threads"] == "1" && legacy.settings["max-steps"] == "100")
    }

    /// A record written before --keep-checkpoints existed loads with it off, and may take it at resume.
    @Test func recordWithoutKeepCheckpointsLoads() throws {
        let dir = makeTemporaryDirectory(prefix: "nmt-run")
        var record = RunRecord(task: .translation, train: ["s", "t"], valid: [], maxLength: 80, options: TrainerOptions())
        try record.save(dir)
        var json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir + "/run.json"))) as! [String: Any]
        var options = json["options"] as! [String: Any]
        #expect(options["keepCheckpoints"] as? Int == 0)
        options["keepCheckpoints"] = nil
        json["options"] = options
        try JSONSerialization.data(withJSONObject: json).write(to: URL(fileURLWithPath: dir + "/run.json"))
        record = try RunRecord.load(dir, task: .translation)
        #expect(record.options.keepCheckpoints == 0)
        let resumed = try record.settings.resumed(given: ["keep-checkpoints": "3"], resetLearningRate: false)
        #expect(resumed.applied(to: record.options).keepCheckpoints == 3)
    }

    @Test func version1TranslationRecordIsMigrated() throws {
        let dir = makeTemporaryDirectory(prefix: "nmt-run")
        // Written before emaDecay existed and before the record had a version.
        let v1 = #"{"src": "a.de", "tgt": "a.en", "validSrc": "v.de", "validTgt": "v.en", "options": {"batchTokens": 900, "clipNorm": 5, "earlyStop": 6, "learningRate": 0.002, "logEvery": 100, "maxBadBatches": 5, "maxEpochs": 20, "maxMinutes": 0, "maxSteps": 0, "minLearningRate": 1e-05, "patience": 2, "seed": 3, "validEvery": 0}}"#
        try Data(v1.utf8).write(to: URL(fileURLWithPath: dir + "/run.json"))
        let r = try RunRecord.load(dir, task: .translation)
        #expect(r.version == RunRecord.currentVersion && r.train == ["a.de", "a.en"] && r.valid == ["v.de", "v.en"])
        #expect(r.maxLength == 80 && r.options.batchTokens == 900 && r.options.learningRate == 0.002)
        #expect(r.options.seed == 3 && r.options.emaDecay == 0)
    }

    @Test func version1FillRecordIsMigrated() throws {
        let dir = makeTemporaryDirectory(prefix: "nmt-run")
        var options = TrainerOptions()
        options.batchTokens = 1500
        let opts = String(decoding: try JSONEncoder().encode(options), as: UTF8.self)
        let v1 = #"{"task": "fill", "corpus": ["/c/a.en", "/c/b.en"], "maxLength": 60, "options": "# + opts + "}"
        try Data(v1.utf8).write(to: URL(fileURLWithPath: dir + "/run.json"))
        let r = try RunRecord.load(dir, task: .fill)
        #expect(r.train == ["/c/a.en", "/c/b.en"] && r.valid.isEmpty && r.maxLength == 60 && r.options == options)
    }
}
