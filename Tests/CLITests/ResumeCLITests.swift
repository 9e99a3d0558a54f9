import Foundation
import Testing

/// An honest resume: every option is recorded and reused, a conflicting one is refused with both
/// values, and a run killed with SIGKILL at fixed points (a step, stages inside checkpoint
/// writes) and resumed each time ends with the uninterrupted run's weights, bit for bit.
@Suite struct ResumeCLITests {
    func settings(_ dir: String) -> [String: String] {
        guard let data = FileManager.default.contents(atPath: dir + "/run.json"),
              let json = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { return [:] }
        return json["command"] as? [String: String] ?? [:]
    }

    func state(_ dir: String) -> [String: Any] {
        guard let data = FileManager.default.contents(atPath: dir + "/last/training-state.json"),
              let json = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { return [:] }
        return json
    }

    @Test func conflictingOptionsAreRefusedAndRecordedOnesReused() throws {
        let (dir, args) = try TrainCLITests().corpora()
        let m = dir + "/m"
        let r = try runTool(nmtTrain, args + ["-o", m, "--max-steps", "2", "--max-len", "30", "--threads", "1",
                                              "--valid-beam", "2"])
        #expect(r.status == 0, "\(r.stderr)")
        let recorded = settings(m)
        #expect(recorded["max-len"] == "30" && recorded["threads"] == "1" && recorded["valid-beam"] == "2"
                && recorded["dropout"] == "0.3" && recorded["enc-cell"] == "lstm" && recorded["src"]?.hasSuffix("/train.de") == true,
                "\(recorded)")
        // Options that shape the run: refused with the option, the recorded and the given value.
        for (flag, given, was) in [("--dropout", "0.5", "0.3"), ("--max-len", "80", "30"), ("--valid-beam", "1", "2"),
                                   ("--enc-hidden", "16", "8"), ("--batch-tokens", "40", "20")] {
            let refused = try runTool(nmtTrain, ["--resume", m, flag, given])
            #expect(refused.status != 0 && refused.stderr.contains("\(flag) \(given)") && refused.stderr.contains("\(flag) \(was)"),
                    "\(flag): \(refused.stderr)")
        }
        let flagOnly = try runTool(nmtTrain, ["--resume", m, "--no-tie-embeddings"])
        #expect(flagOnly.status != 0 && flagOnly.stderr.contains("--tie-embeddings false"), "\(flagOnly.stderr)")
        let skip = try runTool(nmtTrain, ["--resume", m, "--skip-invalid"])
        #expect(skip.status != 0 && skip.stderr.contains("--skip-invalid true"), "\(skip.stderr)")
        let output = try runTool(nmtTrain, ["--resume", m, "-o", dir + "/elsewhere"])
        #expect(output.status != 0 && output.stderr.contains("--resume"), "\(output.stderr)")
        // The same value is no conflict.
        let same = try runTool(nmtTrain, ["--resume", m, "--dropout", "0.3", "--max-steps", "3", "--quiet"])
        #expect(same.status == 0, "\(same.stderr)")
        // A new learning rate only with --reset-learning-rate.
        let rate = try runTool(nmtTrain, ["--resume", m, "--learning-rate", "0.01"])
        #expect(rate.status != 0 && rate.stderr.contains("--reset-learning-rate") && rate.stderr.contains("0.001"), "\(rate.stderr)")
        let reset = try runTool(nmtTrain, ["--resume", m, "--learning-rate", "0.01", "--reset-learning-rate", "--max-steps", "4",
                                           "--quiet"])
        #expect(reset.status == 0, "\(reset.stderr)")
        #expect(settings(m)["learning-rate"] == "0.01")
        #expect((state(m)["learning_rate"] as? Double).map { abs($0 - 0.01) < 1e-9 } == true, "\(state(m))")
        // A plain resume reuses everything recorded, the new budget and rate included.
        let plain = try runTool(nmtTrain, ["--resume", m])
        #expect(plain.status == 0, "\(plain.stderr)")
        #expect(plain.stderr.contains("1 thread(s)"), "\(plain.stderr)")
        let after = settings(m)
        #expect(after["max-len"] == "30" && after["threads"] == "1" && after["valid-beam"] == "2" && after["max-steps"] == "4",
                "\(after)")
        #expect(state(m)["step"] as? Int == 4, "\(state(m))")
    }

    @Test func theLanguageIsNeverGuessedFromAnUnknownSuffix() throws {
        let (dir, _) = try TrainCLITests().corpora()
        try FileManager.default.copyItem(atPath: dir + "/train.de", toPath: dir + "/s.txt")
        try FileManager.default.copyItem(atPath: dir + "/train.en", toPath: dir + "/t.txt")
        let small = ["--embedding", "8", "--enc-hidden", "8", "--dec-hidden", "8", "--attention", "8", "--pre-output", "8",
                     "--max-steps", "1", "--quiet"]
        let r = try runTool(nmtTrain, ["--src", dir + "/s.txt", "--tgt", dir + "/t.txt", "-o", dir + "/m"] + small)
        #expect(r.status != 0 && r.stderr.contains("s.txt") && r.stderr.contains("--src-lang"), "\(r.stderr)")
        let named = try runTool(nmtTrain, ["--src", dir + "/s.txt", "--tgt", dir + "/t.txt", "--src-lang", "de", "--tgt-lang", "en",
                                           "-o", dir + "/m2"] + small)
        #expect(named.status == 0, "\(named.stderr)")
        let guessed = try runTool(nmtTrain, ["--src", dir + "/train.de", "--tgt", dir + "/train.en", "-o", dir + "/m3"] + small)
        #expect(guessed.status == 0, "\(guessed.stderr)")
    }

    /// A checkpoint write that fails (injected, as on a full disk) stops the run with a one-line
    /// error that says how to go on; the previous checkpoint is intact, nothing temporary is left,
    /// and resuming ends where the run that never failed does.
    @Test func aFailedCheckpointWriteStopsClearlyAndLosesNothing() throws {
        let (dir, args) = try TrainCLITests().corpora()
        let run = args + ["--threads", "1", "--valid-every", "2", "--max-steps", "8"]
        let whole = try runTool(nmtTrain, run + ["-o", dir + "/a"])
        #expect(whole.status == 0, "\(whole.stderr)")
        for (name, point) in [("b", "3"), ("c", "2:model-written"), ("d", "1:begin")] {
            let b = dir + "/" + name
            let failed = try runTool(nmtTrain, run + ["-o", b, "--debug-fail-checkpoint", point])
            #expect(failed.status == 1 && lines(failed.stderr).count == 1 && failed.stderr.contains("No space left on device")
                    && (point == "1:begin" || failed.stderr.contains("the previous checkpoint is intact") && failed.stderr.contains("--resume \(b)")),
                    "\(point): \(failed.stderr)")
            #expect(!FileManager.default.fileExists(atPath: b + "/.last.tmp"), "\(point)")
            if point == "1:begin" { continue }   // no checkpoint before the first: nothing to resume
            let resumed = try runTool(nmtTrain, ["--resume", b, "--quiet"])
            #expect(resumed.status == 0, "\(resumed.stderr)")
            for file in ["last/model.safetensors", "last/optimizer.safetensors"] {
                #expect(FileManager.default.contents(atPath: dir + "/a/" + file) == FileManager.default.contents(atPath: b + "/" + file),
                        "\(point): \(file) differs")
            }
        }
    }

    /// The types and steps of a run's log lines (what a killed and resumed run must tell once).
    func logEntries(_ dir: String) -> [String] {
        (read(dir + "/train.log.jsonl") ?? "").split(separator: "\n").compactMap { line in
            guard let o = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else { return "torn" }
            return "\(o["type"] ?? "?")@\(o["step"] ?? "?")"
        }
    }

    @Test func killedRunsResumeToTheUninterruptedWeightsBitForBit() throws {
        let (dir, args) = try TrainCLITests().corpora()
        let run = args + ["--threads", "1", "--valid-every", "2", "--max-steps", "10"]
        let whole = try runTool(nmtTrain, run + ["-o", dir + "/a"])
        #expect(whole.status == 0, "\(whole.stderr)")

        let b = dir + "/b"
        let first = try runTool(nmtTrain, run + ["-o", b, "--debug-kill-at-step", "3"], signalExpected: true)
        #expect(first.signaled && first.status == SIGKILL, "\(first.status) \(first.stderr)")
        // Inside the second checkpoint write, between its renames: last/ is gone, .last.old whole.
        let second = try runTool(nmtTrain, ["--resume", b, "--debug-kill-in-checkpoint", "2:old-moved"], signalExpected: true)
        #expect(second.signaled, "\(second.stderr)")
        #expect(!FileManager.default.fileExists(atPath: b + "/last") && FileManager.default.fileExists(atPath: b + "/.last.old"))
        for point in ["1:model-written", "1:swapped"] {
            let killed = try runTool(nmtTrain, ["--resume", b, "--debug-kill-in-checkpoint", point], signalExpected: true)
            #expect(killed.signaled, "\(point): \(killed.stderr)")
        }
        let last = try runTool(nmtTrain, ["--resume", b, "--quiet"])
        #expect(last.status == 0, "\(last.stderr)")

        for file in ["last/model.safetensors", "last/optimizer.safetensors", "best/model.safetensors"] {
            let x = FileManager.default.contents(atPath: dir + "/a/" + file)
            #expect(x != nil && x == FileManager.default.contents(atPath: b + "/" + file), "\(file) differs")
        }
        var sa = state(dir + "/a"), sb = state(b)
        sa["training_seconds"] = nil; sb["training_seconds"] = nil
        #expect(NSDictionary(dictionary: sa) == NSDictionary(dictionary: sb), "\(sa) vs \(sb)")
        #expect(logEntries(dir + "/a") == logEntries(b), "\(logEntries(dir + "/a")) vs \(logEntries(b))")
    }
}
