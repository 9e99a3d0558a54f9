import Foundation
import NMTTestSupport
@testable import NMTText
import Testing

/// Byte-pair encoding: learning, applying (against subword-nmt), the merges file, subword
/// vocabularies with byte fallback (never <unk>) and exact round trips.
@Suite struct SubwordTests {
    static let fixtures = repoRoot + "/Tests/NMTTextTests/Fixtures"

    /// Sennrich et al.'s example: low ×5, lower ×2, newest ×6, widest ×3.
    @Test func learnsTheMergesOfThePaperExample() {
        var learner = BPELearner()
        for (w, c) in [("low", 5), ("lower", 2), ("newest", 6), ("widest", 3)] { learner.add(word: w, count: c) }
        let model = learner.learn(merges: 10)
        // (e, s) and (s, t</w>) both occur 9 times; ties go to the pair first in byte order: after
        // "l o" (7), (e, w), (n, e) and (w, est</w>) tie at 6 and "e w" comes first.
        #expect(model.merges.prefix(4).map { "\($0.left) \($0.right)" } == ["e s", "es t</w>", "l o", "e w"])
        #expect(model.segment("newest") == ["newest"])
        #expect(model.segment("widest") == ["widest"])
        #expect(model.segment("x") == ["x"])
        // Learning stops when no pair occurs twice: 11 merges would need one.
        #expect(learner.learn(merges: 100).merges.count < 100)
        #expect(learner.learn(merges: 10).merges.map(\.left) == model.merges.map(\.left))   // deterministic
    }

    @Test func piecesCarryTheJoinerMark() {
        let model = BPEModel(merges: [("F", "a"), ("Fa", "h"), ("Fah", "r"), ("r", "a"), ("ra", "d</w>")])
        #expect(model.apply(token: "Fahrrad", joiner: "￭") == ["Fahr", "￭rad"])
        #expect(model.apply(token: "￭Fahrrad", joiner: "￭") == ["￭Fahr", "￭rad"])
        #expect(model.apply(token: "￭.", joiner: "￭") == ["￭."])
        #expect(Detokenizer().detokenize(["Ein"] + model.apply(token: "Fahrrad", joiner: "￭") + ["￭."]) == "Ein Fahrrad.")
    }

    /// subword-nmt 0.3.8 (scripts/reference/bpe_reference.py) applied our merges file to every
    /// distinct word of test_2016_flickr.de; BPEModel must segment each word the same way.
    @Test func segmentsLikeSubwordNMT() throws {
        let model = try BPEModel.load(path: Self.fixtures + "/multi30k.de-en.2000.bpe")
        #expect(model.merges.count == 2000)
        let lines = try String(contentsOfFile: Self.fixtures + "/test_2016.de.bpe-pieces.tsv", encoding: .utf8)
            .split(separator: "\n")
        #expect(lines.count > 2000)
        var mismatches: [String] = []
        for line in lines {
            let f = line.split(separator: "\t")
            let want = f[1].split(separator: " ").map(String.init)
            let got = model.segment(String(f[0]))
            if got != want { mismatches.append("\(f[0]): \(got) vs \(want)") }
        }
        #expect(mismatches.isEmpty, "\(mismatches.count) words differ, e.g. \(mismatches.prefix(3))")
    }

    @Test func mergesFileRoundTripsAndDamageIsNamed() throws {
        let dir = makeTempDir()
        let model = BPEModel(merges: [("a", "b"), ("ab", "c</w>"), ("é", "ß")])
        try model.write(to: dir + "/m.bpe")
        let back = try BPEModel.load(path: dir + "/m.bpe")
        #expect(back.merges.map { $0.left + " " + $0.right } == model.merges.map { $0.left + " " + $0.right })
        #expect(back.contentHash == model.contentHash)
        var bytes = readFile(dir + "/m.bpe")!
        writeFile(dir + "/cut.bpe", Array(bytes.dropLast(3)))
        #expect(throws: TextError.malformedSubwords(path: dir + "/cut.bpe", line: 4, reason: "the last line has no line end (a truncated file?)")) {
            try BPEModel.load(path: dir + "/cut.bpe")
        }
        writeFile(dir + "/noheader.bpe", "a b\n")
        #expect(throws: TextError.self) { try BPEModel.load(path: dir + "/noheader.bpe") }
        bytes = Array("#version: 0.2\na b\nabc\n".utf8)
        writeFile(dir + "/bad.bpe", bytes)
        #expect(throws: TextError.malformedSubwords(path: dir + "/bad.bpe", line: 3, reason: "a merge is two symbols separated by one space")) {
            try BPEModel.load(path: dir + "/bad.bpe")
        }
    }

    /// A subword vocabulary learned on a few German lines.
    static func smallSubwordVocabulary(_ dir: String) throws -> Vocabulary {
        let corpus = dir + "/train.de"
        writeFile(corpus, "Ein Mann fährt Fahrrad.\nZwei Hunde spielen im Schnee.\nEine Frau liest ein Buch im Park.\n"
                  + "Kinder spielen Fußball auf der Wiese.\nEin Hund läuft über die Wiese.\n")
        let settings = TokenizerSettings(lang: "de")
        var learner = BPELearner()
        try learner.addFiles([(corpus, settings)])
        let model = learner.learn(merges: 40)
        var words = VocabularyBuilder(settings: settings)
        try words.addFile(corpus, tokenizer: try Tokenizer(settings: settings))
        return try words.buildSubwords(model: model)
    }

    @Test func subwordVocabularyFilesRoundTripAndRefuseAForeignModel() throws {
        let dir = makeTempDir()
        let v = try Self.smallSubwordVocabulary(dir)
        #expect(v.count == SpecialIds.count + v.tokens.dropFirst(SpecialIds.count).count && v.contains("<0xE2>") && v.contains("￭<0xE2>"))
        try v.write(to: dir + "/de.vocab")
        #expect(FileManager.default.fileExists(atPath: dir + "/de.bpe"))
        let back = try Vocabulary.load(path: dir + "/de.vocab")
        #expect(back == v && back.contentHash == v.contentHash && back.subwords?.contentHash == v.subwords?.contentHash)
        #expect(String(decoding: readFile(dir + "/de.vocab")!.prefix(20), as: UTF8.self).hasPrefix("#swift-nmt-vocab v2"))
        // Another model beside it, then none.
        try BPEModel(merges: [("x", "y")]).write(to: dir + "/de.bpe", force: true)
        #expect(throws: TextError.self) { try Vocabulary.load(path: dir + "/de.vocab") }
        try FileManager.default.removeItem(atPath: dir + "/de.bpe")
        do {
            _ = try Vocabulary.load(path: dir + "/de.vocab")
            Issue.record("a subword vocabulary without its model loaded")
        } catch let e as TextError {
            #expect(e.description.hasPrefix(dir + "/de.bpe: missing"))
        }
        // A word vocabulary is still version 1, byte for byte.
        let words = try Vocabulary(settings: TokenizerSettings(lang: "de"), entries: [("haus", 2)])
        #expect(String(decoding: words.serialized().prefix(20), as: UTF8.self).hasPrefix("#swift-nmt-vocab v1"))
    }

    /// Any text, in any script: encode → ids → decode → detokenize gives the normalised text back,
    /// and no id is <unk>.
    @Test func randomUnicodeRoundTripsWithoutUnk() throws {
        let dir = makeTempDir()
        let v = try Self.smallSubwordVocabulary(dir)
        let tokenizer = try v.makeTokenizer()
        let detok = Detokenizer(joiner: v.settings.joiner)
        var rng = SplitMix64(seed: 20261202)
        let ranges: [ClosedRange<UInt32>] = [0x20...0x7E, 0xA0...0x24F, 0x300...0x36F, 0x370...0x3FF, 0x400...0x4FF, 0x590...0x6FF,
                                             0x900...0x97F, 0xE00...0xE7F, 0x3040...0x30FF, 0x4E00...0x9FFF, 0xAC00...0xD7A3,
                                             0x1F300...0x1FAFF, 0x1F1E6...0x1F1FF, 0x200B...0x200F, 0x1...0x1F, 0xFE00...0xFE0F]
        for _ in 0..<1000 {
            var s = String.UnicodeScalarView()
            for _ in 0..<Int.random(in: 1...30, using: &rng) {
                let r = ranges.randomElement(using: &rng)!
                if let u = Unicode.Scalar(UInt32.random(in: r, using: &rng)) { s.append(u) }
                if Int.random(in: 0..<5, using: &rng) == 0 { s.append(" ") }
            }
            let text = String(s)
            let ids = v.encode(tokenizer.tokenize(text))
            #expect(!ids.contains(SpecialIds.unk), "<unk> for \(text.unicodeScalars.map { String($0.value, radix: 16) })")
            let back = detok.detokenize(v.decode(ids))
            #expect(back == tokenizer.normalize(text), "\(text.unicodeScalars.map { String($0.value, radix: 16) })")
        }
    }

    /// German prose from Debian's message catalogues (Fixtures/README.md): no <unk>, exact round trip.
    @Test func outOfDomainTextNeverBecomesUnk() throws {
        let v = try Vocabulary.load(path: try Self.multi30kSubwordVocabulary())
        let tokenizer = try v.makeTokenizer()
        let detok = Detokenizer(joiner: v.settings.joiner)
        let lines = try String(contentsOfFile: Self.fixtures + "/ood.de.txt", encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 400)
        for line in lines {
            let ids = v.encode(tokenizer.tokenize(String(line)))
            #expect(!ids.contains(SpecialIds.unk), "\(line)")
            #expect(detok.detokenize(v.decode(ids)) == tokenizer.normalize(String(line)))
        }
    }

    /// A subword vocabulary of the German Multi30k training text with the fixture's 2,000 merges.
    static func multi30kSubwordVocabulary() throws -> String {
        let dir = makeTempDir()
        let model = try BPEModel.load(path: fixtures + "/multi30k.de-en.2000.bpe")
        var words = VocabularyBuilder(settings: TokenizerSettings(lang: "de"))
        try words.addFile(corpusDir + "/val.de.gz", tokenizer: try Tokenizer(settings: words.settings))
        let v = try words.buildSubwords(model: model)
        try v.write(to: dir + "/de.vocab")
        return dir + "/de.vocab"
    }
}

/// A seeded generator, so the property test sees the same strings on every run.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
