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
        let command = ([nmtTrain] + args.filter { $0 != "--quiet" }
                       + ["-o", dir + "/t", "--max-epochs", "100000", "--early-stop", "100000", "--batch-tokens", "8",
                          "--max-minutes", "1"])
            .map { "'\($0)'" }.joined(separator: " ")
        // The tmux server forks from this client and would keep captured pipes open: its
        // output goes nowhere. The run ends by itself within a minute if the test dies.
        let start = Process()
        start.executableURL = URL(fileURLWithPath: tmux)
        start.arguments = ["-L", socket, "new-session", "-d", "-s", "bar", "-x", "150", "-y", "20", command + "; sleep 5"]
        start.standardOutput = FileHandle.nullDevice
        start.standardError = FileHandle.nullDevice
        start.standardInput = FileHandle.nullDevice
        try start.run()
        start.waitUntilExit()
        defer { _ = try? runTool(tmux, ["-L", socket, "kill-server"]) }
        var screen = ""
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline {
            usleep(300_000)
            screen = (try? runTool(tmux, ["-L", socket, "capture-pane", "-p", "-t", "bar"]))?.stdout ?? ""
            if screen.contains("ETA") && screen.contains("█") { break }
        }
        let bars = screen.split(separator: "\n").filter { $0.contains("ETA") }
        #expect(bars.count == 1, "\(screen)")
        if let bar = bars.first {
            #expect(bar.hasPrefix("epoch ") && bar.contains("tok/s") && bar.contains("█"), "\(bar)")
            #expect(!bar.contains("\u{1B}"), "raw escape codes on screen: \(bar)")
        }
    }
}
