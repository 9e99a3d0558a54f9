import Foundation
import NMTDecode
import NMTInference
import NMTModel
import NMTText
import Testing

/// A right-to-left model (reverseTarget) with a left-to-right model's weights: it finds the
/// same sequences written backwards, and scores a target as the other scores it reversed; it
/// does not join an ensemble with left-to-right models.
@Suite struct ReverseTargetTests {
    /// `t`'s weights in a model whose config reads the target right to left.
    static func reversedTwin(_ t: TinyTranslationModel) -> Seq2Seq {
        var c = t.model.config
        c.reverseTarget = true
        let r = Seq2Seq(c, seed: nil)
        r.arena.values.update(from: t.model.arena.values, count: t.model.arena.count)
        return r
    }

    @Test func outputsAndScoresAreReversedBack() throws {
        let t = try TinyTranslationModel(seed: 11)
        let options = TranslateOptions(beamSize: 4, nBest: 2, alignments: true)
        let l2r = try t.translator(options)
        let r2l = try Translator(model: Self.reversedTwin(t), sourceVocab: t.src, targetVocab: t.tgt, options: options)
        let a = l2r.translate(tinySources), b = r2l.translate(tinySources)
        var nonTrivial = false
        for (x, y) in zip(a, b) {
            #expect(x.nBest.count == y.nBest.count)
            for (hx, hy) in zip(x.nBest, y.nBest) {
                #expect(Array(hx.ids.reversed()) == hy.ids, "\(hx.ids) vs \(hy.ids)")
                #expect(hx.logProb == hy.logProb)
                if hx.ids.count > 1 && Set(hx.ids).count > 1 { nonTrivial = true }
            }
        }
        #expect(nonTrivial, "some output should have two different tokens")
        // Scores: the right-to-left model scores y as the left-to-right one scores y reversed.
        let ids = tinySources.map { l2r.prepareSource($0).ids }
        let targets = a.map(\.ids)
        let sr = r2l.score(sourceIds: ids, targetIds: targets)
        let sl = l2r.score(sourceIds: ids, targetIds: targets.map { Array($0.reversed()) })
        for (x, y) in zip(sr, sl) { #expect(x == y) }
    }

    @Test func directionsDoNotMixInAnEnsemble() throws {
        let t = try TinyTranslationModel(seed: 11)
        #expect(throws: EnsembleError.directionMismatch) {
            try Translator(model: t.model, sourceVocab: t.src, targetVocab: t.tgt, ensemble: [Self.reversedTwin(t)])
        }
    }
}

/// --rescore: the n-best list reranked by beam score + w · the rescorer's length-normalised
/// log-probability.
@Suite struct RerankTests {
    @Test func scoresAreTheBeamsPlusTheWeightedRescorer() throws {
        let a = try TinyTranslationModel(seed: 11), b = try TinyTranslationModel(seed: 12)
        // b's output layer negated: it prefers what a ranks low, so reranking must reorder.
        let w = b.model.arena.value(b.model.generator.weight)
        for r in 0..<w.rows { for c in 0..<w.cols { w.row(r)[c] *= -1 } }
        let options = TranslateOptions(beamSize: 4, lengthPenalty: 0.6, nBest: 4)
        let plain = try a.translator(options).translate(tinySources)
        let tb = try Translator(model: b.model, sourceVocab: a.src, targetVocab: a.tgt, options: options)
        let reranked = try a.translator(options)
        try reranked.addRescorer(Rescorer(translator: tb, weight: 0.7, name: "b"))
        let out = reranked.translate(tinySources)
        var reordered = false
        for (k, (p, r)) in zip(plain, out).enumerated() {
            #expect(Set(p.nBest.map(\.ids)) == Set(r.nBest.map(\.ids)), "line \(k): the same candidates")
            let src = [[Int32]](repeating: try a.translator(options).prepareSource(tinySources[k]).ids, count: p.nBest.count)
            let sb = tb.score(sourceIds: src, targetIds: p.nBest.map(\.ids))
            for (h, s) in zip(p.nBest, sb) {
                let expected = h.score + 0.7 * Float(s.logProb) / gnmtLengthPenalty(length: h.ids.count + 1, alpha: 0.6)
                let got = r.nBest.first { $0.ids == h.ids }!.score
                #expect(abs(got - expected) <= 1e-4 * max(1, abs(expected)), "line \(k): \(got) vs \(expected)")
            }
            #expect(zip(r.nBest, r.nBest.dropFirst()).allSatisfy { $0.score >= $1.score })
            if p.nBest.first?.ids != r.nBest.first?.ids { reordered = true }
        }
        #expect(reordered, "a model that prefers other outputs should change some 1-best")
        // Weight 0 changes nothing; cut to --n-best 1 it is the plain 1-best.
        var one = options
        one.nBest = 1
        let zero = try a.translator(one)
        try zero.addRescorer(Rescorer(translator: tb, weight: 0, name: "b"))
        #expect(zero.translate(tinySources) == (try a.translator(one)).translate(tinySources))
    }

    @Test func otherVocabulariesAndBadSpecsAreRefused() throws {
        let a = try TinyTranslationModel(seed: 11)
        var tb = VocabularyBuilder(settings: TokenizerSettings(lang: "en"))
        tb.add(tokens: try Tokenizer(settings: tb.settings).tokenize("entirely other words here"))
        let other = try tb.build()
        let b = Seq2Seq(Seq2SeqConfig(sourceVocab: a.src.count, targetVocab: other.count, embedding: 8, encoderHidden: 6,
                                      decoderHidden: 10, attention: 7, preOutput: 9, dropout: 0), seed: 3)
        let t = try a.translator(TranslateOptions())
        #expect(throws: RescoreError.vocabularyMismatch(rescorer: "b", role: "target")) {
            try t.addRescorer(Rescorer(translator: try Translator(model: b, sourceVocab: a.src, targetVocab: other), weight: 1, name: "b"))
        }
        #expect(try RescoreError.parse("runs/r2l:0.5") == ("runs/r2l", 0.5))
        #expect(try RescoreError.parse("runs/r2l") == ("runs/r2l", 1))
        #expect(try RescoreError.parse("a:b") == ("a:b", 1))
        #expect(throws: RescoreError.badSpec(":0.5")) { try RescoreError.parse(":0.5") }
        #expect(throws: RescoreError.badSpec("")) { try RescoreError.parse("") }
    }
}
