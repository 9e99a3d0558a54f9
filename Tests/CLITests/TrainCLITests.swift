import Foundation
import Testing

/// nmt-train end to end on toy corpora: a short run with validation and resume, and the
/// bad inputs of the training issue, each with its error.
@Suite struct TrainCLITests {
    /// German/English toy corpora with vocabularies, and the flags of a tiny model.
    func corpora() throws -> (dir: String, args: [String]) {
        let dir = makeTempDir()
        write(dir + "/train.de", Array("ein hund läuft\nzwei männer spielen\nder mann schläft\nein kind lacht\n".utf8))
        write(dir + "/train.en", Array("a dog runs\ntwo men play\nthe man sleeps\na child laughs\n".utf8))
        for (f, lang) in [("train.de", "de"), ("train.en", "en")] {
            let r = try run(["build", dir + "/" + f, "--lang", lang, "-o", dir + "/\(lang).vocab"])
            #expect(r.status == 0, "\(r.stderr)")
        }
        let args = ["--src", dir + "/train.de", "--tgt", dir + "/train.en", "--src-vocab", dir + "/de.vocab",
                    "--tgt-vocab", dir + "/en.vocab", "--valid-src", dir + "/train.de", "--valid-tgt", dir + "/train.en",
                    "--embedding", "8", "--enc-hidden", "8", "--dec-hidden", "8", "--attention", "8", "--pre-output", "8",
                    "--batch-tokens", "20", "--quiet"]
        return (dir, args)
    }

    @Test func trainsValidatesSavesAndResumes() throws {
        let (dir, args) = try corpora()
        let r = try runTool(nmtTrain, args + ["-o", dir + "/m", "--max-epochs", "2"])
        #expect(r.status == 0, "\(r.stderr)")
        for f in ["best/config.json", "best/model.safetensors", "last/training-state.json", "last/optimizer.safetensors",
                  "run.json", "train.log.jsonl"] {
            #expect(FileManager.default.fileExists(atPath: dir + "/m/" + f), "missing \(f)")
        }
        let log = read(dir + "/m/train.log.jsonl") ?? ""
        #expect(log.components(separatedBy: "\"type\":\"valid\"").count == 3, "two validations: \(log)")
        // The run is resumable and continues from where it stopped.
        let again = try runTool(nmtTrain, ["--resume", dir + "/m", "--quiet"])
        #expect(again.status == 0, "\(again.stderr)")
        // Starting over in the same directory is refused without --force, and names --resume.
        let refused = try runTool(nmtTrain, args + ["-o", dir + "/m"])
        #expect(refused.status != 0 && refused.stderr.contains("--resume"), "\(refused.stderr)")
    }

    /// Tied embeddings (the default): the output layer shares the target embedding; the model
    /// saves without a generator.weight, loads and translates; with --pre-output ≠ --embedding a
    /// projection (generator_projection.weight) comes first, and that model translates too;
    /// --no-tie-embeddings gives the output layer its own weight.
    @Test func tiedEmbeddingsByDefaultTrainSaveAndTranslate() throws {
        let (dir, args) = try corpora()
        let r = try runTool(nmtTrain, args + ["-o", dir + "/m", "--max-epochs", "1"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(read(dir + "/m/best/config.json")?.contains("\"tieEmbeddings\" : true") == true)
        let weights = String(decoding: FileManager.default.contents(atPath: dir + "/m/best/model.safetensors") ?? Data(), as: UTF8.self)
        #expect(weights.contains("target_embedding.weight") && weights.contains("generator.bias")
                && !weights.contains("generator.weight"))
        let t = try runTool(nmtTranslate, ["-m", dir + "/m", dir + "/train.de", "--greedy"])
        #expect(t.status == 0, "\(t.stderr)")
        #expect(t.stdout.split(separator: "\n", omittingEmptySubsequences: false).count == 5, "\(t.stdout)")
        #expect(!weights.contains("generator_projection"))
        var a = args
        a[a.firstIndex(of: "--pre-output")! + 1] = "16"
        let projected = try runTool(nmtTrain, a + ["-o", dir + "/m2", "--max-epochs", "1"])
        #expect(projected.status == 0, "\(projected.stderr)")
        let weights2 = String(decoding: FileManager.default.contents(atPath: dir + "/m2/best/model.safetensors") ?? Data(), as: UTF8.self)
        #expect(weights2.contains("generator_projection.weight") && !weights2.contains("generator.weight"))
        let t2 = try runTool(nmtTranslate, ["-m", dir + "/m2", dir + "/train.de"])
        #expect(t2.status == 0, "\(t2.stderr)")
        #expect(t2.stdout.split(separator: "\n", omittingEmptySubsequences: false).count == 5, "\(t2.stdout)")
        let untied = try runTool(nmtTrain, args + ["-o", dir + "/m3", "--max-epochs", "1", "--no-tie-embeddings"])
        #expect(untied.status == 0, "\(untied.stderr)")
        #expect(read(dir + "/m3/best/config.json")?.contains("\"tieEmbeddings\" : false") == true)
        let weights3 = String(decoding: FileManager.default.contents(atPath: dir + "/m3/best/model.safetensors") ?? Data(), as: UTF8.self)
        #expect(weights3.contains("generator.weight") && !weights3.contains("generator_projection"))
    }

    /// --enc-cell / --dec-cell: the chosen cells train, are recorded in the config, translate
    /// (n-best and scores through the decoder's step API), resume; an unknown name lists the valid
    /// ones; a config that names another cell than the weights hold is an error naming both.
    @Test func otherCellsTrainTranslateAndResume() throws {
        let (dir, args) = try corpora()
        let r = try runTool(nmtTrain, args + ["-o", dir + "/m", "--max-epochs", "1", "--enc-cell", "peephole", "--dec-cell", "lstm"])
        #expect(r.status == 0, "\(r.stderr)")
        let config = read(dir + "/m/best/config.json") ?? ""
        #expect(config.contains("\"encoderCell\" : \"peephole\"") && config.contains("\"decoderCell\" : \"lstm\""), "\(config)")
        let weights = String(decoding: FileManager.default.contents(atPath: dir + "/m/best/model.safetensors") ?? Data(), as: UTF8.self)
        #expect(weights.contains("encoder.l0.fwd.peephole") && weights.contains("decoder.lstm.W_hh") && !weights.contains("decoder.gru"))
        let t = try runTool(nmtTranslate, ["-m", dir + "/m", dir + "/train.de", "--n-best", "2"])
        #expect(t.status == 0, "\(t.stderr)")
        #expect(t.stdout.split(separator: "\n").count == 8, "\(t.stdout)")
        let again = try runTool(nmtTrain, ["--resume", dir + "/m", "--quiet", "--max-epochs", "2"])
        #expect(again.status == 0, "\(again.stderr)")
        let bad = try runTool(nmtTrain, args + ["-o", dir + "/m2", "--enc-cell", "lsmt"])
        #expect(bad.status != 0 && bad.stderr.contains("unknown cell \"lsmt\"; choose one of: rnn lstm peephole coupled gru"),
                "\(bad.stderr)")
        let esn = try runTool(nmtTrain, args + ["-o", dir + "/m3", "--dec-cell", "esn"])
        #expect(esn.status != 0 && esn.stderr.contains("--dec-cell: cell \"esn\" is not available here"), "\(esn.stderr)")
        // A config that names another decoder cell than the weights hold.
        let path = dir + "/m/best/config.json"
        try config.replacingOccurrences(of: "\"decoderCell\" : \"lstm\"", with: "\"decoderCell\" : \"gru\"")
            .write(toFile: path, atomically: true, encoding: .utf8)
        let wrong = try runTool(nmtTranslate, ["-m", dir + "/m/best", dir + "/train.de"])
        #expect(wrong.status != 0 && wrong.stderr.contains("model.safetensors: the weights hold a lstm decoder, the config names gru"),
                "\(wrong.stderr)")
    }

    /// --dropout-src / --dropout-tgt (word dropout): recorded in the model's config and in
    /// run.json, kept at resume (another value is refused naming it), refused outside [0, 1).
    @Test func wordDropoutIsRecordedKeptAndChecked() throws {
        let (dir, args) = try corpora()
        let r = try runTool(nmtTrain, args + ["-o", dir + "/m", "--max-steps", "2", "--dropout-src", "0.1", "--dropout-tgt", "0.2"])
        #expect(r.status == 0, "\(r.stderr)")
        let config = read(dir + "/m/last/config.json") ?? ""
        #expect(config.contains("\"sourceWordDropout\" : 0.1") && config.contains("\"targetWordDropout\" : 0.2"), "\(config)")
        let record = read(dir + "/m/run.json") ?? ""
        #expect(record.contains("\"dropout-src\" : \"0.1\"") && record.contains("\"dropout-tgt\" : \"0.2\""), "\(record)")
        let other = try runTool(nmtTrain, ["--resume", dir + "/m", "--max-steps", "3", "--dropout-src", "0.3", "--quiet"])
        #expect(other.status != 0 && other.stderr.contains("--dropout-src 0.3: this run was started with --dropout-src 0.1"),
                "\(other.stderr)")
        let same = try runTool(nmtTrain, ["--resume", dir + "/m", "--max-steps", "3", "--dropout-src", "0.1", "--quiet"])
        #expect(same.status == 0, "\(same.stderr)")
        for bad in ["--dropout-tgt=1", "--dropout-tgt=-0.1"] {
            let refused = try runTool(nmtTrain, args + ["-o", dir + "/bad", bad])
            #expect(refused.status != 0 && refused.stderr.contains("--dropout-tgt must be at least 0 and below 1"), "\(refused.stderr)")
        }
    }

    /// --layer-norm: recorded in the model's config and run.json, its gains among the weights,
    /// resumed with it, and the model translates (its decoding steps normalise as training did).
    @Test func layerNormIsRecordedResumedAndDecodes() throws {
        let (dir, args) = try corpora()
        let r = try runTool(nmtTrain, args + ["-o", dir + "/m", "--max-steps", "2", "--layer-norm"])
        #expect(r.status == 0, "\(r.stderr)")
        let config = read(dir + "/m/last/config.json") ?? ""
        #expect(config.contains("\"layerNorm\" : true") && config.contains("\"version\" : 6"), "\(config)")
        #expect((read(dir + "/m/run.json") ?? "").contains("\"layer-norm\" : \"true\""))
        let weights = String(decoding: (try? Data(contentsOf: URL(fileURLWithPath: dir + "/m/last/model.safetensors"))) ?? Data(),
                             as: UTF8.self)
        #expect(weights.contains("decoder.gru.ln_hh.g") && weights.contains("encoder.l0.bwd.ln_ih.g"))
        let resumed = try runTool(nmtTrain, ["--resume", dir + "/m", "--max-steps", "3", "--quiet"])
        #expect(resumed.status == 0, "\(resumed.stderr)")
        #expect((read(dir + "/m/last/config.json") ?? "").contains("\"layerNorm\" : true"))
        let t = try runTool(nmtTranslate, ["-m", dir + "/m/last", dir + "/train.de"])
        #expect(t.status == 0 && !t.stdout.isEmpty, "\(t.stderr)")
    }

    @Test func unequalCorporaNameBothFilesAndCounts() throws {
        let (dir, args) = try corpora()
        write(dir + "/short.en", Array("a dog runs\ntwo men play\n".utf8))
        var a = args
        a[a.firstIndex(of: dir + "/train.en")!] = dir + "/short.en"
        let r = try runTool(nmtTrain, a + ["-o", dir + "/m"])
        #expect(r.status != 0)
        #expect(r.stderr.contains("train.de") && r.stderr.contains("short.en") && r.stderr.contains("4") && r.stderr.contains("2"),
                "\(r.stderr)")
    }

    @Test func invalidUTF8NamesTheLineOrIsSkipped() throws {
        let (dir, args) = try corpora()
        write(dir + "/bad.de", Array("ein hund läuft\n".utf8) + [0x7A, 0xFF, 0x0A] + Array("der mann schläft\nein kind lacht\n".utf8))
        var a = args
        a[a.firstIndex(of: dir + "/train.de")!] = dir + "/bad.de"
        let r = try runTool(nmtTrain, a + ["-o", dir + "/m"])
        #expect(r.status != 0 && r.stderr.contains("bad.de:2"), "\(r.stderr)")
        let skipped = try runTool(nmtTrain, a + ["-o", dir + "/m2", "--skip-invalid", "--max-epochs", "1"])
        #expect(skipped.status == 0, "\(skipped.stderr)")
    }

    @Test func existingDirectoryIsRefusedWithoutForce() throws {
        let (dir, args) = try corpora()
        try FileManager.default.createDirectory(atPath: dir + "/taken", withIntermediateDirectories: true)
        write(dir + "/taken/notes.txt", Array("mine\n".utf8))
        let r = try runTool(nmtTrain, args + ["-o", dir + "/taken", "--max-epochs", "1"])
        #expect(r.status != 0 && r.stderr.contains("--force"), "\(r.stderr)")
        #expect(read(dir + "/taken/notes.txt") == "mine\n")
        let forced = try runTool(nmtTrain, args + ["-o", dir + "/taken", "--max-epochs", "1", "--force"])
        #expect(forced.status == 0, "\(forced.stderr)")
        #expect(read(dir + "/taken/notes.txt") == "mine\n")
    }

    @Test func unwritableOutputIsAnError() throws {
        let (dir, args) = try corpora()
        write(dir + "/afile", Array("x\n".utf8))
        let r = try runTool(nmtTrain, args + ["-o", dir + "/afile/model"])   // a path below a regular file
        #expect(r.status != 0 && r.stderr.contains("afile"), "\(r.stderr)")
    }

    @Test func resumeWithOtherVocabularyIsRefused() throws {
        let (dir, args) = try corpora()
        let r = try runTool(nmtTrain, args + ["-o", dir + "/m", "--max-steps", "2"])
        #expect(r.status == 0, "\(r.stderr)")
        write(dir + "/other.en", Array("something else entirely\n".utf8))
        let b = try run(["build", dir + "/other.en", "--lang", "en", "-o", dir + "/other.vocab"])
        #expect(b.status == 0, "\(b.stderr)")
        let resumed = try runTool(nmtTrain, ["--resume", dir + "/m", "--tgt-vocab", dir + "/other.vocab"])
        #expect(resumed.status != 0 && resumed.stderr.contains("other.vocab"), "\(resumed.stderr)")
        let nothing = try runTool(nmtTrain, ["--resume", dir + "/empty"])
        #expect(nothing.status != 0 && nothing.stderr.contains("nothing to resume"), "\(nothing.stderr)")
    }
}
