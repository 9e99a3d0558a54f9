import Foundation
import Testing

/// --keep-checkpoints and nmt-train average through the tools: the run keeps the newest N
/// validation checkpoints, and their average is a model that translates; bad requests are
/// one-line errors.
@Suite struct AverageCLITests {
    @Test func keptCheckpointsAverageIntoAModel() throws {
        let (dir, args) = try TrainCLITests().corpora()
        let r = try runTool(nmtTrain, args + ["-o", dir + "/m", "--max-epochs", "4", "--keep-checkpoints", "2"])
        #expect(r.status == 0, "\(r.stderr)")
        // Four validations; the last two are kept, under the steps the log gives them.
        let log = read(dir + "/m/train.log.jsonl") ?? ""
        let steps = log.split(separator: "\n").filter { $0.contains("\"type\":\"valid\"") }.compactMap { line -> Int? in
            (try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])?["step"] as? Int
        }
        #expect(steps.count == 4, "\(log)")
        let kept = try FileManager.default.contentsOfDirectory(atPath: dir + "/m/checkpoints").sorted()
        #expect(kept == steps.suffix(2).map { String(format: "step-%07d", $0) }, "\(kept) for \(steps)")
        // The newest alone averages to the same model: the same scores, to the digit.
        let one = try runTool(nmtTrain, ["average", dir + "/m", "--last", "1", "-o", dir + "/avg1"])
        #expect(one.status == 0, "\(one.stderr)")
        let newest = dir + "/m/checkpoints/" + kept[1]
        let s1 = try runTool(nmtTranslate, ["-m", dir + "/avg1", "--score", dir + "/train.de", dir + "/train.en"])
        let s2 = try runTool(nmtTranslate, ["-m", newest, "--score", dir + "/train.de", dir + "/train.en"])
        #expect(s1.status == 0 && s1.stdout == s2.stdout && !s1.stdout.isEmpty, "\(s1.stderr) \(s2.stderr)")
        // Two, given as directories: a model that translates every line.
        let two = try runTool(nmtTrain, ["average", dir + "/m/checkpoints/" + kept[0], newest, "-o", dir + "/avg2"])
        #expect(two.status == 0, "\(two.stderr)")
        let t = try runTool(nmtTranslate, ["-m", dir + "/avg2", dir + "/train.de", "--greedy"])
        #expect(t.status == 0 && t.stdout.split(separator: "\n", omittingEmptySubsequences: false).count == 5, "\(t.stderr)")
        // Refusals: more than were kept; an existing output; a run that kept none.
        let many = try runTool(nmtTrain, ["average", dir + "/m", "--last", "3", "-o", dir + "/avg3"])
        #expect(many.status != 0 && many.stderr.contains("kept 2 checkpoints"), "\(many.stderr)")
        let exists = try runTool(nmtTrain, ["average", dir + "/m", "--last", "2", "-o", dir + "/avg1"])
        #expect(exists.status != 0 && exists.stderr.contains(dir + "/avg1"), "\(exists.stderr)")
        #expect(s1.stdout == (try runTool(nmtTranslate, ["-m", dir + "/avg1", "--score", dir + "/train.de", dir + "/train.en"])).stdout)
        let none = try runTool(nmtTrain, args + ["-o", dir + "/n", "--max-epochs", "1"])
        #expect(none.status == 0, "\(none.stderr)")
        let nothing = try runTool(nmtTrain, ["average", dir + "/n", "--last", "1", "-o", dir + "/avg4"])
        #expect(nothing.status != 0 && nothing.stderr.contains("--keep-checkpoints"), "\(nothing.stderr)")
    }
}
