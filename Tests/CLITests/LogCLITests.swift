import Foundation
import Testing

/// nmt-train's logs: JSON lines with --log-format json, filtered by --log-level, and on a real
/// terminal (tmux) a progress bar redrawn in place.
@Suite struct LogCLITests {
    @Test func jsonLinesAndLevels() throws {
        let (dir, args) = try TrainCLITests().corpora()
        let a = args.filter { $0 != "--quiet" } + ["--max-epochs", "2", "--force"]
        let j = try runTool(nmtTrain, a + ["-o", dir + "/j", "--log-format", "json"])
        #expect(j.status == 0, "\(j.stderr)")
        let lines = j.stderr.split(separator: "\n")
        #expect(lines.count >= 4)
        var validations = 0
        for line in lines {
            let o = (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any]
            #expect(o?["level"] as? String != nil && o?["message"] as? String != nil && o?["time"] as? String != nil, "\(line)")
            if (o?["message"] as? String)?.hasPrefix("validation after epoch") == true { validations += 1 }
        }
        #expect(validations == 2)
        let w = try runTool(nmtTrain, a + ["-o", dir + "/w", "--log-level", "warning"])
        #expect(w.status == 0 && w.stderr.isEmpty, "\(w.stderr)")
        let bad = try runTool(nmtTrain, a + ["-o", dir + "/b", "--log-format", "xml"])
        #expect(bad.status != 0 && bad.stderr.contains("--log-format xml"), "\(bad.stderr)")
    }

    /// tmux gives nmt-train a terminal; the screen shows one progress bar line (redrawn in
    /// place, not a line per redraw) with the epoch, the bar and the ETA.
    @Test func progressBarOnATerminal() throws {
        let tmux = ["/usr/bin/tmux", "/usr/local/bin/tmux"].first { FileManager.default.isExecutableFile(atPath: $0) }
        #expect(tmux != nil, "tmux is missing: bash scripts/setup.sh tmux")
        guard let tmux else { return }
        let (dir, args) = try TrainCLITests().corpora()
        let socket = "nmt-test-\(getpid())-\(UInt32.random(in: 0 ..< .max))"
        // No validation and no log lines: the bar alone is redrawn on its line.
        var a = args.filter { $0 != "--quiet" }
        for flag in ["--valid-src", "--valid-tgt"] {
            if let i = a.firstIndex(of: flag) { a.removeSubrange(i...(i + 1)) }
        }
        let command = ([nmtTrain] + a + ["--log-every", "0"]
                       + ["-o", dir + "/t", "--max-epochs", "100000", "--early-stop", "100000", "--batch-tokens", "8",
                          "--max-minutes", "1"])
            .map { "'\($0)'" }.joined(separator: " ")
        // One shell script starts the session, waits until the screen shows the bar (at most
        // 30 s), saves the screen and ends the server; its output goes to files, since the tmux
        // server would keep captured pipes open.
        let work = makeTempDir()
        let script = """
            T='\(tmux)'; S='\(socket)'
            "$T" -L "$S" new-session -d -s bar -x 150 -y 20 "\(command.replacingOccurrences(of: "\"", with: "\\\""))"
            for i in $(seq 1 100); do
                sleep 0.3
                "$T" -L "$S" capture-pane -p -t bar > '\(work)/screen' 2>/dev/null || true
                grep -q ETA '\(work)/screen' && grep -q '█' '\(work)/screen' && break
            done
            "$T" -L "$S" kill-server
            """
        write(work + "/run.sh", Array(script.utf8))
        let launch = try runTool("/bin/sh", ["-c", "sh '\(work)/run.sh' </dev/null >'\(work)/out' 2>&1"])
        #expect(launch.status == 0, "\(read(work + "/out") ?? "")")
        let screen = read(work + "/screen") ?? ""
        let bars = screen.split(separator: "\n").filter { $0.contains("ETA") }
        #expect(bars.count == 1, "\(screen)")
        if let bar = bars.first {
            #expect(bar.hasPrefix("epoch ") && bar.contains("tok/s") && bar.contains("█"), "\(bar)")
            #expect(!bar.contains("\u{1B}"), "raw escape codes on screen: \(bar)")
        }
    }
}
