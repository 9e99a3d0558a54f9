import Foundation
import NMTCLI
import NMTInference
import NMTServe
import NMTText
import Testing

/// A tiny random de→en translator.
func tinyTranslator() throws -> Translator {
    var sb = VocabularyBuilder(settings: TokenizerSettings(lang: "de"))
    sb.add(tokens: try Tokenizer(settings: sb.settings).tokenize("ein hund läuft über die wiese . zwei männer spielen im schnee"))
    var tb = VocabularyBuilder(settings: TokenizerSettings(lang: "en"))
    tb.add(tokens: try Tokenizer(settings: tb.settings).tokenize("a dog runs over the meadow . two men play in snow"))
    let src = try sb.build(), tgt = try tb.build()
    let model = Seq2Seq(Seq2SeqConfig(sourceVocab: src.count, targetVocab: tgt.count, embedding: 8, encoderHidden: 6,
                                      encoderLayers: 1, decoderHidden: 10, attention: 7, preOutput: 9, dropout: 0), seed: 3)
    return try Translator(model: model, sourceVocab: src, targetVocab: tgt, options: TranslateOptions(beamSize: 3))
}

let unitSentences = ["ein hund", "zwei männer spielen im schnee", "die wiese", "ein hund läuft über die wiese .", "im schnee",
                     "männer", "", "zwei hund"]

@Suite struct ServeBatcherTests {
    /// Concurrent requests share decoder calls and get what a translator alone gives.
    @Test func concurrentRequestsShareCalls() async throws {
        let reference = try tinyTranslator().translate(unitSentences).map(\.text)
        let batcher = DynamicBatcher(translator: try tinyTranslator(), maxBatch: 64, maxWait: 0.3, queueLimit: 100)
        let got = try await withThrowingTaskGroup(of: (Int, String).self) { group in
            for (i, s) in unitSentences.enumerated() {
                group.addTask { (i, try await batcher.translate([s])[0].text) }
            }
            var out = [String](repeating: "?", count: unitSentences.count)
            for try await (i, t) in group { out[i] = t }
            return out
        }
        #expect(got == reference)
        #expect(batcher.decoderCalls < unitSentences.count, "\(batcher.decoderCalls) calls")
        // Other outputs (n-best) never share a call with plain requests, and give the same best.
        let nb = try await batcher.translate(unitSentences, output: .init(nBest: 3))
        #expect(nb.map(\.text) == reference && nb.allSatisfy { $0.nBest.count <= 3 })
        batcher.stop()
        await #expect(throws: ServeError.stopping) { _ = try await batcher.translate(["hund"]) }
    }

    @Test func fullQueueRefusesAtOnce() async throws {
        let batcher = DynamicBatcher(translator: try tinyTranslator(), maxBatch: 4, maxWait: 0, queueLimit: 3)
        await #expect(throws: ServeError.overloaded(queued: 0, limit: 3)) { _ = try await batcher.translate(["a", "b", "c", "d"]) }
        let three = try await batcher.translate(["ein hund", "die wiese", "im schnee"])
        #expect(three.count == 3)
        batcher.stop()
    }
}

@Suite struct LimitsTests {
    @Test func minuteWindows() {
        final class Clock: @unchecked Sendable { var now = Date(timeIntervalSince1970: 600) }
        let clock = Clock()
        let counter = MinuteCounter { clock.now }
        #expect(counter.allow("a", limit: 2) && counter.allow("a", limit: 2) && !counter.allow("a", limit: 2))
        #expect(counter.allow("b", cost: 2, limit: 2) && !counter.allow("b", limit: 2))
        clock.now = Date(timeIntervalSince1970: 660)   // the next minute
        #expect(counter.allow("a", limit: 2))
        #expect(!counter.allow("c", cost: 3, limit: 2))
    }

    @Test func keysFile() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("nmt-keys-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try "# comment\n\nfirst-key-123 500\nsecond-key-456  # no limit\n".write(toFile: dir + "/k", atomically: true, encoding: .utf8)
        let keys = try APIKeys.load(path: dir + "/k")
        #expect(keys.keys.count == 2 && keys.keys[0].charactersPerMinute == 500 && keys.keys[1].charactersPerMinute == 0)
        #expect(keys.find("first-key-123") == 0 && keys.find("second-key-456") == 1)
        #expect(keys.find("first-key-12") == nil && keys.find("first-key-1234") == nil && keys.find("") == nil)
        for (bad, line) in [("short 5\n", 1), ("ok-key-0001\nkey-two-222 x\n", 2), ("a-b-c-d-e-f 1 2\n", 1)] {
            try bad.write(toFile: dir + "/bad", atomically: true, encoding: .utf8)
            #expect { try APIKeys.load(path: dir + "/bad") } throws: { "\($0)".hasPrefix(dir + "/bad:\(line): ") }
        }
    }
}

@Suite struct RequestFieldsTests {
    @Test func jsonAndForms() throws {
        let j = try RequestFields.parse(Array(#"{"q": ["a", "b"], "alternatives": 2, "attention": true, "source": "de"}"#.utf8), contentType: "application/json")
        #expect(try j.texts("q")!.texts == ["a", "b"] && j.texts("q")!.wasArray)
        #expect(try j.int("alternatives") == 2 && j.bool("attention") == true && j.string("source") == "de" && j.string("target") == nil)
        #expect(throws: APIError.self) { try j.int("attention") }   // a boolean is not a number
        #expect(throws: APIError.self) { try j.string("alternatives") }
        let f = try RequestFields.parse(Array("q=ein+hund%21&q=zwei&source=de&alternatives=1".utf8), contentType: "application/x-www-form-urlencoded")
        #expect(try f.texts("q")!.texts == ["ein hund!", "zwei"] && f.int("alternatives") == 1)
        for (body, type) in [("{", "application/json"), ("[1]", "application/json"), ("q=%ZZ", "application/x-www-form-urlencoded"), ("", "application/json")] {
            #expect(throws: APIError.self) { try RequestFields.parse(Array(body.utf8), contentType: type) }
        }
        #expect(throws: APIError(400, "Invalid request: the body is not valid UTF-8")) { try RequestFields.parse([0x22, 0xFF, 0x22], contentType: nil) }
    }
}

@Suite struct ServeConfigFileTests {
    @Test func yamlBecomesFlagsAndTheCommandLineWins() throws {
        let yaml = "# nmt-serve\nmodel:\n  - de-en=runs/a\n  - en-de=runs/b\nport: 8080\nmax-wait-ms: 2.5\nhost: 0.0.0.0\n"
        #expect(try ServeConfigFile.arguments(yaml: yaml, path: "c.yaml") ==
                ["--model", "de-en=runs/a", "--model", "en-de=runs/b", "--port", "8080", "--max-wait-ms", "2.5", "--host", "0.0.0.0"])
        #expect(try ServeConfigFile.arguments(yaml: yaml, path: "c.yaml", skipping: ["port", "model"]) == ["--max-wait-ms", "2.5", "--host", "0.0.0.0"])
        #expect(try ServeConfigFile.arguments(yaml: "", path: "c.yaml").isEmpty)
        for (bad, line) in [("port: 1\nmodle: x\n", 2), ("beam: [1, 2]\n", 1), ("- a\n- b\n", 1)] {
            #expect { try ServeConfigFile.arguments(yaml: bad, path: "c.yaml") } throws: { "\($0)".hasPrefix("c.yaml:\(line): ") }
        }
        #expect(throws: ConfigFileError.self) { try ServeConfigFile.arguments(yaml: "a: [", path: "c.yaml") }
    }

    @Test func expandPutsTheFileFirst() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("nmt-config-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try "model: m1\nbeam: 3\n".write(toFile: dir + "/c.yaml", atomically: true, encoding: .utf8)
        #expect(try ServeConfigFile.expand(["--config", dir + "/c.yaml", "--beam", "4"]) == ["--model", "m1", "--config", dir + "/c.yaml", "--beam", "4"])
        #expect(try ServeConfigFile.expand(["-m", "x", "--config=" + dir + "/c.yaml"]) == ["--beam", "3", "-m", "x", "--config=" + dir + "/c.yaml"])
        #expect(try ServeConfigFile.expand(["--port", "0"]) == ["--port", "0"])
        #expect(throws: ConfigFileError.self) { try ServeConfigFile.expand(["--config", dir + "/missing.yaml"]) }
    }
}
