import Foundation
import Testing

/// nmt-train --config FILE: YAML keys are the flags' names, the command line wins, a run's
/// run.json starts a run like it, and bad files name the file and line.
@Suite struct ConfigCLITests {
    func command(_ runJSON: String?) -> [String: String] {
        guard let runJSON, let o = try? JSONSerialization.jsonObject(with: Data(runJSON.utf8)) as? [String: Any] else { return [:] }
        return o["command"] as? [String: String] ?? [:]
    }

    @Test func yamlConfigAndRunRecordStartRuns() throws {
        let (dir, _) = try TrainCLITests().corpora()
        let yaml = """
            # a tiny run
            src: \(dir)/train.de
            tgt: \(dir)/train.en
            src-vocab: \(dir)/de.vocab
            tgt-vocab: \(dir)/en.vocab
            embedding: 8
            enc-hidden: 8
            dec-hidden: 8
            attention: 8
            pre-output: 8
            batch-tokens: 20
            tie-embeddings: false
            dropout: 0.2
            max-steps: 3
            quiet: true
            """
        write(dir + "/run.yaml", Array(yaml.utf8))
        let r = try runTool(nmtTrain, ["--config", dir + "/run.yaml", "-o", dir + "/a", "--dropout", "0.1"])
        #expect(r.status == 0, "\(r.stderr)")
        let a = command(read(dir + "/a/run.json"))
        #expect(a["dropout"] == "0.1" && a["tie-embeddings"] == "false" && a["max-steps"] == "3" && a["embedding"] == "8", "\(a)")
        // The record starts a run with the same options (a budget changed on the command line).
        let again = try runTool(nmtTrain, ["--config", dir + "/a/run.json", "-o", dir + "/b", "--max-steps", "4", "--quiet"])
        #expect(again.status == 0, "\(again.stderr)")
        var b = command(read(dir + "/b/run.json"))
        #expect(b["max-steps"] == "4")
        b["max-steps"] = "3"
        #expect(a == b && !a.isEmpty)
        // Bad files: the file and the line.
        for (text, line, what) in [("src: x\ndropuot: 0.2\n", 2, "unknown key 'dropuot'"), ("src: x\ndropout: abc\n", 2, "'abc' is invalid"),
                                   ("quiet: maybe\n", 1, "expected true or false"), ("dropout: [0.1, 0.2]\n", 1, "one value")] {
            write(dir + "/bad.yaml", Array(text.utf8))
            let e = try runTool(nmtTrain, ["--config", dir + "/bad.yaml", "-o", dir + "/c"])
            #expect(e.status != 0 && e.stderr.contains("\(dir)/bad.yaml:\(line):") && e.stderr.contains(what), "\(e.stderr)")
        }
        let missing = try runTool(nmtTrain, ["--config", dir + "/none.yaml", "-o", dir + "/c"])
        #expect(missing.status != 0 && missing.stderr.contains("none.yaml"), "\(missing.stderr)")
    }
}

/// Every tool's help, rendered at 80 columns, fits in 80 columns; nmt-train's own help lists
/// the default command's options.
@Suite struct HelpCLITests {
    @Test func helpFitsEightyColumns() throws {
        var checked = 0
        for (tool, commands) in [(nmtTrain, [[], ["fill"], ["lm"], ["init"], ["average"]]), (nmtTranslate, [[]]), (nmtFill, [[]]),
                                 (nmtLM, [[], ["score"], ["generate"], ["gradients"]]),
                                 (nmtVocab, [[], ["build"], ["learn-bpe"], ["tokenize"], ["detokenize"], ["normalize"], ["stats"]]),
                                 (nmtServe, [[]]), (nmtBench, [[], ["layers"], ["train"]])] {
            for sub in commands {
                let r = try runTool(tool, sub + ["--help"], env: ["COLUMNS": "80"])
                #expect(r.status == 0, "\(tool) \(sub): \(r.stderr)")
                for line in r.stdout.split(separator: "\n") where line.count > 80 {
                    Issue.record("\((tool as NSString).lastPathComponent) \(sub.joined(separator: " ")): \(line.count) columns: \(line)")
                }
                checked += 1
            }
        }
        #expect(checked == 22)
        let train = try runTool(nmtTrain, ["--help"], env: ["COLUMNS": "80"])
        #expect(train.stdout.contains("--src <src>") && train.stdout.contains("--dropout"), "\(train.stdout)")
        // Shell completions (scripts/install_completions.sh installs them) know the options.
        for (tool, flag) in [(nmtTrain, "--src-vocab"), (nmtTranslate, "--length-penalty"), (nmtServe, "--max-batch")] {
            for shell in ["bash", "zsh", "fish"] {
                let c = try runTool(tool, ["--generate-completion-script", shell])
                #expect(c.status == 0 && c.stdout.contains(String(flag.dropFirst(2))), "\(tool) \(shell)")
            }
        }
        // nmt-bench parses its flags like the others: an unknown one is an error, not ignored.
        let bogus = try runTool(nmtBench, ["train", "--stpes", "3"], env: [:])
        #expect(bogus.status != 0 && bogus.stderr.contains("--stpes"), "\(bogus.stderr)")
    }
}

/// The built nmt-bench (swift build --build-tests builds every product).
let nmtBench: String = URL(fileURLWithPath: nmtVocab).deletingLastPathComponent().appendingPathComponent("nmt-bench").path
