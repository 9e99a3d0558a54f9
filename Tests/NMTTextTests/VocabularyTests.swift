import Testing
@testable import NMTText

@Suite struct VocabularyTests {
    func sample() throws -> Vocabulary {
        var b = VocabularyBuilder(settings: TokenizerSettings(lang: "en"))
        let t = try Tokenizer(lang: "en")
        for line in ["a dog runs.", "a cat runs.", "A dog!", "b b b"] { b.add(tokens: t.tokenize(line)) }
        return try b.build()
    }

    @Test func specialsComeFirstAndOrderIsDeterministic() throws {
        let v = try sample()
        #expect(SpecialIds.pad == 0 && SpecialIds.unk == 1 && SpecialIds.bos == 2
                && SpecialIds.eos == 3 && SpecialIds.mask == 4)
        #expect(Array(v.tokens.prefix(5)) == ["<pad>", "<unk>", "<s>", "</s>", "<mask>"])
        // count desc, ties in byte order ("A" < "a" < "b" ...; "￭." sorts by its UTF-8 bytes)
        #expect(Array(v.tokens.dropFirst(5)) == ["b", "a", "dog", "runs", "￭.", "A", "cat", "￭!"])
        #expect(Array(v.counts.dropFirst(5)) == [3, 2, 2, 2, 2, 1, 1, 1])
    }

    @Test func lookups() throws {
        let v = try sample()
        #expect(v.id(for: "b") == 5)
        #expect(v.id(for: "zebra") == SpecialIds.unk)
        #expect(v.lookup("zebra") == nil)
        #expect(v.token(for: 5) == "b")
        #expect(v.token(for: 999) == "<unk>")
        #expect(v.encode(["a", "zebra"]) == [6, 1])
        #expect(v.decode([2, 6, 1, 3, 0]) == ["a", "<unk>"])
    }

    @Test func minCountAndMaxSize() throws {
        var b = VocabularyBuilder(settings: TokenizerSettings(lang: "en"))
        for (t, c) in [("x", 5), ("y", 3), ("z", 1), ("<unk>", 7)] { b.add(t, count: c) }
        #expect(try b.build(minCount: 2).tokens.dropFirst(5) == ["x", "y"])
        #expect(try b.build(maxSize: 6).tokens.dropFirst(5) == ["x"])
        #expect(try b.build().count == 8)  // "<unk>" from the corpus is not added twice
        #expect(throws: TextError.self) { try b.build(minCount: 0) }
        #expect(throws: TextError.self) { try b.build(maxSize: 3) }
    }

    @Test func writeLoadRoundTripAndHash() throws {
        let v = try sample()
        let path = makeTempDir() + "/v.vocab"
        try v.write(to: path)
        let text = String(decoding: readFile(path)!, as: UTF8.self)
        #expect(text.hasPrefix("#swift-nmt-vocab v1 {\"joiner\":\"￭\",\"lang\":\"en\",\"lowercase\":false,\"normalization\":\"nfkc\"}\n<pad>\t0\n<unk>\t0\n"))
        let loaded = try Vocabulary.load(path: path)
        #expect(loaded == v)
        #expect(loaded.contentHash == v.contentHash)
        #expect(try Vocabulary.contentHash(ofFile: path) == v.contentHash)
        #expect(v.contentHash.hasPrefix("fnv1a64:") && v.contentHash.count == 24)
    }

    @Test func fnvKnownValues() {
        #expect(Vocabulary.fnv1a64Hex([UInt8]()) == "fnv1a64:cbf29ce484222325")
        #expect(Vocabulary.fnv1a64Hex(Array("a".utf8)) == "fnv1a64:af63dc4c8601ec8c")
        #expect(Vocabulary.fnv1a64Hex(Array("foobar".utf8)) == "fnv1a64:85944171f73967e8")
    }

    func vocabFile(_ body: String) -> String {
        let path = makeTempDir() + "/v.vocab"
        writeFile(path, Vocabulary.headerLine(for: TokenizerSettings(lang: "de")) + "\n<pad>\t0\n<unk>\t0\n<s>\t0\n</s>\t0\n<mask>\t0\n" + body)
        return path
    }

    @Test func malformedLineIsNamed() throws {
        let path = vocabFile("haus\t12\nbaum 7\n")
        #expect(throws: TextError.malformedVocabulary(path: path, line: 8,
            reason: "expected token<TAB>count, found 1 tab-separated field(s)")) { try Vocabulary.load(path: path) }
        let p2 = vocabFile("haus\ttwelve\n")
        #expect(throws: TextError.malformedVocabulary(path: p2, line: 7,
            reason: "count \"twelve\" is not a non-negative integer")) { try Vocabulary.load(path: p2) }
        let p3 = vocabFile("haus\t1\n\nbaum\t1\n")
        #expect(throws: TextError.malformedVocabulary(path: p3, line: 8, reason: "empty line")) { try Vocabulary.load(path: p3) }
    }

    @Test func duplicateIsNamed() throws {
        let path = vocabFile("haus\t12\nbaum\t7\nhaus\t3\n")
        #expect(throws: TextError.duplicateToken(path: path, line: 9, token: "haus", firstLine: 7)) {
            try Vocabulary.load(path: path)
        }
        #expect(TextError.duplicateToken(path: path, line: 9, token: "haus", firstLine: 7).description
                == "\(path):9: duplicate token \"haus\" (first on line 7)")
    }

    @Test func headerAndSpecialsAreChecked() throws {
        let dir = makeTempDir()
        writeFile(dir + "/noheader.vocab", "<pad>\t0\n")
        #expect(throws: TextError.self) { try Vocabulary.load(path: dir + "/noheader.vocab") }
        writeFile(dir + "/empty.vocab", "")
        #expect(throws: TextError.emptyInput(path: dir + "/empty.vocab")) { try Vocabulary.load(path: dir + "/empty.vocab") }
        writeFile(dir + "/v2.vocab", "#swift-nmt-vocab v2 {}\n")
        #expect(throws: TextError.self) { try Vocabulary.load(path: dir + "/v2.vocab") }
        writeFile(dir + "/nospecials.vocab", Vocabulary.headerLine(for: TokenizerSettings(lang: "de")) + "\nhaus\t1\n")
        #expect(throws: TextError.malformedVocabulary(path: dir + "/nospecials.vocab", line: 2,
            reason: "expected special token <pad> (id 0), found \"haus\"")) { try Vocabulary.load(path: dir + "/nospecials.vocab") }
        #expect(throws: TextError.fileNotFound(path: dir + "/missing.vocab")) { try Vocabulary.load(path: dir + "/missing.vocab") }
    }

    @Test func shippedVocabulariesLoad() throws {
        for lang in ["de", "en", "fr", "cs"] {
            let path = repoRoot + "/vocab/multi30k.\(lang).vocab"
            let v = try Vocabulary.load(path: path)
            #expect(v.settings == TokenizerSettings(lang: lang))
            #expect(v.count > 5000)
            #expect(try Vocabulary.contentHash(ofFile: path) == v.contentHash)
            #expect(v.counts.dropFirst(5).allSatisfy { $0 >= 2 })
        }
    }
}
