import Foundation
import NMTLayers
import NMTModel
import NMTStore
import NMTTestSupport
import NMTText
import Testing

/// A config.json that cannot make a model (found by fuzzing: a size of 0 stopped the process in a
/// precondition; a huge size would exhaust memory) is a one-line error naming the file and the key.
@Suite struct ConfigProblemTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures").path

    /// The tiny model of fuzz/FuzzSupport: its vocabulary and a model directory holding both.
    static func fuzzModel() throws -> String {
        var b = VocabularyBuilder(settings: TokenizerSettings(lang: "de"))
        b.add(tokens: ["ein", "hund", "läuft", "über", "die", "wiese", "￭."])
        let v = try b.build(minCount: 1)
        let dir = makeTemporaryDirectory(prefix: "nmt-config")
        let config = Seq2SeqConfig(sourceVocab: v.count, targetVocab: v.count, embedding: 4, encoderHidden: 4,
                                   decoderHidden: 4, attention: 4, preOutput: 4)
        try ModelDirectory.save(Seq2Seq(config, seed: 1), vocabularies: ["source": v, "target": v], to: dir)
        return dir
    }

    func loadError(_ dir: String) -> String {
        do {
            _ = try ModelDirectory.load(dir, as: Seq2Seq.self)
            return "loaded"
        } catch {
            return "\(error)"
        }
    }

    @Test func theFuzzedConfigWithAZeroSizeIsAnError() throws {
        let dir = try Self.fuzzModel()
        #expect(loadError(dir) == "loaded")
        let crash = try Data(contentsOf: URL(fileURLWithPath: Self.fixtures + "/fuzz-model-config-decoderHidden-0.json"))
        try crash.write(to: URL(fileURLWithPath: dir + "/config.json"))
        let e = loadError(dir)
        #expect(e.contains("config.json") && e.contains("decoderHidden is 0") && !e.contains("\n"), "\(e)")
    }

    @Test(arguments: [("embedding", 1_000_000_000, "embedding is 1000000000"),
                      ("embedding", 100_000, "the source embedding would hold"),
                      ("encoderLayers", 5000, "the encoder would hold"),
                      ("attention", -3, "attention is -3")])
    func hugeOrNegativeSizesAreErrors(key: String, value: Int, expected: String) throws {
        let dir = try Self.fuzzModel()
        try ModelDirectoryTests.editConfig(dir) { json in
            var model = json["model"] as! [String: Any]
            model[key] = value
            json["model"] = model
        }
        let e = loadError(dir)
        #expect(e.contains("config.json") && e.contains(expected), "\(e)")
    }

    @Test func ratesOutsideTheUnitIntervalAreErrors() throws {
        let dir = try Self.fuzzModel()
        try ModelDirectoryTests.editConfig(dir) { json in
            var model = json["model"] as! [String: Any]
            model["dropout"] = 1.5
            json["model"] = model
        }
        #expect(loadError(dir).contains("dropout is 1.5"))
    }
}
