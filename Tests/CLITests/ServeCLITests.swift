import Foundation
import Testing

/// 32 different sentences from the fixture's words.
let serveSentences: [String] = {
    let words = ["ein", "hund", "läuft", "über", "die", "wiese", "zwei", "männer", "spielen", "im", "schnee", "der", "mann", "schläft"]
    return (0..<32).map { i in (0..<(2 + i % 5)).map { words[(i * 3 + $0 * 5) % words.count] }.joined(separator: " ") }
}()

/// The toy corpus's model trained for 150 steps (a second in a debug build), so that it
/// translates sentences to something (the untrained fixture ends most outputs at once).
func servedModelFixture() throws -> (dir: String, model: String) {
    let (dir, _) = try translateFixture()
    let r = try runTool(nmtTrain, ["--src", dir + "/src.de", "--tgt", dir + "/tgt.en", "--src-vocab", dir + "/de.vocab",
                                   "--tgt-vocab", dir + "/en.vocab", "-o", dir + "/trained", "--embedding", "16",
                                   "--enc-hidden", "16", "--dec-hidden", "32", "--attention", "16", "--pre-output", "16",
                                   "--dropout", "0", "--max-steps", "150", "--learning-rate", "0.01", "--quiet", "--threads", "1"])
    #expect(r.status == 0, "\(r.stderr)")
    return (dir, dir + "/trained")
}

/// nmt-serve started for real on a loopback port: the APIs, the batching and bad requests.
@Suite(.serialized) struct ServeCLITests {
    /// What nmt-translate gives for `sentences` with `args`.
    func reference(_ model: String, _ dir: String, _ sentences: [String], _ args: [String]) throws -> [String] {
        write(dir + "/serve-input.de", Array((sentences.joined(separator: "\n") + "\n").utf8))
        let r = try runTranslate(["-m", model, dir + "/serve-input.de", "--quiet"] + args)
        #expect(r.status == 0, "\(r.stderr)")
        return lines(r.stdout)
    }

    @Test func apisBatchingAndBadRequests() async throws {
        let (dir, model) = try servedModelFixture()
        let server = try ServerProcess(["-m", "de-en=" + model, "--beam", "3", "--max-wait-ms", "300", "--max-batch", "32",
                                        "--max-body-bytes", "4096"])
        let base = server.base
        let refs = try reference(model, dir, serveSentences, ["--beam", "3"])
        #expect(refs.count == 32 && refs.filter(\.isEmpty).count < 8, "\(refs)")

        let health = try await http("GET", base + "/health")
        #expect(health.status == 200 && (health.object["models"] as? [String]) == ["de-en"])
        let langs = try await http("GET", base + "/languages")
        let list = langs.json as? [[String: Any]]
        #expect(list?.count == 1 && list?[0]["code"] as? String == "de" && list?[0]["name"] as? String == "German"
                && list?[0]["targets"] as? [String] == ["en"], "\(langs.text)")

        // 32 concurrent one-sentence requests: fewer decoder calls, nmt-translate's translations.
        let answers = try await withThrowingTaskGroup(of: (Int, HTTPAnswer).self) { group in
            for (i, s) in serveSentences.enumerated() {
                group.addTask { (i, try await http("POST", base + "/translate", body: json(["q": s, "source": "de", "target": "en", "format": "text"]))) }
            }
            var out = [HTTPAnswer?](repeating: nil, count: 32)
            for try await (i, a) in group { out[i] = a }
            return out.map { $0! }
        }
        for (i, a) in answers.enumerated() {
            #expect(a.status == 200 && a.object["translatedText"] as? String == refs[i], "\(i): \(a.text) vs \(refs[i])")
        }
        let calls = try await decoderCalls(base)
        #expect(calls >= 1 && calls < 32, "decoder calls: \(calls)")

        // An array of texts, alternatives, a form body, a text of two lines.
        let array = try await http("POST", base + "/translate", body: json(["q": Array(serveSentences[0..<3]), "source": "de", "target": "en"]))
        #expect(array.status == 200 && array.object["translatedText"] as? [String] == Array(refs[0..<3]), "\(array.text)")
        let alts = try await http("POST", base + "/translate", body: json(["q": serveSentences[4], "source": "de", "target": "en", "alternatives": 2]))
        #expect(alts.status == 200 && alts.object["translatedText"] as? String == refs[4] && (alts.object["alternatives"] as? [String])?.count == 2, "\(alts.text)")
        let form = try await http("POST", base + "/translate",
                                  body: Data("q=\(serveSentences[5].addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)&source=de&target=en".utf8),
                                  contentType: "application/x-www-form-urlencoded")
        #expect(form.status == 200 && form.object["translatedText"] as? String == refs[5], "\(form.text)")
        let twoLines = try await http("POST", base + "/translate", body: json(["q": serveSentences[6] + "\n" + serveSentences[7], "source": "de", "target": "en"]))
        #expect(twoLines.object["translatedText"] as? String == refs[6] + "\n" + refs[7], "\(twoLines.text)")
        let withAttention = try await http("POST", base + "/translate", body: json(["q": serveSentences[8], "source": "de", "target": "en", "attention": true]))
        #expect(withAttention.object["translatedText"] as? String == refs[8] && (withAttention.object["attention"] as? [String])?.first?.contains("<svg ") == true, "\(withAttention.text)")

        // OpenNMT-py's API.
        let onmt = try await http("POST", base + "/translator/translate", body: json([["src": serveSentences[9], "id": 100], ["src": serveSentences[10], "id": 100]]))
        let outer = onmt.json as? [[[String: Any]]]
        #expect(onmt.status == 200 && outer?.count == 1 && outer?[0].count == 2, "\(onmt.text)")
        #expect(outer?[0][0]["tgt"] as? String == refs[9] && outer?[0][1]["tgt"] as? String == refs[10] && outer?[0][0]["pred_score"] is Double)
        let models = try await http("GET", base + "/translator/models")
        #expect((models.json as? [[String: Any]])?.first?["model_id"] as? Int == 100, "\(models.text)")

        // The description, the page, the metrics.
        let spec = try await http("GET", base + "/openapi.json")
        #expect(spec.object["openapi"] as? String == "3.0.3" && (spec.object["paths"] as? [String: Any])?["/translate"] != nil)
        let page = try await http("GET", base + "/")
        #expect(page.status == 200 && page.contentType.hasPrefix("text/html") && page.text.contains("<textarea") && !page.text.contains("http://") && !page.text.contains("https://"))
        let metrics = try await http("GET", base + "/metrics")
        for name in ["nmt_requests_total", "nmt_request_duration_seconds", "nmt_batch_sentences", "nmt_queue_sentences", "nmt_sentences_per_second", "nmt_tokens_per_second"] {
            #expect(metrics.text.contains(name), "\(name) missing")
        }

        // Bad requests: a 4xx with a JSON error each, and the server keeps serving.
        let bad: [(Data, String, Int)] = [
            (Data("{\"q\": ".utf8), "application/json", 400),                                       // malformed JSON
            (json(["q": "hund", "source": "en", "target": "fr"]), "application/json", 400),         // unknown pair
            (Data([0x7B, 0x22, 0x71, 0x22, 0x3A, 0x22, 0xFF, 0x22, 0x7D]), "application/json", 400), // invalid UTF-8
            (json(["q": "", "source": "de", "target": "en"]), "application/json", 400),             // empty q
            (json(["q": 5, "source": "de", "target": "en"]), "application/json", 400),              // wrong type
            (json(["q": "hund", "source": "de", "target": "en", "alternatives": "x"]), "application/json", 400),
            (json(["q": "hund", "source": "auto", "target": "en"]), "application/json", 400),
            (json(["q": "hund", "source": "de", "target": "en", "alternatives": 3]), "application/json", 400),  // beyond the beam
            (json(["q": String(repeating: "hund ", count: 2000), "source": "de", "target": "en"]), "application/json", 413),
            (json([1, 2]), "application/json", 400),
        ]
        for (body, type, status) in bad {
            let a = try await http("POST", base + "/translate", body: body, contentType: type)
            #expect(a.status == status && a.object["error"] is String, "\(String(decoding: body.prefix(60), as: UTF8.self)): \(a.status) \(a.text)")
        }
        let onmtBad = try await http("POST", base + "/translator/translate", body: json([["src": "hund", "id": 7]]))
        #expect(onmtBad.status == 400 && onmtBad.object["error"] is String)
        let after = try await http("POST", base + "/translate", body: json(["q": serveSentences[0], "source": "de", "target": "en"]))
        #expect(after.status == 200 && after.object["translatedText"] as? String == refs[0])

        let end = server.stop()
        #expect(end.reason == .exit && end.status == 0, "\(end.stderr)")
    }

    @Test func limitsKeysAndQueue() async throws {
        let (dir, model) = try servedModelFixture()
        write(dir + "/keys", Array("# key  characters per minute\nsecretkey-one 20\nsecretkey-two\n".utf8))
        let server = try ServerProcess(["-m", model, "--api-keys", dir + "/keys", "--rate-limit", "6", "--queue", "2", "--max-wait-ms", "0"])
        let base = server.base
        func ask(_ fields: [String: Any]) async throws -> HTTPAnswer {
            try await http("POST", base + "/translate", body: json(["source": "de", "target": "en"].merging(fields) { a, _ in a }))
        }
        #expect(try await ask(["q": "hund"]).status == 403)                                  // no key
        #expect(try await ask(["q": "hund", "api_key": "secretkey-onf"]).status == 403)     // wrong key
        #expect(try await ask(["q": "ein hund", "api_key": "secretkey-one"]).status == 200)
        let over = try await ask(["q": "zwei männer spielen im schnee", "api_key": "secretkey-one"])   // 8 + 29 > 20 characters
        #expect(over.status == 429 && over.object["error"] is String, "\(over.text)")
        let queue = try await ask(["q": "ein hund\nder mann\nzwei männer", "api_key": "secretkey-two"])  // 3 lines > queue of 2
        #expect(queue.status == 503 && queue.object["error"] is String, "\(queue.text)")
        // The sixth request of this minute from this client still passes, the seventh does not.
        #expect(try await ask(["q": "hund", "api_key": "secretkey-two"]).status == 200)
        let limited = try await ask(["q": "hund", "api_key": "secretkey-two"])
        #expect(limited.status == 429, "\(limited.text)")
        let end = server.stop()
        #expect(end.status == 0, "\(end.stderr)")
    }

    /// SIGTERM while a request waits in the batcher: it is still answered, then the server exits 0.
    @Test func gracefulShutdown() async throws {
        let (_, model) = try servedModelFixture()
        let server = try ServerProcess(["-m", model, "--max-wait-ms", "1500", "--max-batch", "64"])
        let base = server.base
        let pending = Task { try await http("POST", base + "/translate", body: json(["q": "ein hund", "source": "de", "target": "en"])) }
        try await Task.sleep(nanoseconds: 400_000_000)
        kill(server.process.processIdentifier, SIGTERM)
        let answer = try await pending.value
        #expect(answer.status == 200 && !((answer.object["translatedText"] as? String) ?? "").isEmpty, "\(answer.text)")
        let end = server.stop()
        #expect(end.reason == .exit && end.status == 0, "\(end.stderr)")
    }

    /// --config FILE: the file's values, the command line's --port over the file's.
    @Test func configFile() async throws {
        let (dir, model) = try servedModelFixture()
        write(dir + "/serve.yaml", Array("model:\n  - de-en=\(model)\nport: 1\nmax-wait-ms: 1\n".utf8))
        let server = try ServerProcess(["--config", dir + "/serve.yaml"])   // ServerProcess adds --port 0
        let health = try await http("GET", server.base + "/health")
        #expect(health.status == 200 && (health.object["models"] as? [String]) == ["de-en"], "\(health.text)")
        #expect(server.stop().status == 0)
        write(dir + "/bad.yaml", Array("model: x\nport: 1\nbeems: 3\n".utf8))
        let bad = try runTool(nmtServe, ["--config", dir + "/bad.yaml"])
        #expect(bad.status == 1 && bad.stderr.contains(dir + "/bad.yaml:3: unknown key 'beems'"), "\(bad.stderr)")
    }

    /// An ensemble directory (nmt-train ensemble) is served as nmt-translate -m decodes it.
    @Test func servesAnEnsembleDirectory() async throws {
        let (dir, model) = try servedModelFixture()
        let r = try runTool(nmtTrain, ["--src", dir + "/src.de", "--tgt", dir + "/tgt.en", "--src-vocab", dir + "/de.vocab",
                                       "--tgt-vocab", dir + "/en.vocab", "-o", dir + "/trained-2", "--embedding", "16",
                                       "--enc-hidden", "16", "--dec-hidden", "32", "--attention", "16", "--pre-output", "16",
                                       "--dropout", "0", "--max-steps", "150", "--learning-rate", "0.01", "--quiet", "--threads", "1",
                                       "--seed", "2"])
        #expect(r.status == 0, "\(r.stderr)")
        let e = try runTool(nmtTrain, ["ensemble", model, dir + "/trained-2", "-o", dir + "/ens"])
        #expect(e.status == 0, "\(e.stderr)")
        let sentences = Array(serveSentences.prefix(12))
        let refs = try reference(dir + "/ens", dir, sentences, [])
        let single = try reference(model, dir, sentences, [])
        #expect(refs.count == 12 && refs != single, "\(refs) vs \(single)")
        let server = try ServerProcess(["-m", dir + "/ens"])
        for (i, s) in sentences.enumerated() {
            let a = try await http("POST", server.base + "/translate", body: json(["q": s, "source": "de", "target": "en"]))
            #expect(a.status == 200 && a.object["translatedText"] as? String == refs[i], "\(i): \(a.text) vs \(refs[i])")
        }
        #expect(server.stop().status == 0)
    }

    /// Without --beam and --length-penalty a model is served with its decoding.json's, as
    /// nmt-translate -m decodes it; the beam bounds the alternatives a request may ask for.
    @Test func servesWithTheModelsDecodingSettings() async throws {
        let (dir, model) = try servedModelFixture()
        let tune = try runTranslate(["-m", model, "--tune-length-penalty", dir + "/src.de", dir + "/tgt.en", "--grid", "1.2", "--beam", "2",
                                     "--mbr", "0.7"])
        #expect(tune.status == 0, "\(tune.stderr)")
        let sentences = Array(serveSentences.prefix(12))
        let refs = try reference(model, dir, sentences, [])
        #expect(refs == (try reference(model, dir, sentences, ["--beam", "2", "--length-penalty", "1.2", "--mbr", "0.7"])))
        let server = try ServerProcess(["-m", model])
        for (i, s) in sentences.enumerated() {
            let a = try await http("POST", server.base + "/translate", body: json(["q": s, "source": "de", "target": "en"]))
            #expect(a.status == 200 && a.object["translatedText"] as? String == refs[i], "\(i): \(a.text) vs \(refs[i])")
        }
        let one = try await http("POST", server.base + "/translate", body: json(["q": "ein hund", "source": "de", "target": "en", "alternatives": 1]))
        #expect(one.status == 200 && (one.object["alternatives"] as? [String])?.count == 1, "\(one.text)")
        let two = try await http("POST", server.base + "/translate", body: json(["q": "ein hund", "source": "de", "target": "en", "alternatives": 2]))
        #expect(two.status == 400 && (two.object["error"] as? String)?.contains("decodes with 2") == true, "\(two.text)")
        let models = try await http("GET", server.base + "/translator/models")
        let opt = (models.json as? [[String: Any]])?.first?["opt"] as? [String: Any]
        #expect(opt?["beam_size"] as? Int == 2 && opt?["mbr"] as? Double == 0.7, "\(models.text)")
        #expect(server.stop().status == 0)
    }

    @Test func usageErrors() throws {
        let (_, model) = try translateFixture()
        #expect(try runTool(nmtServe, []).status == 64)
        let missing = try runTool(nmtServe, ["-m", "/nonexistent/model", "--port", "0"])
        #expect(missing.status == 1 && missing.stderr.contains("/nonexistent/model"), "\(missing.stderr)")
        let twice = try runTool(nmtServe, ["-m", "a=" + model, "-m", "b=" + model, "--port", "0"])
        #expect(twice.status == 1 && twice.stderr.contains("both translate"), "\(twice.stderr)")
    }
}

/// Σ nmt_decoder_calls_total over models, from /metrics.
func decoderCalls(_ base: String) async throws -> Int {
    let text = try await http("GET", base + "/metrics").text
    return text.split(separator: "\n").filter { $0.hasPrefix("nmt_decoder_calls_total") }
        .compactMap { Double($0.split(separator: " ").last ?? "") }.reduce(0) { $0 + Int($1) }
}
