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
}
