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
