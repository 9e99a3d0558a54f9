import NMTInference
import NMTText
import Testing

/// TranslateOptions.workers (nmt-translate --workers): batches decoded on several threads at once
/// give exactly the translations of one thread, whatever else the translator does per batch.
@Suite struct BatchWorkersTests {
    /// Three copies of the tiny sources with empty lines between: batches of 2 make 9 batches.
    static let lines = (0..<3).flatMap { round in tinySources.map { round == 1 ? $0 : $0 + " ." } + [""] }

    @Test(arguments: [1, 4])
    func workersTranslateAsOneThreadDoes(beam: Int) throws {
        let a = try TinyTranslationModel(seed: 11), b = try TinyTranslationModel(seed: 12)
        // A rescorer that prefers what a ranks low, so a twin without it would differ.
        let w = b.model.arena.value(b.model.generator.weight)
        for r in 0..<w.rows { for c in 0..<w.cols { w.row(r)[c] *= -1 } }
        func translator(workers: Int) throws -> Translator {
            let t = try a.translator(TranslateOptions(beamSize: beam, nBest: beam, replaceUnk: true, alignments: true,
                                                      attentionMatrix: true, batchSize: 2, workers: workers))
            if beam > 1 {
                let tb = try Translator(model: b.model, sourceVocab: a.src, targetVocab: a.tgt, options: TranslateOptions(batchSize: 3))
                try t.addRescorer(Rescorer(translator: tb, weight: 0.7, name: "b"))
            }
            return t
        }
        let one = try translator(workers: 1)
        let expected = one.translate(Self.lines)
        #expect(expected.count == Self.lines.count)
        for workers in [2, 3, 16] {
            let many = try translator(workers: workers)
            let got = many.translate(Self.lines)
            #expect(got.map(\.text) == expected.map(\.text), "\(workers) workers, beam \(beam)")
            let same = got == expected   // scores, n-best lists, alignments and attention too
            #expect(same, "\(workers) workers, beam \(beam)")
            // Options changed between calls reach the workers too.
            many.options.lengthPenalty = 1.5
            many.options.nBest = 1
            one.options.lengthPenalty = 1.5
            one.options.nBest = 1
            let renewed = many.translate(Self.lines) == one.translate(Self.lines)
            #expect(renewed, "\(workers) workers, new options")
            one.options.lengthPenalty = 0.6
            one.options.nBest = beam
        }
    }

    /// Workers with the whole vocabulary cut to a shortlist keep it (each twin has its own scorers).
    @Test func shortlistReachesEveryWorker() throws {
        let a = try TinyTranslationModel(seed: 5)
        let options = TranslateOptions(beamSize: 3, batchSize: 1, shortlist: SpecialIds.count + 3)
        var many = options
        many.workers = 2
        let expected = try a.translator(options).translate(Self.lines)
        let same = try a.translator(many).translate(Self.lines) == expected
        #expect(same)
        #expect(expected.allSatisfy { $0.ids.allSatisfy { Int($0) < SpecialIds.count + 3 } })
    }
}
