import Foundation
import Testing

/// nmt-translate -m A -m B: an ensemble through the tool. A model with itself translates as the
/// model alone; two models score each pair with the mean of their scores; models with other
/// vocabularies are a one-line error naming both.
@Suite struct EnsembleCLITests {
    func scores(_ text: String) -> [Double] {
        text.split(separator: "\n").compactMap { Double($0.split(separator: "\t")[0]) }
    }

    @Test func ensembleThroughTheTool() throws {
        let (dir, args) = try TrainCLITests().corpora()
        for seed in ["1", "2"] {
            let r = try runTool(nmtTrain, args + ["-o", dir + "/m" + seed, "--max-steps", "30", "--seed", seed])
            #expect(r.status == 0, "\(r.stderr)")
        }
        let a = dir + "/m1", b = dir + "/m2"
        let alone = try runTool(nmtTranslate, ["-m", a, dir + "/train.de", "--n-best", "2", "--quiet"])
        let twice = try runTool(nmtTranslate, ["-m", a, "-m", a, dir + "/train.de", "--n-best", "2", "--quiet"])
        #expect(alone.status == 0 && twice.status == 0 && alone.stdout == twice.stdout && !alone.stdout.isEmpty, "\(twice.stderr)")
        let sa = try runTool(nmtTranslate, ["-m", a, "--score", dir + "/train.de", dir + "/train.en", "--quiet"])
        let sb = try runTool(nmtTranslate, ["-m", b, "--score", dir + "/train.de", dir + "/train.en", "--quiet"])
        let se = try runTool(nmtTranslate, ["-m", a, "-m", b, "--score", dir + "/train.de", dir + "/train.en", "--quiet"])
        let (xa, xb, xe) = (scores(sa.stdout), scores(sb.stdout), scores(se.stdout))
        #expect(xa.count == 4 && xb.count == 4 && xe.count == 4, "\(se.stderr)")
        for i in xe.indices where i < min(xa.count, xb.count) {
            #expect(abs(xe[i] - (xa[i] + xb[i]) / 2) <= 1e-3, "line \(i + 1): \(xe[i]) vs \((xa[i] + xb[i]) / 2)")
        }
        #expect(zip(xa, xb).contains { abs($0 - $1) > 0.01 }, "two seeds should score differently")
        // Another target vocabulary: refused, naming both directories.
        write(dir + "/other.en", Array("something else entirely\nand more\n".utf8))
        let v = try run(["build", dir + "/other.en", "--lang", "en", "-o", dir + "/other.vocab"])
        #expect(v.status == 0, "\(v.stderr)")
        var other = args
        other[other.firstIndex(of: "--tgt-vocab")! + 1] = dir + "/other.vocab"
        let c = try runTool(nmtTrain, other + ["-o", dir + "/mc", "--max-steps", "2"])
        #expect(c.status == 0, "\(c.stderr)")
        let bad = try runTool(nmtTranslate, ["-m", a, "-m", dir + "/mc", dir + "/train.de"])
        #expect(bad.status != 0 && bad.stderr.contains("m1") && bad.stderr.contains("mc") && bad.stderr.contains("target vocabularies"), "\(bad.stderr)")
        #expect(bad.stderr.split(separator: "\n").count == 1, "\(bad.stderr)")
    }

    /// nmt-train ensemble writes a directory that nmt-translate -m reads as the ensemble of its
    /// members (the script's layout: members inside it), relative so it moves as one piece.
    @Test func ensembleDirectory() throws {
        let (dir, args) = try TrainCLITests().corpora()
        let e = dir + "/e"
        for seed in ["1", "2"] {
            let r = try runTool(nmtTrain, args + ["-o", e + "/members/" + seed, "--max-steps", "20", "--seed", seed])
            #expect(r.status == 0, "\(r.stderr)")
        }
        let w = try runTool(nmtTrain, ["ensemble", e + "/members/1", e + "/members/2", "-o", e])
        #expect(w.status == 0, "\(w.stderr)")
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: e + "/ensemble.json"))) as? [String: Any]
        #expect(json?["members"] as? [String] == ["members/1", "members/2"], "\(String(describing: json))")
        let pair = try runTool(nmtTranslate, ["-m", e + "/members/1", "-m", e + "/members/2", dir + "/train.de", "--n-best", "2", "--quiet"])
        let ens = try runTool(nmtTranslate, ["-m", e, dir + "/train.de", "--n-best", "2", "--quiet"])
        #expect(pair.status == 0 && ens.status == 0 && pair.stdout == ens.stdout && !ens.stdout.isEmpty, "\(ens.stderr)")
        let alone = try runTool(nmtTranslate, ["-m", e + "/members/1", "--score", dir + "/train.de", dir + "/train.en", "--quiet"])
        let s2 = try runTool(nmtTranslate, ["-m", e + "/members/1", "-m", e + "/members/2", "--score", dir + "/train.de", dir + "/train.en", "--quiet"])
        let se = try runTool(nmtTranslate, ["-m", e, "--score", dir + "/train.de", dir + "/train.en", "--quiet"])
        #expect(se.status == 0 && se.stdout == s2.stdout && se.stdout != alone.stdout, "\(se.stderr)")
        // Written again: refused without --force, naming the file; with it, replaced.
        let again = try runTool(nmtTrain, ["ensemble", e + "/members/1", "-o", e])
        #expect(again.status != 0 && again.stderr.contains("ensemble.json"), "\(again.stderr)")
        // Decoding settings chosen for the ensemble go when it is replaced (they were chosen for it).
        let tune = try runTool(nmtTranslate, ["-m", e, "--tune-length-penalty", dir + "/train.de", dir + "/train.en", "--grid", "1", "--beam", "2"])
        #expect(tune.status == 0 && FileManager.default.fileExists(atPath: e + "/decoding.json"), "\(tune.stderr)")
        let forced = try runTool(nmtTrain, ["ensemble", e + "/members/2", e + "/members/1", "-o", e, "--force"])
        #expect(forced.status == 0 && !FileManager.default.fileExists(atPath: e + "/decoding.json"), "\(forced.stderr)")
        // Moved as one piece, it still decodes.
        try FileManager.default.moveItem(atPath: e, toPath: dir + "/moved")
        let moved = try runTool(nmtTranslate, ["-m", dir + "/moved", dir + "/train.de", "--quiet"])
        #expect(moved.status == 0 && !moved.stdout.isEmpty, "\(moved.stderr)")
        // Ensembles do not nest; other tools name the ensemble; a lost member names the file.
        let nested = try runTool(nmtTrain, ["ensemble", dir + "/moved", "-o", dir + "/nest"])
        #expect(nested.status != 0 && nested.stderr.contains("ensembles do not nest"), "\(nested.stderr)")
        let resume = try runTool(nmtTrain, ["--resume", dir + "/moved"])
        #expect(resume.status != 0, "\(resume.stderr)")
        try FileManager.default.removeItem(atPath: dir + "/moved/members/2")
        let lost = try runTool(nmtTranslate, ["-m", dir + "/moved", dir + "/train.de"])
        #expect(lost.status != 0 && lost.stderr.contains("moved/ensemble.json") && lost.stderr.contains("member members/2"), "\(lost.stderr)")
        #expect(lost.stderr.split(separator: "\n").count == 1, "\(lost.stderr)")
    }

    /// nmt-train --reverse-target trains a right-to-left model; nmt-translate --rescore reranks
    /// with it; it cannot join an ensemble of left-to-right models.
    @Test func rightToLeftRescorer() throws {
        let (dir, args) = try TrainCLITests().corpora()
        let l = try runTool(nmtTrain, args + ["-o", dir + "/l2r", "--max-steps", "20"])
        let r = try runTool(nmtTrain, args + ["-o", dir + "/r2l", "--max-steps", "20", "--reverse-target", "--seed", "2"])
        #expect(l.status == 0 && r.status == 0, "\(l.stderr)\(r.stderr)")
        let config = try String(contentsOfFile: dir + "/r2l/last/config.json", encoding: .utf8)
        #expect(config.contains("\"reverseTarget\" : true"), "\(config)")
        let plain = try runTool(nmtTranslate, ["-m", dir + "/l2r", dir + "/train.de", "--n-best", "2", "--quiet"])
        let zero = try runTool(nmtTranslate, ["-m", dir + "/l2r", "--rescore", dir + "/r2l:0", dir + "/train.de", "--n-best", "2", "--quiet"])
        let some = try runTool(nmtTranslate, ["-m", dir + "/l2r", "--rescore", dir + "/r2l:2", dir + "/train.de", "--quiet"])
        #expect(plain.status == 0 && zero.status == 0 && some.status == 0, "\(zero.stderr)\(some.stderr)")
        #expect(zero.stdout == plain.stdout, "weight 0 changes nothing")
        let mixed = try runTool(nmtTranslate, ["-m", dir + "/l2r", "-m", dir + "/r2l", dir + "/train.de"])
        #expect(mixed.status != 0 && mixed.stderr.contains("right-to-left"), "\(mixed.stderr)")
        let ens = try runTool(nmtTrain, ["ensemble", dir + "/l2r", dir + "/r2l", "-o", dir + "/ens"])
        #expect(ens.status != 0 && ens.stderr.contains("right-to-left"), "\(ens.stderr)")
        let bad = try runTool(nmtTranslate, ["-m", dir + "/l2r", "--rescore", ":0.5", dir + "/train.de"])
        #expect(bad.status == 64 && bad.stderr.contains("--rescore :0.5"), "\(bad.stderr)")
        // The weight chosen on held-out data, then recorded in an ensemble directory.
        let tune = try runTool(nmtTranslate, ["-m", dir + "/l2r", "--rescore", dir + "/r2l", "--tune-rescore", dir + "/train.de",
                                              dir + "/train.en", "--rescore-grid", "0,1"])
        let rows = tune.stdout.split(separator: "\n")
        #expect(tune.status == 0 && rows.count == 4 && rows[0] == "weights\tbleu" && rows[1].hasPrefix("0\t")
                && rows[2].hasPrefix("1\t") && rows[3].hasPrefix("chosen\t"), "\(tune.stdout)\(tune.stderr)")
        let rec = try runTool(nmtTrain, ["ensemble", dir + "/l2r", "--rescore", dir + "/r2l:2", "-o", dir + "/reranked"])
        #expect(rec.status == 0, "\(rec.stderr)")
        let recorded = try runTool(nmtTranslate, ["-m", dir + "/reranked", dir + "/train.de", "--quiet"])
        #expect(recorded.status == 0 && recorded.stdout == some.stdout, "\(recorded.stderr)")
    }
}

