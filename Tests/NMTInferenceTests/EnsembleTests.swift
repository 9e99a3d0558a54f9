import Foundation
import NMTInference
import NMTModel
import NMTStore
import NMTText
import Testing

/// Ensemble decoding: a model with itself is the model; two different models score the mean of
/// their scores; models with other vocabularies are refused naming both.
@Suite struct EnsembleTests {
    @Test func aModelWithItselfIsTheModel() throws {
        let t = try TinyTranslationModel(seed: 11)
        let options = TranslateOptions(beamSize: 4, nBest: 3, alignments: true)
        let alone = try t.translator(options)
        let twice = try Translator(model: t.model, sourceVocab: t.src, targetVocab: t.tgt, options: options, ensemble: [t.model])
        #expect(twice.models.count == 2)
        #expect(twice.translate(tinySources) == alone.translate(tinySources))
        let targets = alone.translate(tinySources).map(\.text)
        #expect(try twice.score(sources: tinySources, targets: targets) == alone.score(sources: tinySources, targets: targets))
    }

    @Test func scoresAreTheMeanOfTheMembersScores() throws {
        let a = try TinyTranslationModel(seed: 11), b = try TinyTranslationModel(seed: 12)
        let options = TranslateOptions(beamSize: 3)
        let ta = try a.translator(options), tb = try Translator(model: b.model, sourceVocab: a.src, targetVocab: a.tgt, options: options)
        let ens = try Translator(model: a.model, sourceVocab: a.src, targetVocab: a.tgt, options: options, ensemble: [b.model])
        let targets = ta.translate(tinySources).map(\.text)
        let sa = try ta.score(sources: tinySources, targets: targets)
        let sb = try tb.score(sources: tinySources, targets: targets)
        let se = try ens.score(sources: tinySources, targets: targets)
        var differs = false
        for i in tinySources.indices {
            let mean = (sa[i].logProb + sb[i].logProb) / 2
            #expect(abs(se[i].logProb - mean) <= 1e-4 * max(1, abs(mean)), "pair \(i): \(se[i].logProb) vs mean \(mean)")
            #expect(se[i].tokens == sa[i].tokens)
            if abs(sa[i].logProb - sb[i].logProb) > 0.1 { differs = true }
        }
        #expect(differs, "the two models should score differently")
        // The ensemble's search scores what it finds with the mean too.
        let found = ens.translate(tinySources)
        let rescored = ens.score(sourceIds: tinySources.map { ens.prepareSource($0).ids }, targetIds: found.map(\.ids))
        for (t, s) in zip(found, rescored) where !t.ids.isEmpty {
            #expect(abs(Double(t.logProb) - s.logProb) <= 1e-3 * max(1, abs(s.logProb)), "\(t.text)")
        }
    }

    @Test func otherVocabulariesAreRefusedNamingBoth() throws {
        let root = NSTemporaryDirectory() + "nmt-ensemble-\(UInt64.random(in: 0 ..< .max))"
        let a = try TinyTranslationModel(seed: 11)
        try ModelDirectory.save(a.model, sourceVocab: a.src, targetVocab: a.tgt, to: root + "/a")
        var tb = VocabularyBuilder(settings: TokenizerSettings(lang: "en"))
        tb.add(tokens: try Tokenizer(settings: tb.settings).tokenize("entirely other words here"))
        let otherTarget = try tb.build()
        let b = Seq2Seq(Seq2SeqConfig(sourceVocab: a.src.count, targetVocab: otherTarget.count, embedding: 8, encoderHidden: 6,
                                      encoderLayers: 1, decoderHidden: 10, attention: 7, preOutput: 9, dropout: 0), seed: 3)
        try ModelDirectory.save(b, sourceVocab: a.src, targetVocab: otherTarget, to: root + "/b")
        let loaded = try [root + "/a", root + "/b"].map { try ModelDirectory.load($0, as: Seq2Seq.self) }
        let error = #expect(throws: EnsembleError.self) { try Translator(ensemble: loaded, options: TranslateOptions()) }
        let text = "\(error!)"
        #expect(text.contains(root + "/a") && text.contains(root + "/b") && text.contains("target"), "\(text)")
    }
}
