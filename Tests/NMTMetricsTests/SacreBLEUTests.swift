import Foundation
import Testing
import NMTMetrics

struct ExpectedBLEU {
    var score: Double
    var counts: [Int]
    var totals: [Int]
    var precisions: [Double]
    var bp: Double
    var ratio: Double
    var sysLen: Int
    var refLen: Int
    var signature: String
}

struct FixtureCase {
    var name: String
    var hypotheses: [String]
    var references: [[String]]
    var bleu: ExpectedBLEU
    var chrf: Double
    var chrfSignature: String
    var sentenceBLEU: [ExpectedBLEU]
    var sentenceCHRF: [Double]
}

func expectBLEU(_ got: BLEUScore, _ want: ExpectedBLEU, _ what: String) {
    #expect(abs(got.score - want.score) <= 0.01, "\(what): score \(got.score) vs \(want.score)")
    #expect(got.counts == want.counts, "\(what): counts")
    #expect(got.totals == want.totals, "\(what): totals")
    #expect(got.sysLen == want.sysLen, "\(what): sys_len")
    #expect(got.refLen == want.refLen, "\(what): ref_len")
    #expect(abs(got.bp - want.bp) <= 1e-9, "\(what): bp \(got.bp) vs \(want.bp)")
    #expect(abs(got.ratio - want.ratio) <= 1e-9, "\(what): ratio")
    #expect(got.precisions.count == want.precisions.count)
    for (a, b) in zip(got.precisions, want.precisions) {
        #expect(abs(a - b) <= 1e-9, "\(what): precision \(a) vs \(b)")
    }
    #expect(got.signature == want.signature, "\(what): signature \(got.signature)")
}

@Suite struct SacreBLEUFixtureTests {
    @Test func referenceVersionMatchesFixtures() {
        #expect(sacreBLEUReferenceVersion == fixtureSacreBLEUVersion)
    }

    @Test(arguments: fixtureCases.map(\.name))
    func corpusBLEUMatches(name: String) {
        let c = fixtureCases.first { $0.name == name }!
        let got = NMTMetrics.corpusBLEU(hypotheses: c.hypotheses, references: c.references)
        expectBLEU(got, c.bleu, name)
        // The tests compare to ±0.01; the implementation in fact reproduces the Python floats.
        #expect(abs(got.score - c.bleu.score) <= 1e-9, "\(name): \(got.score) vs \(c.bleu.score)")
    }

    @Test(arguments: fixtureCases.map(\.name))
    func corpusCHRFMatches(name: String) {
        let c = fixtureCases.first { $0.name == name }!
        let got = NMTMetrics.corpusCHRF(hypotheses: c.hypotheses, references: c.references)
        #expect(abs(got.score - c.chrf) <= 0.01, "\(name): \(got.score) vs \(c.chrf)")
        #expect(abs(got.score - c.chrf) <= 1e-9, "\(name): \(got.score) vs \(c.chrf)")
        #expect(got.signature == c.chrfSignature)
        #expect(got.name == "chrF2")
    }

    @Test(arguments: fixtureCases.map(\.name))
    func sentenceScores(name: String) {
        let c = fixtureCases.first { $0.name == name }!
        for i in c.hypotheses.indices {
            let refs = c.references.map { $0[i] }
            expectBLEU(sentenceBLEU(hypothesis: c.hypotheses[i], references: refs), c.sentenceBLEU[i], "\(name)[\(i)]")
            let ch = sentenceCHRF(hypothesis: c.hypotheses[i], references: refs)
            #expect(abs(ch.score - c.sentenceCHRF[i]) <= 0.01, "\(name)[\(i)] chrF \(ch.score) vs \(c.sentenceCHRF[i])")
        }
    }

    @Test func tokenizer13a() {
        for (input, want) in fixtureTokenization {
            // sacreBLEU right-strips before tokenizing; the fixture was produced the same way.
            #expect(BLEU().preprocess(input) == want, "\(input.debugDescription)")
        }
    }

    @Test func canonicallyEquivalentTokensStayDistinct() {
        // Swift's String == treats "é" and "e\u{301}" as equal; Python (and sacreBLEU) do not.
        let s = corpusBLEU(hypotheses: ["caf\u{E9} au lait"], references: [["cafe\u{301} au lait"]])
        #expect(s.counts[0] == 2)
        #expect(s.totals[0] == 3)
    }

    @Test func formattedLikeSacreBLEU() {
        let s = corpusBLEU(hypotheses: ["the cat"], references: [["the cat"]])
        #expect(s.formatted() == "BLEU|nrefs:1|case:mixed|eff:no|tok:13a|smooth:exp|version:\(sacreBLEUReferenceVersion) = 0.00 100.0/100.0/0.0/0.0 (BP = 1.000 ratio = 1.000 hyp_len = 2 ref_len = 2)")
        let c = corpusCHRF(hypotheses: ["the cat"], references: [["the cat"]])
        #expect(c.formatted() == "chrF2|nrefs:1|case:mixed|eff:yes|nc:6|nw:0|space:no|version:\(sacreBLEUReferenceVersion) = 100.00")
    }
}

@Suite struct Multi30kFixtureTests {
    static func lines(_ name: String) throws -> [String] {
        let url = try #require(Bundle.module.url(forResource: "Fixtures/\(name)", withExtension: nil))
        let text = try String(contentsOf: url, encoding: .utf8)
        var l = text.components(separatedBy: "\n")
        if l.last == "" { l.removeLast() }
        return l
    }

    @Test func bleuAndChrfOnPerturbedMulti30k() throws {
        let refs = try Self.lines("multi30k_val200.ref.en")
        let hyps = try Self.lines("multi30k_val200.hyp.en")
        #expect(refs.count == 200)
        #expect(hyps.count == 200)
        let b = corpusBLEU(hypotheses: hyps, references: [refs])
        expectBLEU(b, multi30kBLEU, "multi30k")
        let c = corpusCHRF(hypotheses: hyps, references: [refs])
        #expect(abs(c.score - multi30kCHRF) <= 0.01, "chrF \(c.score) vs \(multi30kCHRF)")
    }

    /// Corpus scores sum statistics over sentences: five copies of a corpus score as one copy.
    /// (This was a timed test; speed belongs to benchmarks, not to tests.)
    @Test func repeatingTheCorpusLeavesTheScoresUnchanged() throws {
        let refs = try Self.lines("multi30k_val200.ref.en")
        let hyps = try Self.lines("multi30k_val200.hyp.en")
        let R = Array(repeating: refs, count: 5).flatMap { $0 }
        let H = Array(repeating: hyps, count: 5).flatMap { $0 }
        let once = corpusBLEU(hypotheses: hyps, references: [refs]).score
        let five = corpusBLEU(hypotheses: H, references: [R]).score
        #expect(once > 0 && abs(once - five) < 1e-9, "\(once) vs \(five)")
        let c1 = corpusCHRF(hypotheses: hyps, references: [refs]).score
        let c5 = corpusCHRF(hypotheses: H, references: [R]).score
        #expect(c1 > 0 && abs(c1 - c5) < 1e-9, "\(c1) vs \(c5)")
    }

    /// Found by fuzzing (fuzz/bleu, whose property said "≤ 100"): a perfect match scores
    /// exp(4·log(100)/4) = 100.00000000000004 in Double, exactly as sacreBLEU (Python) prints it;
    /// the property was wrong, not the score. The input (hypotheses: the first half of the lines,
    /// references: the second) is the fuzzer's.
    @Test func aPerfectMatchScoresAsSacreBLEUDoesToTheLastBit() throws {
        let text = try String(contentsOf: URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("Fixtures/fuzz-bleu-identical-halves.txt"), encoding: .utf8)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let half = lines.count / 2
        let score = corpusBLEU(hypotheses: Array(lines.prefix(half)), references: [Array(lines.dropFirst(half).prefix(half))]).score
        #expect(score == 100.00000000000004, "\(score)")   // python3: math.exp(math.log(100))
    }
}
