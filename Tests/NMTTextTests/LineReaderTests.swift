import Testing
@testable import NMTText

@Suite struct LineReaderTests {
    @Test func readsPlainAndGzipWithLineNumbers() throws {
        let dir = makeTempDir()
        let path = dir + "/a.txt"
        writeFile(path, "first\r\nsecond\n\nfourth without newline")
        gzipFile(path)  // a.txt.gz next to a.txt
        for p in [path, path + ".gz"] {
            let lines = try LineReader(path: p).readAll()
            #expect(lines == [Line(number: 1, text: "first"), Line(number: 2, text: "second"),
                              Line(number: 3, text: ""), Line(number: 4, text: "fourth without newline")])
        }
    }

    @Test func streamsLinesLongerThanTheBuffer() throws {
        let dir = makeTempDir()
        let path = dir + "/long.txt"
        let long = String(repeating: "abcdefghij", count: 50_000)  // 500 KB line
        writeFile(path, "x\n" + long + "\ny\n")
        let lines = try LineReader(path: path).readAll()
        #expect(lines.map(\.text) == ["x", long, "y"])
        #expect(lines.map(\.number) == [1, 2, 3])
    }

    @Test func readsTheCorpus() throws {
        let reader = try LineReader(path: corpusDir + "/val.de.gz")
        var n = 0
        while try reader.next() != nil { n += 1 }
        #expect(n == 1014)
        #expect(reader.lineCount == 1014)
    }

    @Test func missingFileIsNamed() throws {
        let path = makeTempDir() + "/does-not-exist.txt"
        #expect(throws: TextError.fileNotFound(path: path)) { try LineReader(path: path) }
        let description = TextError.fileNotFound(path: path).description
        #expect(description.contains(path))
    }

    @Test func directoryIsRefused() throws {
        let dir = makeTempDir()
        #expect(throws: TextError.cannotRead(path: dir, reason: "is a directory")) { try LineReader(path: dir) }
    }

    @Test func emptyFileHasNoLines() throws {
        let path = makeTempDir() + "/empty.txt"
        writeFile(path, "")
        #expect(try LineReader(path: path).next() == nil)
        var builder = VocabularyBuilder(settings: TokenizerSettings(lang: "en"))
        try builder.addFile(path, tokenizer: try Tokenizer(lang: "en"))
        #expect(builder.totalTokens == 0)
        #expect(try builder.build().count == 5)  // just the specials
    }

    @Test func invalidUTF8NamesFileLineAndOffset() throws {
        let path = makeTempDir() + "/bad.txt"
        // line 1: "ok\n" (3 bytes); line 2: "bad " then 0xFF at file offset 7, column 5.
        writeFile(path, Array("ok\nbad ".utf8) + [0xFF] + Array(" here\nok again\n".utf8))
        let reader = try LineReader(path: path)
        #expect(try reader.next()?.text == "ok")
        #expect(throws: TextError.invalidUTF8(path: path, line: 2, byteOffset: 7, column: 5)) { try reader.next() }
        let message = TextError.invalidUTF8(path: path, line: 2, byteOffset: 7, column: 5).description
        #expect(message == "\(path):2: invalid UTF-8 at byte offset 7 (byte 5 of the line)")
    }

    @Test func invalidUTF8InGzipIsFoundToo() throws {
        let path = makeTempDir() + "/bad.txt"
        writeFile(path, Array("ok\nok\n\u{E9}t\u{E9} ".utf8) + [0xC3, 0x28] + Array("\n".utf8))
        gzipFile(path)
        let reader = try LineReader(path: path + ".gz")
        #expect(throws: TextError.invalidUTF8(path: path + ".gz", line: 3, byteOffset: 12, column: 7)) {
            while try reader.next() != nil {}
        }
    }

    @Test func skipInvalidSkipsAndCounts() throws {
        let path = makeTempDir() + "/bad.txt"
        writeFile(path, Array("one\n".utf8) + [0xE2, 0x82] + Array("\nthree\n".utf8) + [0xED, 0xA0, 0x80, 0x0A] + Array("five".utf8))
        let reader = try LineReader(path: path, skipInvalidUTF8: true)
        let lines = try reader.readAll()
        #expect(lines == [Line(number: 1, text: "one"), Line(number: 3, text: "three"), Line(number: 5, text: "five")])
        #expect(reader.skippedLineCount == 2)
        #expect(reader.skippedLineNumbers == [2, 4])
    }

    @Test func truncatedGzipIsAnError() throws {
        let dir = makeTempDir()
        let path = dir + "/t.txt"
        writeFile(path, String(repeating: "some text that compresses\n", count: 2000))
        gzipFile(path)
        let full = readFile(path + ".gz")!
        writeFile(dir + "/cut.gz", Array(full.prefix(full.count / 2)))
        #expect(throws: TextError.self) { _ = try LineReader(path: dir + "/cut.gz").readAll() }
    }

    @Test func utf8Validator() {
        func bad(_ b: [UInt8]) -> Int? { b.withUnsafeBufferPointer { firstInvalidUTF8($0) } }
        #expect(bad(Array("plain ascii text, long enough for the fast path".utf8)) == nil)
        #expect(bad(Array("ÄÖÜ €𝄞 中文".utf8)) == nil)
        #expect(bad([0x61, 0xC0, 0x80]) == 1)            // overlong
        #expect(bad([0xE0, 0x80, 0x80]) == 0)            // overlong 3-byte
        #expect(bad([0xED, 0xA0, 0x80]) == 0)            // surrogate
        #expect(bad([0xF4, 0x90, 0x80, 0x80]) == 0)      // > U+10FFFF
        #expect(bad([0xF5, 0x80, 0x80, 0x80]) == 0)
        #expect(bad(Array("abcdefgh".utf8) + [0xE2, 0x82]) == 8)  // truncated at end
        #expect(bad([0x80]) == 0)                        // stray continuation
    }
}

@Suite struct ParallelLineReaderTests {
    @Test func readsPairsAndSkipsInvalidTogether() throws {
        let dir = makeTempDir()
        writeFile(dir + "/src", Array("a\n".utf8) + [0xFF] + Array("\nc\nd\n".utf8))
        writeFile(dir + "/tgt", Array("A\nB\n".utf8) + [0xC3] + Array("\nD\n".utf8))
        let strict = try ParallelLineReader(sourcePath: dir + "/src", targetPath: dir + "/tgt")
        #expect(try strict.next()?.target.text == "A")
        #expect(throws: TextError.invalidUTF8(path: dir + "/src", line: 2, byteOffset: 2, column: 1)) { try strict.next() }
        let r = try ParallelLineReader(sourcePath: dir + "/src", targetPath: dir + "/tgt", skipInvalidUTF8: true)
        var pairs: [String] = []
        while let (s, t) = try r.next() {
            #expect(s.number == t.number)
            pairs.append(s.text + t.text)
        }
        #expect(pairs == ["aA", "dD"])
        #expect(r.skippedPairCount == 2)
    }

    @Test func lineCountMismatch() throws {
        let dir = makeTempDir()
        writeFile(dir + "/src", "a\nb\nc\n")
        writeFile(dir + "/tgt", "A\n")
        let r = try ParallelLineReader(sourcePath: dir + "/src", targetPath: dir + "/tgt")
        _ = try r.next()
        #expect(throws: TextError.lineCountMismatch(source: dir + "/src", sourceLines: 3, target: dir + "/tgt", targetLines: 1)) {
            try r.next()
        }
    }
}
