import Foundation
import NMTLayers
import NMTModel
import NMTStore
import NMTTestSupport
import NMTText
import Testing

/// One model directory format for every task: version 1 files are read through the explicit
/// migration; `resolve` takes a model directory or a training directory (best/, else last/).
@Suite struct ModelDirectoryTests {
    static func vocabulary() throws -> Vocabulary {
        try Vocabulary(settings: TokenizerSettings(lang: "en"), entries: ["a", "b", "c"].map { ($0, 3) })
    }

    static func tinySeq2Seq(_ v: Vocabulary, tied: Bool) -> Seq2Seq {
        Seq2Seq(Seq2SeqConfig(sourceVocab: v.count, targetVocab: v.count, embedding: 4, encoderHidden: 3, decoderHidden: 5,
                            attention: 4, preOutput: 4, tieEmbeddings: tied), seed: 3)
    }

    /// Rewrites dir/config.json as `edit` says (a JSON object).
    static func editConfig(_ dir: String, _ edit: (inout [String: Any]) -> Void) throws {
        let path = dir + "/config.json"
        var json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as! [String: Any]
        edit(&json)
        try JSONSerialization.data(withJSONObject: json).write(to: URL(fileURLWithPath: path))
    }

    @Test func version1TranslationConfigIsMigrated() throws {
        let v = try Self.vocabulary()
        let dir = makeTemporaryDirectory(prefix: "nmt-store")
        let model = Self.tinySeq2Seq(v, tied: false)
        try ModelDirectory.save(model, sourceVocab: v, targetVocab: v, to: dir)
        // What version 1 wrote: source_vocab / target_vocab, no tieEmbeddings (untied), no task.
        try Self.editConfig(dir) { json in
            var vocabs = json["vocabularies"] as! [String: Any]
            json["version"] = 1
            json["source_vocab"] = vocabs.removeValue(forKey: "source")
            json["target_vocab"] = vocabs.removeValue(forKey: "target")
            json["vocabularies"] = nil; json["corpus"] = nil; json["task"] = nil
            var m = json["model"] as! [String: Any]
            m["tieEmbeddings"] = nil; m["encoderCell"] = nil
            json["model"] = m
        }
        let loaded = try ModelDirectory.load(dir, as: Seq2Seq.self)
        #expect(loaded.config.version == ModelFileMigration.currentVersion)
        #expect(loaded.config.task == .translation && loaded.config.model == model.config && !loaded.config.model.tieEmbeddings)
        #expect(loaded.sourceVocab == v && loaded.targetVocab == v)
        // A file from a newer program is refused, naming the file.
        try Self.editConfig(dir) { $0["version"] = 99 }
        #expect(throws: ModelDirectoryError.self) { try ModelDirectory.load(dir, as: Seq2Seq.self) }
    }

    @Test func version1FillConfigIsMigrated() throws {
        let v = try Self.vocabulary()
        let dir = makeTemporaryDirectory(prefix: "nmt-store")
        let model = FillModel(FillConfig(vocab: v.count, embedding: 4, hidden: 3, preOutput: 4), seed: 2)
        try ModelDirectory.save(model, vocab: v, corpus: ["/c/train.en"], to: dir)
        try Self.editConfig(dir) { json in
            json["version"] = 1
            json["vocab"] = (json["vocabularies"] as! [String: Any])["text"]
            json["vocabularies"] = nil
            var m = json["model"] as! [String: Any]
            m["cell"] = nil
            json["model"] = m
        }
        let loaded = try ModelDirectory.load(dir, as: FillModel.self)
        #expect(loaded.config.task == .fill && loaded.config.corpus == ["/c/train.en"] && loaded.vocab == v)
        #expect(loaded.config.model == model.config)
    }

    /// Version 2 had no cell choice: its encoders and fill models were LSTMs.
    @Test func version2ConfigsReadAsLSTMs() throws {
        let v = try Self.vocabulary()
        let dir = makeTemporaryDirectory(prefix: "nmt-store")
        try ModelDirectory.save(Self.tinySeq2Seq(v, tied: true), sourceVocab: v, targetVocab: v, to: dir)
        try Self.editConfig(dir) { json in
            json["version"] = 2
            var m = json["model"] as! [String: Any]
            #expect(m["encoderCell"] as? String == "lstm")
            m["encoderCell"] = nil
            json["model"] = m
        }
        #expect(try ModelDirectory.load(dir, as: Seq2Seq.self).config.model.encoderCell == .lstm)
        let fillDir = makeTemporaryDirectory(prefix: "nmt-store")
        try ModelDirectory.save(FillModel(FillConfig(vocab: v.count, embedding: 4, hidden: 3, preOutput: 4), seed: 2),
                                vocab: v, corpus: [], to: fillDir)
        try Self.editConfig(fillDir) { json in
            json["version"] = 2
            var m = json["model"] as! [String: Any]
            m["cell"] = nil
            json["model"] = m
        }
        #expect(try ModelDirectory.load(fillDir, as: FillModel.self).config.model.cell == .lstm)
    }

    /// Version 3 had no right-to-left models; a right-to-left one round-trips.
    @Test func version3ConfigsReadLeftToRight() throws {
        let v = try Self.vocabulary()
        let dir = makeTemporaryDirectory(prefix: "nmt-store")
        var c = Self.tinySeq2Seq(v, tied: true).config
        c.reverseTarget = true
        try ModelDirectory.save(Seq2Seq(c, seed: 3), sourceVocab: v, targetVocab: v, to: dir)
        #expect(try ModelDirectory.load(dir, as: Seq2Seq.self).config.model.reverseTarget)
        try Self.editConfig(dir) { json in
            json["version"] = 3
            var m = json["model"] as! [String: Any]
            m["reverseTarget"] = nil
            json["model"] = m
        }
        let loaded = try ModelDirectory.load(dir, as: Seq2Seq.self)
        #expect(!loaded.config.model.reverseTarget && loaded.config.version == ModelFileMigration.currentVersion)
    }

    /// Version 4 had no word dropout: its translation models read as trained without it; a
    /// model with it round-trips.
    @Test func version4ConfigsReadWithoutWordDropout() throws {
        let v = try Self.vocabulary()
        let dir = makeTemporaryDirectory(prefix: "nmt-store")
        var c = Self.tinySeq2Seq(v, tied: true).config
        c.sourceWordDropout = 0.1; c.targetWordDropout = 0.2
        try ModelDirectory.save(Seq2Seq(c, seed: 3), sourceVocab: v, targetVocab: v, to: dir)
        let saved = try ModelDirectory.load(dir, as: Seq2Seq.self).config.model
        #expect(saved.sourceWordDropout == 0.1 && saved.targetWordDropout == 0.2)
        try Self.editConfig(dir) { json in
            json["version"] = 4
            var m = json["model"] as! [String: Any]
            m["sourceWordDropout"] = nil; m["targetWordDropout"] = nil
            json["model"] = m
        }
        let loaded = try ModelDirectory.load(dir, as: Seq2Seq.self)
        #expect(loaded.config.model.sourceWordDropout == 0 && loaded.config.model.targetWordDropout == 0)
        #expect(loaded.config.version == ModelFileMigration.currentVersion)
        // Without the migration (a current file lacking the key) it is an error, not a default.
        try Self.editConfig(dir) { json in
            json["version"] = 5
            var m = json["model"] as! [String: Any]
            m["sourceWordDropout"] = nil; m["targetWordDropout"] = 0
            json["model"] = m
        }
        #expect(throws: (any Error).self) { _ = try ModelDirectory.load(dir, as: Seq2Seq.self) }
        // A rate outside [0, 1) is refused.
        try Self.editConfig(dir) { json in
            var m = json["model"] as! [String: Any]
            m["sourceWordDropout"] = 1
            json["model"] = m
        }
        #expect(throws: (any Error).self) { _ = try ModelDirectory.load(dir, as: Seq2Seq.self) }
    }

    /// Version 5 had no layer normalisation: its translation models read without it; a model
    /// with it round-trips (gains included); config and weights that disagree are refused.
    @Test func version5ConfigsReadWithoutLayerNorm() throws {
        let v = try Self.vocabulary()
        let dir = makeTemporaryDirectory(prefix: "nmt-store")
        var c = Self.tinySeq2Seq(v, tied: true).config
        c.layerNorm = true
        let model = Seq2Seq(c, seed: 3)
        fillUniform(model.arena.values, count: model.arena.count, scale: 0.5, seed: 4)   // gains other than 1
        try ModelDirectory.save(model, sourceVocab: v, targetVocab: v, to: dir)
        let saved = try ModelDirectory.load(dir, as: Seq2Seq.self).model
        #expect(saved.config.layerNorm && saved.arena.param(named: "decoder.gru.ln_ih.g") != nil)
        #expect(saved.arena.params.map(\.name) == model.arena.params.map(\.name))
        #expect(Array(UnsafeBufferPointer(start: saved.arena.values, count: saved.arena.count))
                == Array(UnsafeBufferPointer(start: model.arena.values, count: model.arena.count)))
        // The config says no layer norm, the weights hold it.
        try Self.editConfig(dir) { json in
            var m = json["model"] as! [String: Any]
            m["layerNorm"] = false
            json["model"] = m
        }
        do {
            _ = try ModelDirectory.load(dir, as: Seq2Seq.self)
            Issue.record("layer-normalised weights loaded as a model without")
        } catch {
            #expect("\(error)" == "\(dir)/model.safetensors: the weights hold layer-normalised cells, the config says \"layerNorm\": false")
        }
        // A version-5 file: no key, no layer norm.
        let plain = makeTemporaryDirectory(prefix: "nmt-store")
        try ModelDirectory.save(Self.tinySeq2Seq(v, tied: true), sourceVocab: v, targetVocab: v, to: plain)
        try Self.editConfig(plain) { json in
            json["version"] = 5
            var m = json["model"] as! [String: Any]
            m["layerNorm"] = nil
            json["model"] = m
        }
        let loaded = try ModelDirectory.load(plain, as: Seq2Seq.self)
        #expect(!loaded.config.model.layerNorm && loaded.config.version == 6)
        // A current file lacking the key is an error, not a default; true against plain weights is refused.
        try Self.editConfig(plain) { json in json["version"] = 6 }
        #expect(throws: (any Error).self) { _ = try ModelDirectory.load(plain, as: Seq2Seq.self) }
        try Self.editConfig(plain) { json in
            var m = json["model"] as! [String: Any]
            m["layerNorm"] = true
            json["model"] = m
        }
        do {
            _ = try ModelDirectory.load(plain, as: Seq2Seq.self)
            Issue.record("plain weights loaded as a layer-normalised model")
        } catch {
            #expect("\(error)" == "\(plain)/model.safetensors: the weights hold no layer normalisation, the config says \"layerNorm\": true")
        }
    }

    /// A model saved with one encoder cell loads with that cell and its own tensors.
    @Test func theEncoderCellRoundTrips() throws {
        let v = try Self.vocabulary()
        for cell in CellKind.sequenceCells {
            let dir = makeTemporaryDirectory(prefix: "nmt-store")
            var c = Self.tinySeq2Seq(v, tied: false).config
            c.encoderCell = cell
            let model = Seq2Seq(c, seed: 3)
            try ModelDirectory.save(model, sourceVocab: v, targetVocab: v, to: dir)
            let loaded = try ModelDirectory.load(dir, as: Seq2Seq.self)
            #expect(loaded.model.config.encoderCell == cell)
            #expect(loaded.model.arena.params.map(\.name) == model.arena.params.map(\.name))
            #expect(Array(UnsafeBufferPointer(start: loaded.model.arena.values, count: loaded.model.arena.count))
                    == Array(UnsafeBufferPointer(start: model.arena.values, count: model.arena.count)))
            // Loaded as another cell: an error naming both.
            let other: CellKind = cell == .gru ? .rnn : .gru
            try Self.editConfig(dir) { json in
                var m = json["model"] as! [String: Any]
                m["encoderCell"] = other.rawValue
                json["model"] = m
            }
            do {
                _ = try ModelDirectory.load(dir, as: Seq2Seq.self)
                Issue.record("\(cell) loaded as \(other)")
            } catch {
                #expect("\(error)" == "\(dir)/model.safetensors: the weights hold a \(cell.rawValue) encoder, the config names \(other.rawValue)")
            }
        }
    }

    @Test func aTrainingDirectoryResolvesToBestElseLast() throws {
        let v = try Self.vocabulary()
        let run = makeTemporaryDirectory(prefix: "nmt-store")
        #expect(throws: ModelDirectoryError.notAModel(run)) { try ModelDirectory.resolve(run) }
        try ModelDirectory.save(Self.tinySeq2Seq(v, tied: true), sourceVocab: v, targetVocab: v, to: run + "/last")
        #expect(try ModelDirectory.resolve(run) == run + "/last")
        try ModelDirectory.save(Self.tinySeq2Seq(v, tied: true), sourceVocab: v, targetVocab: v, to: run + "/best")
        #expect(try ModelDirectory.resolve(run) == run + "/best")
        #expect(try ModelDirectory.resolve(run + "/last") == run + "/last")
        #expect(try ModelDirectory.load(run, as: Seq2Seq.self).directory == run + "/best")
    }

    @Test func aLoadedModelHoldsNoTrainingBuffers() throws {
        let v = try Self.vocabulary()
        let dir = makeTemporaryDirectory(prefix: "nmt-store")
        try ModelDirectory.save(Self.tinySeq2Seq(v, tied: false), sourceVocab: v, targetVocab: v, to: dir)
        let loaded = try ModelDirectory.load(dir, as: Seq2Seq.self)
        #expect(loaded.model.arena.allocatedBytes == loaded.model.arena.count * 4)
    }
}
