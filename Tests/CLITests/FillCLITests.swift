import Foundation
import Testing

/// The built nmt-fill and nmt-train binaries, next to nmt-vocab.
let nmtFill: String = URL(fileURLWithPath: nmtVocab).deletingLastPathComponent().appendingPathComponent("nmt-fill").path
let nmtTrain: String = URL(fileURLWithPath: nmtVocab).deletingLastPathComponent().appendingPathComponent("nmt-train").path

/// A tiny English corpus and a fill model trained on it for a few steps by `nmt-train fill`.
func fillFixture() throws -> (dir: String, model: String) {
    let dir = makeTempDir()
    var corpus = ""
    for i in 0..<60 {
        corpus += ["a dog runs in the park.", "a man sleeps in the snow.", "two girls play in the water.",
                   "the woman is riding a bike."][i % 4] + "\n"
    }
    write(dir + "/train.en", Array(corpus.utf8))
    write(dir + "/valid.en", Array("a dog sleeps in the park.\na man runs in the snow.\n".utf8))
    let r = try runTool(nmtTrain, ["fill", "--corpus", dir + "/train.en", "--lang", "en", "--valid", dir + "/valid.en",
                                   "-o", dir + "/model", "--embedding", "8", "--hidden", "8", "--pre-output", "8",
                                   "--max-epochs", "2", "--threads", "1", "--quiet"])
    #expect(r.status == 0, "\(r.stderr)")
    return (dir, dir + "/model")
}

@Suite struct FillCLITests {
    @Test func trainsAFillModelAndTheTranslationDefaultStillParses() throws {
        let (dir, model) = try fillFixture()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        for f in ["best/config.json", "best/model.safetensors", "last/training-state.json", "run.json", "train.log.jsonl"] {
            #expect(FileManager.default.fileExists(atPath: model + "/" + f), "missing \(f)")
        }
        #expect(read(model + "/best/config.json")?.contains("\"task\" : \"fill\"") == true)
        // Resuming a finished run is accepted and continues from last/.
        let resumed = try runTool(nmtTrain, ["fill", "--resume", model, "--quiet"])
        #expect(resumed.status == 0, "\(resumed.stderr)")
        // The translation trainer is still the default subcommand.
        let help = try runTool(nmtTrain, ["--src", dir + "/none.de", "--tgt", dir + "/none.en", "-o", dir + "/mt", "--quiet"])
        #expect(help.status != 0 && help.stderr.contains("none.de"), "\(help.stderr)")
        let usage = try runTool(nmtTrain, ["--help"])
        #expect(usage.stdout.contains("fill") && usage.stdout.contains("translate"))
    }

    @Test func fillsBlanksAndHandlesBadInput() throws {
        let (dir, model) = try fillFixture()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let input = "a ___ runs in the park.\nno blank in this one\n___ ___\n<mask> man sleeps in the ___\na zebroid ___ in the snow.\n"
        let r = try runTool(nmtFill, ["-m", model, "--top-k", "3"], stdin: Data(input.utf8))
        #expect(r.status == 0, "\(r.stderr)")
        let out = lines(r.stdout)
        // Line 1: the filled line and one candidate line with 3 words and probabilities.
        #expect(out[0].hasPrefix("a [") && out[0].hasSuffix("] runs in the park."), "\(out)")
        #expect(out[1].hasPrefix("  1: ") && out[1].split(separator: " ").count == 1 + 6, "\(out[1])")
        // Line 2: kept as it is, with a message naming the line.
        #expect(out[2] == "no blank in this one")
        #expect(r.stderr.contains("<stdin>:2: no blank"), "\(r.stderr)")
        // Line 3: only blanks; line 4: blanks at the start and the end; line 5: unknown word next to the blank.
        #expect(out[3].hasPrefix("[") && out[4].hasPrefix("  1: ") && out[5].hasPrefix("  2: "))
        #expect(out[6].hasPrefix("[") && out[6].hasSuffix("]") && out[8].hasPrefix("  2: "))
        #expect(out[9].hasPrefix("a zebroid [") && out.count == 11, "\(out)")

        // JSON: one object per line, the no-blank line marked.
        let j = try runTool(nmtFill, ["-m", model, "--json"], stdin: Data("a ___ runs.\nnothing\n".utf8))
        #expect(j.status == 0)
        let objs = lines(j.stdout).map { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        #expect(objs.count == 2)
        let blanks = objs[0]?["blanks"] as? [[String: Any]]
        #expect((blanks?.first?["candidates"] as? [Any])?.count == 5)
        #expect(objs[1]?["error"] as? String == "no blank")

        // --choices ranks the given words; an unknown one is flagged.
        let c = try runTool(nmtFill, ["-m", model, "--choices", "dog|man|zebroid"], stdin: Data("a ___ runs.\n".utf8))
        #expect(c.status == 0 && c.stdout.contains("zebroid (not in the vocabulary)") && c.stdout.contains("dog "), "\(c.stdout)")
    }

    @Test func invalidUTF8AndWrongModelsGiveClearErrors() throws {
        let (dir, model) = try fillFixture()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        write(dir + "/bad.txt", Array("a ___ runs.\n".utf8) + [0xC3, 0x28, 0x0A] + Array("the ___ sleeps.\n".utf8))
        let bad = try runTool(nmtFill, ["-m", model, dir + "/bad.txt"])
        #expect(bad.status == 1 && bad.stderr.contains("bad.txt:2") && bad.stderr.contains("UTF-8"), "\(bad.stderr)")
        #expect(lines(bad.stdout).count == 2)   // the line before the error was filled and printed
        let skip = try runTool(nmtFill, ["-m", model, dir + "/bad.txt", "--skip-invalid"])
        #expect(skip.status == 0 && lines(skip.stdout).count == 4 && skip.stderr.contains("bad.txt:2"), "\(skip.stderr)")

        // A translation model where a fill model is expected.
        let (tdir, tmodel) = try translateFixture()
        defer { try? FileManager.default.removeItem(atPath: tdir) }
        let wrong = try runTool(nmtFill, ["-m", tmodel], stdin: Data("a ___ .\n".utf8))
        #expect(wrong.status == 1 && wrong.stderr.contains("translation model, a fill model is needed"), "\(wrong.stderr)")
        // And a fill model where a translation model is expected.
        let mt = try runTool(nmtTranslate, ["-m", model], stdin: Data("ein hund\n".utf8))
        #expect(mt.status == 1 && mt.stderr.contains("fill model, a translation model is needed"), "\(mt.stderr)")
        let missing = try runTool(nmtFill, ["-m", dir + "/nothing-here"], stdin: Data("a ___ .\n".utf8))
        #expect(missing.status == 1 && missing.stderr.contains("not a swift-nmt model directory"), "\(missing.stderr)")
    }

    @Test func evaluationPrintsTheTableOnTheSameMasks() throws {
        let (dir, model) = try fillFixture()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let r = try runTool(nmtFill, ["-m", model, "--eval", dir + "/valid.en", "--left-model", model, "--seed", "3"])
        #expect(r.status == 0, "\(r.stderr)")
        for row in ["fill model, both sides", "trigram Kneser-Ney, both sides", "trigram Kneser-Ney, left only",
                    "unigram frequency", "top-1", "MRR", "2 sentences"] {
            #expect(r.stdout.contains(row), "missing \(row) in \(r.stdout)")
        }
        let again = try runTool(nmtFill, ["-m", model, "--eval", dir + "/valid.en", "--left-model", model, "--seed", "3"])
        #expect(again.stdout == r.stdout)
        let j = try runTool(nmtFill, ["-m", model, "--eval", dir + "/valid.en", "--json"])
        let obj = try JSONSerialization.jsonObject(with: Data(j.stdout.utf8)) as? [String: Any]
        #expect((obj?["systems"] as? [Any])?.count == 4 && obj?["masked"] as? Int == 2)
    }
}
