import Foundation
import NMTTestSupport
import Testing

/// The built nmt-vocab binary: next to the test bundle (the test target depends on the
/// executable, so `swift test` builds it into the same directory).
let nmtVocab: String = {
    var dirs: [URL] = []
    dirs.append(URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent())
    dirs.append(Bundle.main.bundleURL)
    dirs.append(Bundle.main.bundleURL.deletingLastPathComponent())
    for d in dirs {
        let candidate = d.appendingPathComponent("nmt-vocab").path
        if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
    }
    return dirs[0].appendingPathComponent("nmt-vocab").path
}()

struct Run {
    var status: Int32
    var stdout: String
    var stderr: String
    /// The process ended by a signal (`status` is then the signal's number).
    var signaled = false
}

/// Runs nmt-vocab with `args` in `cwd`, feeding `stdin`.
func run(_ args: [String], stdin: String = "", cwd: String? = nil) throws -> Run {
    try runTool(nmtVocab, args, stdin: Data(stdin.utf8), cwd: cwd)
}

/// Runs a tool with `args` (in `cwd` when given, with `env` added to the environment), feeding
/// `stdin`; captures everything. A death by a signal fails the test unless `signalExpected`.
func runTool(_ tool: String, _ args: [String], stdin: Data = Data(), cwd: String? = nil, env: [String: String] = [:],
             signalExpected: Bool = false) throws -> Run {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: tool)
    p.arguments = args
    if !env.isEmpty { p.environment = ProcessInfo.processInfo.environment.merging(env) { $1 } }
    if let cwd { p.currentDirectoryURL = URL(fileURLWithPath: cwd) }
    let inPipe = Pipe(), outPipe = Pipe(), errPipe = Pipe()
    p.standardInput = inPipe
    p.standardOutput = outPipe
    p.standardError = errPipe
    try p.run()
    // Read both pipes concurrently with writing stdin so large outputs cannot deadlock.
    nonisolated(unsafe) var outData = Data(), errData = Data()
    let group = DispatchGroup()
    DispatchQueue.global().async(group: group) { outData = outPipe.fileHandleForReading.readDataToEndOfFile() }
    DispatchQueue.global().async(group: group) { errData = errPipe.fileHandleForReading.readDataToEndOfFile() }
    inPipe.fileHandleForWriting.write(stdin)
    try inPipe.fileHandleForWriting.close()
    group.wait()
    p.waitUntilExit()
    if !signalExpected {
        #expect(p.terminationReason == .exit, "\(tool) died of a signal: \(String(decoding: errData, as: UTF8.self))")
    }
    return Run(status: p.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
               stderr: String(decoding: errData, as: UTF8.self), signaled: p.terminationReason == .uncaughtSignal)
}

/// A fresh empty directory under /tmp, removed when the tests end.
func makeTempDir() -> String { makeTemporaryDirectory(prefix: "nmt-cli-test") }

func write(_ path: String, _ bytes: [UInt8]) {
    _ = FileManager.default.createFile(atPath: path, contents: Data(bytes))
}

func read(_ path: String) -> String? {
    FileManager.default.contents(atPath: path).map { String(decoding: $0, as: UTF8.self) }
}

let corpus = """
    Ein Hund läuft über die Wiese.
    Ein   Mann, eine Frau und ein Hund.
    Zwei Hunde spielen im Schnee!
    Der Hund (braun) schläft.

    „Ein Kind“ – 3,5 Jahre alt – läuft.
    """ + "\n"

/// A directory holding corpus.de and a vocabulary built from it.
func fixture() throws -> (dir: String, corpus: String, vocab: String) {
    let dir = makeTempDir()
    write(dir + "/corpus.de", Array(corpus.utf8))
    let r = try run(["build", dir + "/corpus.de", "--lang", "de", "-o", dir + "/de.vocab"])
    #expect(r.status == 0, "\(r.stderr)")
    return (dir, dir + "/corpus.de", dir + "/de.vocab")
}

@Suite struct CLITests {
    @Test func binaryExists() {
        #expect(FileManager.default.isExecutableFile(atPath: nmtVocab), "\(nmtVocab)")
    }

    @Test func buildWritesAVocabulary() throws {
        let f = try fixture()
        let text = read(f.vocab)!
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines[0].hasPrefix("#swift-nmt-vocab v1 {"))
        #expect(lines[0].contains("\"lang\":\"de\""))
        #expect(Array(lines[1...5]) == ["<pad>\t0", "<unk>\t0", "<s>\t0", "</s>\t0", "<mask>\t0"])
        #expect(lines[6] == "￭.\t4")  // the most frequent token
        #expect(lines[7] == "Hund\t3")
        #expect(lines[8] == "Ein\t2")  // ties in byte order: "Ein" < "läuft" < "–"
    }

    @Test func buildDefaultOutputAndMinCount() throws {
        let f = try fixture()
        let gz = Process()
        gz.executableURL = URL(fileURLWithPath: "/bin/gzip")
        gz.arguments = ["-k", f.corpus]
        try gz.run(); gz.waitUntilExit()
        let r = try run(["build", "corpus.de.gz", "--lang", "de", "--min-count", "2"], cwd: f.dir)
        #expect(r.status == 0, "\(r.stderr)")
        let text = read(f.dir + "/vocab/corpus.de.vocab")!
        #expect(text.split(separator: "\n").count == 1 + 5 + 5)  // Hund ￭. Ein läuft ￭,
    }

    @Test func tokenizeDetokenizeRoundTrip() throws {
        let f = try fixture()
        let tok = try run(["tokenize", "--vocab", f.vocab, f.corpus])
        #expect(tok.status == 0)
        let tokLines = tok.stdout.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(tokLines[0] == "Ein Hund läuft über die Wiese ￭.")
        #expect(tokLines[4] == "")
        let detok = try run(["detokenize", "--vocab", f.vocab], stdin: tok.stdout)
        let norm = try run(["normalize", "--vocab", f.vocab, f.corpus])
        #expect(detok.status == 0 && norm.status == 0)
        #expect(detok.stdout == norm.stdout)
        #expect(norm.stdout.contains("Ein Mann, eine Frau und ein Hund.\n"))  // spaces collapsed
        // --lang from stdin gives the same tokens.
        let tok2 = try run(["tokenize", "--lang", "de"], stdin: corpus)
        #expect(tok2.stdout == tok.stdout)
    }

    @Test func idsRoundTrip() throws {
        let f = try fixture()
        let ids = try run(["tokenize", "--vocab", f.vocab, "--ids"], stdin: "Ein Hund schläft im Zoo.\n")
        #expect(ids.status == 0)
        let values = ids.stdout.split(separator: " ").map { Int($0.trimmingCharacters(in: .whitespacesAndNewlines))! }
        #expect(values.count == 6)
        #expect(values[0] == 7)    // "Ein" (after ￭. 5 and Hund 6)
        #expect(values[4] == 1)    // "Zoo" is unknown
        let back = try run(["detokenize", "--vocab", f.vocab, "--ids"], stdin: ids.stdout)
        #expect(back.stdout == "Ein Hund schläft im <unk>.\n")
    }

    @Test func stats() throws {
        let f = try fixture()
        write(f.dir + "/other.de", Array("Ein Hund jagt eine Katze.\n".utf8))
        let r = try run(["stats", f.dir + "/other.de", "--vocab", f.vocab])
        #expect(r.status == 0)
        #expect(r.stdout.contains("tokens: 6\n"))
        #expect(r.stdout.contains("types: 6\n"))
        #expect(r.stdout.contains("oov tokens: 2 (33.33%)"))
        #expect(r.stdout.contains("oov types: 2 (33.33%)"))
    }

    // MARK: errors

    @Test func missingFile() throws {
        let dir = makeTempDir()
        let r = try run(["build", dir + "/nope.de", "--lang", "de", "-o", dir + "/v.vocab"])
        #expect(r.status == 1)
        #expect(r.stderr == "nmt-vocab: error: \(dir)/nope.de: no such file\n")
        #expect(!FileManager.default.fileExists(atPath: dir + "/v.vocab"))
        let t = try run(["tokenize", "--lang", "de", dir + "/nope.de"])
        #expect(t.status == 1 && t.stderr.contains("nope.de: no such file"))
    }

    @Test func emptyInput() throws {
        let dir = makeTempDir()
        write(dir + "/empty.de", [])
        let r = try run(["build", dir + "/empty.de", "--lang", "de", "-o", dir + "/v.vocab"])
        #expect(r.status == 1)
        #expect(r.stderr == "nmt-vocab: error: \(dir)/empty.de: empty input\n")
        #expect(listDir(dir) == ["empty.de"])
        let t = try run(["tokenize", "--lang", "de"], stdin: "")
        #expect(t.status == 0 && t.stdout == "")
    }

    @Test func invalidUTF8() throws {
        let dir = makeTempDir()
        write(dir + "/bad.de", Array("gut\nschl".utf8) + [0xE4] + Array("ft\nauch gut\n".utf8))
        let r = try run(["build", dir + "/bad.de", "--lang", "de", "-o", dir + "/v.vocab"])
        #expect(r.status == 1)
        #expect(r.stderr == "nmt-vocab: error: \(dir)/bad.de:2: invalid UTF-8 at byte offset 8 (byte 5 of the line)\n")
        #expect(listDir(dir) == ["bad.de"])  // nothing written
        let s = try run(["build", dir + "/bad.de", "--lang", "de", "-o", dir + "/v.vocab", "--skip-invalid"])
        #expect(s.status == 0)
        #expect(s.stderr.contains("skipped 1 line(s) with invalid UTF-8"))
        #expect(read(dir + "/v.vocab")!.contains("\ngut\t2\n"))
        let t = try run(["tokenize", "--lang", "de", "--skip-invalid", dir + "/bad.de"])
        #expect(t.stdout == "gut\nauch gut\n")
        #expect(t.stderr.contains("(line 2)"))
    }

    @Test func existingOutputIsRefused() throws {
        let f = try fixture()
        let before = read(f.vocab)!
        write(f.dir + "/small.de", Array("ganz anders\n".utf8))
        let r = try run(["build", f.dir + "/small.de", "--lang", "de", "-o", f.vocab])
        #expect(r.status == 1)
        #expect(r.stderr == "nmt-vocab: error: \(f.vocab): output file exists (use --force to overwrite)\n")
        #expect(read(f.vocab) == before)
        let forced = try run(["build", f.dir + "/small.de", "--lang", "de", "-o", f.vocab, "--force"])
        #expect(forced.status == 0)
        #expect(read(f.vocab)!.hasSuffix("<mask>\t0\nanders\t1\nganz\t1\n"))
        #expect(listDir(f.dir).allSatisfy { !$0.contains(".tmp.") })
    }

    @Test func malformedAndDuplicateVocabulary() throws {
        let f = try fixture()
        var lines = read(f.vocab)!.split(separator: "\n").map(String.init)
        lines[7] = "kaputt"
        write(f.dir + "/bad.vocab", Array((lines.joined(separator: "\n") + "\n").utf8))
        let r = try run(["tokenize", "--vocab", f.dir + "/bad.vocab"], stdin: "Hund\n")
        #expect(r.status == 1)
        #expect(r.stderr.hasPrefix("nmt-vocab: error: \(f.dir)/bad.vocab:8: malformed vocabulary line"))
        lines[7] = lines[6]
        write(f.dir + "/dup.vocab", Array((lines.joined(separator: "\n") + "\n").utf8))
        let d = try run(["stats", f.corpus, "--vocab", f.dir + "/dup.vocab"])
        #expect(d.status == 1)
        #expect(d.stderr == "nmt-vocab: error: \(f.dir)/dup.vocab:8: duplicate token \"￭.\" (first on line 7)\n")
    }

    @Test func usageErrors() throws {
        let r = try run(["tokenize"], stdin: "x\n")
        #expect(r.status != 0 && r.status != 1)  // ArgumentParser's validation exit code
        #expect(r.stderr.contains("--lang or --vocab"))
        let ids = try run(["tokenize", "--lang", "de", "--ids"], stdin: "x\n")
        #expect(ids.status != 0)
    }
}

func listDir(_ path: String) -> [String] {
    ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).sorted()
}
