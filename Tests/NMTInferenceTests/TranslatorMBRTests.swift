import NMTInference
import Testing

/// Translator with TranslateOptions.mbr: the whole beam (reranked first when rescorers are set)
/// reordered by MinimumBayesRisk, then cut to nBest.
@Suite struct TranslatorMBRTests {
    func lists(_ t: Translator) -> [[TranslationHypothesis]] { t.translate(tinySources).map(\.nBest) }

    @Test(arguments: [false, true])
    func theBeamReorderedByExpectedBLEU(reranked: Bool) throws {
        let tiny = try TinyTranslationModel()
        let plain = try tiny.translator(TranslateOptions(beamSize: 4, nBest: 4))
        let mbr = try tiny.translator(TranslateOptions(beamSize: 4, nBest: 4, mbr: 1.5))
        let top = try tiny.translator(TranslateOptions(beamSize: 4, nBest: 1, mbr: 1.5))
        if reranked {
            let other = try TinyTranslationModel(seed: 5)
            for t in [plain, mbr, top] {
                try t.addRescorer(Rescorer(translator: try other.translator(TranslateOptions()), weight: 0.7, name: "other"))
            }
        }
        var moved = 0
        for ((p, m), t) in zip(zip(lists(plain), lists(mbr)), lists(top)) {
            let order = MinimumBayesRisk.order(texts: p.map(\.text), scores: p.map(\.score), scale: 1.5)
            #expect(m == order.map { p[$0] })
            #expect(t == [m[0]])
            if m[0] != p[0] { moved += 1 }
        }
        #expect(moved > 0, "MBR should change some first choices of a random model")
        // A very large scale puts all the weight on the best score: the plain choice.
        let sharp = try tiny.translator(TranslateOptions(beamSize: 4, mbr: 1e4))
        #expect(sharp.translate(tinySources).map(\.text) == lists(try tiny.translator(TranslateOptions(beamSize: 4))).map { $0[0].text })
    }

    @Test func greedyIsUnchanged() throws {
        let tiny = try TinyTranslationModel()
        let a = try tiny.translator(TranslateOptions(greedy: true)).translate(tinySources)
        let b = try tiny.translator(TranslateOptions(greedy: true, mbr: 1)).translate(tinySources)
        #expect(a == b)
    }
}
