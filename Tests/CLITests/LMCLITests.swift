import Foundation
import Testing

let nmtLM: String = URL(fileURLWithPath: nmtVocab).deletingLastPathComponent().appendingPathComponent("nmt-lm").path

/// nmt-train lm and nmt-lm end to end on a toy corpus: train, resume, score (text and JSON,
/// empty and invalid lines), generate (reproducible, prefix kept), and the errors of the issue.
@Suite struct LMCLITests {
    static let corpus = "a dog runs in the park .\na man rides a bike .\ntwo dogs play .\na child runs .\n"

    func trained(_ extra: [String] = []) throws -> String {
        let dir = makeTempDir()
        write(dir + "/train.en", Array(Self.corpus.utf8))
        let r = try runTool(nmtTrain, ["lm", "--corpus", dir + "/train.en", "--lang", "en", "--valid", dir + "/train.en",
                                       "--embedding", "8", "--hidden", "8", "--batch-tokens", "30", "--max-epochs", "2",
                                       "--quiet", "-o", dir + "/m"] + extra)
        #expect(r.status == 0, "\(r.stderr)")
        return dir
    }

    @Test func trainsResumesAndScores() throws {
        let dir = try trained(["--cell", "gru"])
        #expect(read(dir + "/m/best/config.json")?.contains("\"task\" : \"lm\"") == true)
        #expect(read(dir + "/m/best/config.json")?.contains("\"cell\" : \"gru\"") == true)
        let again = try runTool(nmtTrain, ["lm", "--resume", dir + "/m", "--max-epochs", "3", "--quiet"])
        #expect(again.status == 0, "\(again.stderr)")
        let input = "a dog runs .\n\na zebra runs .\n"
        let s = try runTool(nmtLM, ["score", "-m", dir + "/m"], stdin: Data(input.utf8))
        #expect(s.status == 0, "\(s.stderr)")
        let lines = s.stdout.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        #expect(lines.count == 5 && lines[1] == "" && lines[3].hasPrefix("corpus perplexity: "), "\(s.stdout)")
        let first = lines[0].split(separator: "\t"), third = lines[2].split(separator: "\t")
        #expect(first.count == 3 && first[1] == "5" && third[1] == "5")
        // The line with an unknown word is less probable; the corpus perplexity is exp(−Σlp/Σtokens).
        let lp1 = Double(first[0])!, lp3 = Double(third[0])!
        #expect(lp3 < lp1 && lp1 < 0)
        let ppl = Double(lines[3].dropFirst("corpus perplexity: ".count))!
        #expect(abs(ppl - exp(-(lp1 + lp3) / 10)) / ppl < 1e-3)
        let j = try runTool(nmtLM, ["score", "-m", dir + "/m", "--json"], stdin: Data(input.utf8))
        let js = j.stdout.split(separator: "\n").map(String.init)
        #expect(js.count == 4 && js[1] == "{\"line\": 2, \"tokens\": 0}" && js[2].contains("\"unknown\": 1")
                && js[3].hasPrefix("{\"corpus_perplexity\": "), "\(j.stdout)")
    }

    /// The language model's and the fill model's runs record their options too: a conflicting one
    /// is refused at resume naming both values (the model's own options come from its config).
    @Test func monolingualRunsRefuseConflictingOptionsAtResume() throws {
        let dir = try trained(["--cell", "gru", "--max-len", "30"])
        for (flag, given, was) in [("--cell", "lstm", "gru"), ("--hidden", "16", "8"), ("--max-len", "80", "30"),
                                   ("--vocab-size", "100", "8000")] {
            let r = try runTool(nmtTrain, ["lm", "--resume", dir + "/m", flag, given])
            #expect(r.status != 0 && r.stderr.contains("\(flag) \(given)") && r.stderr.contains("\(flag) \(was)"), "\(flag): \(r.stderr)")
        }
        let ok = try runTool(nmtTrain, ["lm", "--resume", dir + "/m", "--cell", "gru", "--max-epochs", "3", "--quiet"])
        #expect(ok.status == 0, "\(ok.stderr)")
        let fill = try runTool(nmtTrain, ["fill", "--corpus", dir + "/train.en", "--lang", "en", "--embedding", "8", "--hidden", "8",
                                          "--pre-output", "8", "--batch-tokens", "30", "--max-steps", "2", "--quiet", "-o", dir + "/f"])
        #expect(fill.status == 0, "\(fill.stderr)")
        let left = try runTool(nmtTrain, ["fill", "--resume", dir + "/f", "--left-only"])
        #expect(left.status != 0 && left.stderr.contains("--left-only true") && left.stderr.contains("--left-only false"), "\(left.stderr)")
    }

    /// The Kneser–Ney trigram baseline scores the same tokens from the model's training corpus
    /// (recorded in its config): a training sentence beats the same words scrambled.
    @Test func trigramBaselineScoresTheSameTokens() throws {
        let dir = try trained()
        #expect(read(dir + "/m/best/config.json")?.replacingOccurrences(of: "\\/", with: "/").contains(dir + "/train.en") == true)
        let input = "a dog runs in the park .\n\npark the in runs dog a .\n"
        let t = try runTool(nmtLM, ["score", "-m", dir + "/m", "--trigram"], stdin: Data(input.utf8))
        let m = try runTool(nmtLM, ["score", "-m", dir + "/m"], stdin: Data(input.utf8))
        #expect(t.status == 0 && m.status == 0, "\(t.stderr) \(m.stderr)")
        let tl = t.stdout.split(separator: "\n", omittingEmptySubsequences: false).map { $0.split(separator: "\t") }
        let ml = m.stdout.split(separator: "\n", omittingEmptySubsequences: false).map { $0.split(separator: "\t") }
        #expect(tl.count == 5 && tl[1].isEmpty && tl[0][1] == ml[0][1] && tl[2][1] == ml[2][1], "\(t.stdout)")
        #expect(Double(tl[0][0])! > Double(tl[2][0])! + 2, "\(t.stdout)")
    }

    @Test func invalidUTF8NamesTheLineOrIsSkipped() throws {
        let dir = try trained()
        write(dir + "/bad.en", Array("a dog runs .\n".utf8) + [0xFF, 0x0A] + Array("two dogs play .\n".utf8))
        let r = try runTool(nmtLM, ["score", "-m", dir + "/m", dir + "/bad.en"])
        #expect(r.status != 0 && r.stderr.contains("bad.en") && r.stderr.contains("2"), "\(r.stderr)")
        let s = try runTool(nmtLM, ["score", "-m", dir + "/m", dir + "/bad.en", "--skip-invalid"])
        #expect(s.status == 0 && s.stderr.contains("bad.en:2"), "\(s.stderr)")
        #expect(s.stdout.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)[1] == "")
    }

    @Test func generatesReproduciblyFromAPrefix() throws {
        let dir = try trained()
        let args = ["generate", "-m", dir + "/m", "--count", "4", "--prefix", "a dog", "--seed", "5", "--max-length", "8"]
        let a = try runTool(nmtLM, args), b = try runTool(nmtLM, args)
        #expect(a.status == 0, "\(a.stderr)")
        #expect(a.stdout == b.stdout)
        let lines = a.stdout.split(separator: "\n", omittingEmptySubsequences: false).dropLast()
        #expect(lines.count == 4 && lines.allSatisfy { $0.hasPrefix("a dog") } && !a.stdout.contains("<unk>"), "\(a.stdout)")
        let c = try runTool(nmtLM, ["generate", "-m", dir + "/m", "--count", "4", "--seed", "6", "--top-k", "1"])
        // top-k 1 is greedy: every sample is the same sentence.
        #expect(Set(c.stdout.split(separator: "\n")).count == 1, "\(c.stdout)")
        let bad = try runTool(nmtLM, ["generate", "-m", dir + "/m", "--top-p", "0"])
        #expect(bad.status != 0 && bad.stderr.contains("--top-p"), "\(bad.stderr)")
    }

    @Test func modelsOfOtherTasksAndUnknownCellsAreOneLineErrors() throws {
        let dir = try trained()
        let t = try runTool(nmtTranslate, ["-m", dir + "/m"], stdin: Data("a dog\n".utf8))
        #expect(t.status != 0 && t.stderr.contains("this is a language model, a translation model is needed"), "\(t.stderr)")
        #expect(t.stderr.split(separator: "\n").count == 1)
        let f = try runTool(nmtFill, ["-m", dir + "/m"], stdin: Data("a ___ runs\n".utf8))
        #expect(f.status != 0 && f.stderr.contains("a fill model is needed"), "\(f.stderr)")
        // The reverse: a translation model given to nmt-lm.
        #expect(try run(["build", dir + "/train.en", "--lang", "en", "-o", dir + "/en.vocab"]).status == 0)
        let i = try runTool(nmtTrain, ["init", "--src-vocab", dir + "/en.vocab", "--tgt-vocab", dir + "/en.vocab", "--tiny",
                                       "-o", dir + "/tr"])
        #expect(i.status == 0, "\(i.stderr)")
        let l = try runTool(nmtLM, ["score", "-m", dir + "/tr"], stdin: Data("a dog\n".utf8))
        #expect(l.status != 0 && l.stderr.contains("this is a translation model, a language model is needed"), "\(l.stderr)")
        #expect(l.stderr.split(separator: "\n").count == 1)
        let bad = try runTool(nmtTrain, ["lm", "--corpus", dir + "/train.en", "--lang", "en", "-o", dir + "/x", "--cell", "lstn"])
        #expect(bad.status != 0 && bad.stderr.contains("unknown cell \"lstn\"; choose one of: rnn lstm peephole coupled gru esn clockwork"),
                "\(bad.stderr)")
    }
}
