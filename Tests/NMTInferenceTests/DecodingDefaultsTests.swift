import Foundation
import NMTInference
import NMTMetrics
import NMTTestSupport
import NMTText
import Testing

/// decoding.json and the length-penalty grid search that writes it.
@Suite struct DecodingDefaultsTests {
    /// Each trial's BLEU is the BLEU of an independent decode at that penalty; the choice is
    /// the highest (the smaller penalty on a tie); the translator's own penalty is left as it was.
    @Test func tuneScoresEveryGridValue() throws {
        let tiny = try TinyTranslationModel()
        var options = TranslateOptions(beamSize: 3)
        options.lengthPenalty = 0.25
        let translator = try tiny.translator(options)
        let grid: [Float] = [0, 1, 3]
        // References: the output at α = 1, so BLEU there is 100 (and maybe elsewhere too).
        translator.options.lengthPenalty = 1
        let refs = translator.translate(tinySources).map(\.text)
        translator.options.lengthPenalty = 0.25
        var seen: [Float] = []
        let (best, trials) = try LengthPenaltyTuning.tune(translator, sources: tinySources, references: refs, grid: grid) {
            seen.append($0.lengthPenalty)
        }
        #expect(seen == grid && trials.map(\.lengthPenalty) == grid)
        #expect(translator.options.lengthPenalty == 0.25)
        for t in trials {
            let other = try tiny.translator(TranslateOptions(beamSize: 3, lengthPenalty: t.lengthPenalty))
            let bleu = corpusBLEU(hypotheses: other.translate(tinySources).map(\.text), references: [refs]).score
            #expect(abs(bleu - t.bleu) < 1e-9, "α \(t.lengthPenalty): \(t.bleu) vs \(bleu)")
        }
        let top = trials.map(\.bleu).max()!
        #expect(best == trials.first { $0.bleu == top }!.lengthPenalty)
        #expect(trials[1].bleu > 99.99)
        #expect(throws: DecodingDefaultsError.self) {
            _ = try LengthPenaltyTuning.tune(translator, sources: tinySources, references: refs, grid: [])
        }
    }

    @Test func fileRoundTripAndErrors() throws {
        let dir = makeTemporaryDirectory(prefix: "nmt-decoding")
        #expect(try DecodingDefaults.load(modelDirectory: dir) == nil)
        let value = DecodingDefaults(lengthPenalty: 1.5, beam: 5, source: "val.en", reference: "val.de",
                                     trials: [.init(lengthPenalty: 0.6, bleu: 39.25), .init(lengthPenalty: 1.5, bleu: 39.65)])
        try value.write(modelDirectory: dir, force: false)
        #expect(try DecodingDefaults.load(modelDirectory: dir) == value)
        #expect(throws: (any Error).self) { try value.write(modelDirectory: dir, force: false) }   // never silently replaced
        let path = DecodingDefaults.path(inModelDirectory: dir)
        for bad in ["{", #"{"format":"other","version":1,"lengthPenalty":1,"beam":5,"source":"","reference":"","trials":[]}"#,
                    #"{"format":"swift-nmt-decoding","version":1,"lengthPenalty":-1,"beam":5,"source":"","reference":"","trials":[]}"#] {
            try AtomicFile.write(string: bad, to: path, force: true)
            do {
                _ = try DecodingDefaults.load(modelDirectory: dir)
                Issue.record("accepted \(bad)")
            } catch {
                #expect("\(error)".hasPrefix(path + ": "), "\(error)")
            }
        }
    }
}
