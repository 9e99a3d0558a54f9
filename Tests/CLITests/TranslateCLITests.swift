import Foundation
import Testing

/// The built nmt-translate binary, next to nmt-vocab.
let nmtTranslate: String = URL(fileURLWithPath: nmtVocab).deletingLastPathComponent().appendingPathComponent("nmt-translate").path

/// Runs nmt-translate and captures everything.
func runTranslate(_ args: [String], stdin: Data = Data()) throws -> Run {
    try runTool(nmtTranslate, args, stdin: stdin)
}

func lines(_ s: String) -> [String] {
    var l = s.components(separatedBy: "\n")
    if l.last == "" { l.removeLast() }
    return l
}

/// A directory with German/English toy corpora, vocabularies and a tiny random model.
func translateFixture() throws -> (dir: String, model: String) {
    let dir = makeTempDir()
    write(dir + "/src.de", Array("ein hund läuft über die wiese .\nzwei männer spielen im schnee\nder mann schläft\n".utf8))
    write(dir + "/tgt.en", Array("a dog runs over the meadow .\ntwo men play in the snow\nthe man sleeps\n".utf8))
    for (f, lang) in [("src.de", "de"), ("tgt.en", "en")] {
        let r = try run(["build", dir + "/" + f, "--lang", lang, "-o", dir + "/\(lang).vocab"])
        #expect(r.status == 0, "\(r.stderr)")
    }
    let r = try runTool(nmtTrain, ["init", "--src-vocab", dir + "/de.vocab", "--tgt-vocab", dir + "/en.vocab", "--tiny",
                                   "-o", dir + "/model"])
    #expect(r.status == 0, "\(r.stderr)")
    return (dir, dir + "/model")
}

@Suite struct TranslateCLITests {
    @Test func helpAndUsage() throws {
        #expect(FileManager.default.isExecutableFile(atPath: nmtTranslate))
        let h = try runTranslate(["--help"])
        #expect(h.status == 0 && h.stdout.contains("--n-best"))
        let bad = try runTranslate(["-m", "x", "--beam", "0"])
        #expect(bad.status == 64)
    }

    /// One output line per input line, in order: empty → empty, invalid UTF-8 (with
    /// --skip-invalid) → empty + warning, over-long → cut + warning.
    @Test func lineCountsAndOrder() throws {
        let (dir, model) = try translateFixture()
        var bytes = Array("ein hund\n\nder mann schläft\n".utf8)
        bytes += [0x61, 0xFF, 0x62, 0x0A]                                  // invalid line 4
        bytes += Array((Array(repeating: "hund", count: 50).joined(separator: " ") + "\n").utf8)  // long line 5
        bytes += Array("zwei männer\n".utf8)
        bytes += [0xC3, 0x0A]                                              // invalid last line 7
        write(dir + "/mixed.de", bytes)
        let r = try runTranslate(["-m", model, dir + "/mixed.de", "--skip-invalid", "--max-src-len", "10", "--beam", "3", "--min-len", "1"])
        #expect(r.status == 0, "\(r.stderr)")
        let out = lines(r.stdout)
        #expect(out.count == 7, "\(out)")
        #expect(out[1] == "" && out[3] == "" && out[6] == "")
        #expect(!out[0].isEmpty && !out[2].isEmpty && !out[4].isEmpty && !out[5].isEmpty)
        #expect(r.stderr.contains("mixed.de:4: invalid UTF-8") && r.stderr.contains("mixed.de:7: invalid UTF-8"))
        #expect(r.stderr.contains("mixed.de:5: source has 50 tokens, cut to 10"))
        #expect(r.stderr.contains("sentences/s"))
        // Same through stdin, and each line as it would be translated alone.
        let s = try runTranslate(["-m", model, "--skip-invalid", "--max-src-len", "10", "--beam", "3", "--min-len", "1", "--quiet"],
                                 stdin: Data(bytes))
        #expect(s.status == 0 && s.stdout == r.stdout && !s.stderr.contains("sentences/s"))
        let one = try runTranslate(["-m", model, "--beam", "3", "--min-len", "1", "--quiet"], stdin: Data("der mann schläft\n".utf8))
        #expect(lines(one.stdout) == [out[2]])
    }

    /// --workers N decodes N batches at once: the same output and the same warnings, line by line.
    @Test func workersGiveTheSameOutput() throws {
        let (dir, model) = try translateFixture()
        var text = ""
        for i in 0..<7 { text += ["ein hund", "", "der mann schläft über die wiese", "zwei männer"][i % 4] + "\n" }
        text += Array(repeating: "hund", count: 30).joined(separator: " ") + "\n"
        write(dir + "/many.de", Array((text + text).utf8))
        let args = ["-m", model, dir + "/many.de", "--beam", "3", "--n-best", "2", "--batch-size", "2", "--max-src-len", "12"]
        let one = try runTranslate(args)
        #expect(one.status == 0, "\(one.stderr)")
        #expect(lines(one.stdout).count >= 16)
        for extra in [["--workers", "3"], ["--workers", "2", "--threads", "1"]] {
            let many = try runTranslate(args + extra)
            #expect(many.status == 0, "\(many.stderr)")
            #expect(many.stdout == one.stdout, "\(extra)")
            #expect(many.stderr.contains("many.de:8: source has 30 tokens, cut to 12")
                    && many.stderr.contains("many.de:16: source has 30 tokens, cut to 12"))
        }
        #expect(try runTranslate(["-m", model, "--workers", "0"]).status == 64)
    }

    @Test func invalidUTF8StopsWithoutSkip() throws {
        let (dir, model) = try translateFixture()
        write(dir + "/bad.de", Array("ein hund\n".utf8) + [0x61, 0xFF, 0x0A])
        let r = try runTranslate(["-m", model, dir + "/bad.de", "-o", dir + "/out.en"])
        #expect(r.status == 1)
        #expect(r.stderr.contains("bad.de:2: invalid UTF-8") && lines(r.stderr).count == 1)
        #expect(!FileManager.default.fileExists(atPath: dir + "/out.en"))
    }

    @Test func nBestAndAlignmentFormats() throws {
        let (dir, model) = try translateFixture()
        let r = try runTranslate(["-m", model, dir + "/src.de", "--n-best", "3", "--beam", "4", "--alignments"])
        #expect(r.status == 0, "\(r.stderr)")
        let out = lines(r.stdout)
        #expect(out.count == 9)
        for (k, line) in out.enumerated() {
            let f = line.components(separatedBy: " ||| ")
            #expect(f.count == 4, "\(line)")
            #expect(f[0] == String(k / 3))
            #expect(Float(f[2]) != nil)
            let links = f[3].split(separator: " ")
            #expect(links.count == f[1].split(separator: " ").count || f[1].contains("￭") || links.count >= 0)
            for l in links { #expect(l.split(separator: "-").count == 2 && l.split(separator: "-").allSatisfy { Int($0) != nil }) }
        }
        let one = try runTranslate(["-m", model, dir + "/src.de", "--alignments", "--quiet"])
        for line in lines(one.stdout) { #expect(line.components(separatedBy: " ||| ").count == 2) }
    }

    @Test func outputFileIsAtomicAndNotOverwritten() throws {
        let (dir, model) = try translateFixture()
        let a = try runTranslate(["-m", model, dir + "/src.de", "-o", dir + "/out.en", "--quiet"])
        #expect(a.status == 0 && a.stdout.isEmpty)
        let stdoutRun = try runTranslate(["-m", model, dir + "/src.de", "--quiet"])
        #expect(read(dir + "/out.en") == stdoutRun.stdout)
        let b = try runTranslate(["-m", model, dir + "/src.de", "-o", dir + "/out.en"])
        #expect(b.status == 1 && b.stderr.contains("exists") && b.stderr.contains("--force"))
        #expect(read(dir + "/out.en") == stdoutRun.stdout)
        let c = try runTranslate(["-m", model, dir + "/src.de", "-o", dir + "/out.en", "--force", "--greedy", "--quiet"])
        #expect(c.status == 0)
    }

    /// A write that fails for real (past a file-size limit, as on a full disk): a one-line error
    /// naming the output, and neither the output nor a temporary file left behind; an existing
    /// output stays as it was. The same for nmt-vocab's -o.
    @Test func aFailedWriteLeavesNothingBehind() throws {
        let (dir, model) = try translateFixture()
        // 2,000 lines (an output of at least 2 bytes a line) and 400 distinct words: both outputs pass 512 bytes.
        let many = String(repeating: "ein hund läuft über die wiese .\nzwei männer spielen im schnee\n", count: 1000)
            + (0..<400).map { "wort\($0)" }.joined(separator: " ") + "\n"
        write(dir + "/many.de", Array(many.utf8))
        func limited(_ tool: String, _ args: [String]) throws -> Run {
            // ulimit -f counts 512-byte blocks in sh; the tools ignore SIGXFSZ, so the write fails with EFBIG.
            try runTool("/bin/sh", ["-c", "ulimit -f 1; exec \"$0\" \"$@\"", tool] + args)
        }
        let before = Set(try FileManager.default.contentsOfDirectory(atPath: dir))
        let t = try limited(nmtTranslate, ["-m", model, dir + "/many.de", "-o", dir + "/many.en", "--greedy", "--quiet"])
        #expect(t.status == 1 && lines(t.stderr).count == 1 && t.stderr.contains("many.en") && t.stderr.contains("too large"),
                "\(t.status) \(t.stderr)")
        let v = try limited(nmtVocab, ["build", dir + "/many.de", "--lang", "de", "--min-count", "1", "-o", dir + "/many.vocab"])
        #expect(v.status == 1 && lines(v.stderr).count == 1 && v.stderr.contains("many.vocab"), "\(v.status) \(v.stderr)")
        #expect(Set(try FileManager.default.contentsOfDirectory(atPath: dir)) == before.union(["many.de"]))
        write(dir + "/kept.en", Array("mine\n".utf8))
        let f = try limited(nmtTranslate, ["-m", model, dir + "/many.de", "-o", dir + "/kept.en", "--force", "--quiet"])
        #expect(f.status == 1 && read(dir + "/kept.en") == "mine\n", "\(f.stderr)")
    }

    @Test func badModels() throws {
        let (dir, model) = try translateFixture()
        let missing = try runTranslate(["-m", dir + "/nope", dir + "/src.de"])
        #expect(missing.status == 1 && missing.stderr.hasPrefix("nmt-translate: error:") && lines(missing.stderr).count == 1)
        #expect(missing.stderr.contains("not a swift-nmt model"))

        // Truncated weights.
        let fm = FileManager.default
        try fm.copyItem(atPath: model, toPath: dir + "/trunc")
        let w = try Data(contentsOf: URL(fileURLWithPath: dir + "/trunc/model.safetensors"))
        try w.prefix(w.count / 2).write(to: URL(fileURLWithPath: dir + "/trunc/model.safetensors"))
        let t = try runTranslate(["-m", dir + "/trunc", dir + "/src.de"])
        #expect(t.status == 1 && t.stderr.contains("model.safetensors") && lines(t.stderr).count == 1, "\(t.stderr)")

        // Garbage weights header.
        try fm.copyItem(atPath: model, toPath: dir + "/garbage")
        var g = w
        for i in 0..<16 { g[i] = 0xFF }
        try g.write(to: URL(fileURLWithPath: dir + "/garbage/model.safetensors"))
        let gr = try runTranslate(["-m", dir + "/garbage", dir + "/src.de"])
        #expect(gr.status == 1 && lines(gr.stderr).count == 1, "\(gr.stderr)")

        // Corrupt config.
        try fm.copyItem(atPath: model, toPath: dir + "/badconfig")
        write(dir + "/badconfig/config.json", Array("{\"format\": \"swift-nmt-model\", \"vers".utf8))
        let c = try runTranslate(["-m", dir + "/badconfig", dir + "/src.de"])
        #expect(c.status == 1 && c.stderr.contains("config.json") && lines(c.stderr).count == 1, "\(c.stderr)")

        // A vocabulary that is not the model's.
        try fm.copyItem(atPath: model, toPath: dir + "/badvocab")
        try fm.removeItem(atPath: dir + "/badvocab/target.vocab")
        try fm.copyItem(atPath: dir + "/de.vocab", toPath: dir + "/badvocab/target.vocab")
        let v = try runTranslate(["-m", dir + "/badvocab", dir + "/src.de"])
        #expect(v.status == 1 && lines(v.stderr).count == 1, "\(v.stderr)")

        // Weights holding a NaN or an infinity: refused at load, naming the tensor.
        for (name, bits) in [("nan", UInt32(0x7FC0_0000)), ("inf", UInt32(0x7F80_0000))] {
            try fm.copyItem(atPath: model, toPath: dir + "/" + name)
            var n = w
            withUnsafeBytes(of: bits.littleEndian) { n.replaceSubrange((n.count - 4)..<n.count, with: $0) }
            try n.write(to: URL(fileURLWithPath: dir + "/\(name)/model.safetensors"))
            let r = try runTranslate(["-m", dir + "/" + name, dir + "/src.de"])
            #expect(r.status == 1 && lines(r.stderr).count == 1 && r.stderr.contains("model.safetensors")
                    && r.stderr.range(of: #"tensor [a-z_.0-9]+ holds a NaN or infinite value"#, options: .regularExpression) != nil,
                    "\(r.stderr)")
        }

        let nofile = try runTranslate(["-m", model, dir + "/missing.de"])
        #expect(nofile.status == 1 && nofile.stderr.contains("missing.de: no such file"))
    }

    @Test func scoreAndReference() throws {
        let (dir, model) = try translateFixture()
        let s = try runTranslate(["-m", model, "--score", dir + "/src.de", dir + "/tgt.en"])
        #expect(s.status == 0, "\(s.stderr)")
        let out = lines(s.stdout)
        #expect(out.count == 3)
        for line in out {
            let f = line.split(separator: "\t")
            #expect(f.count == 2 && Double(f[0])! < 0 && Double(f[1])! > 1)
        }
        #expect(s.stderr.contains("perplexity"))

        let r = try runTranslate(["-m", model, dir + "/src.de", "--ref", dir + "/tgt.en", "--quiet"])
        #expect(r.status == 0)
        #expect(r.stderr.contains("BLEU|nrefs:1|case:mixed|eff:no|tok:13a|smooth:exp|version:2.6.0 = "))
        #expect(r.stderr.contains("chrF2|nrefs:1|case:mixed|eff:yes|nc:6|nw:0|space:no|version:2.6.0 = "))
        let o = try runTranslate(["-m", model, dir + "/src.de", "--ref", dir + "/tgt.en", "-o", dir + "/o.en", "--quiet"])
        #expect(o.stdout.hasPrefix("BLEU|"))
        write(dir + "/short.en", Array("a\n".utf8))
        let m = try runTranslate(["-m", model, dir + "/src.de", "--ref", dir + "/short.en", "--quiet"])
        #expect(m.status == 1 && m.stderr.contains("but \(dir)/short.en has 1"))
    }

    @Test func svgAndGzipAndBrokenPipe() throws {
        let (dir, model) = try translateFixture()
        let r = try runTranslate(["-m", model, dir + "/src.de", "--attention-svg", dir + "/svg", "--quiet"])
        #expect(r.status == 0)
        for i in 0..<3 {
            let svg = read(dir + "/svg/\(i).svg")
            #expect(svg?.contains("<svg") == true && svg?.contains("</svg>") == true)
        }
        // gzip input gives the same output.
        let gz = Process()
        gz.executableURL = URL(fileURLWithPath: "/bin/sh")
        gz.arguments = ["-c", "gzip -c '\(dir)/src.de' > '\(dir)/src.de.gz'"]
        try gz.run(); gz.waitUntilExit()
        let z = try runTranslate(["-m", model, dir + "/src.de.gz", "--quiet"])
        let p = try runTranslate(["-m", model, dir + "/src.de", "--quiet"])
        #expect(z.status == 0 && z.stdout == p.stdout)
        // A closed output pipe ends the program quietly.
        let sh = Process()
        sh.executableURL = URL(fileURLWithPath: "/bin/sh")
        sh.arguments = ["-c", "yes 'ein hund läuft' | head -3000 | '\(nmtTranslate)' -m '\(model)' --greedy --batch-size 16 2>'\(dir)/err' | head -2 > '\(dir)/head'"]
        try sh.run(); sh.waitUntilExit()
        #expect(lines(read(dir + "/head") ?? "").count == 2)
        let err = read(dir + "/err") ?? ""
        #expect(!err.contains("error") && !err.contains("Fatal"), "\(err)")
    }
}
