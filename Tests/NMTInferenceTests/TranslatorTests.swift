import NMTTrain
import Foundation
import NMTDecode
import NMTInference
import NMTLayers
import NMTModel
import NMTStore
import NMTTensor
import NMTText
import Testing

/// A tiny random model with tiny vocabularies built from a few words.
struct TinyTranslationModel {
    let model: Seq2Seq
    let src: Vocabulary
    let tgt: Vocabulary

    static let sourceWords = "ein hund läuft über die wiese . zwei männer spielen im schnee , der mann schläft"
    static let targetWords = "a dog runs over the meadow . two men play in snow , the man sleeps"

    /// `tied`: the output layer is the target embedding behind a pre-output → embedding projection.
    init(seed: UInt64 = 11, tied: Bool = false) throws {
        var sb = VocabularyBuilder(settings: TokenizerSettings(lang: "de"))
        let st = try Tokenizer(settings: sb.settings)
        sb.add(tokens: st.tokenize(TinyTranslationModel.sourceWords))
        var tb = VocabularyBuilder(settings: TokenizerSettings(lang: "en"))
        let tt = try Tokenizer(settings: tb.settings)
        tb.add(tokens: tt.tokenize(TinyTranslationModel.targetWords))
        src = try sb.build()
        tgt = try tb.build()
        let config = Seq2SeqConfig(sourceVocab: src.count, targetVocab: tgt.count, embedding: 8, encoderHidden: 6,
                                 encoderLayers: 2, decoderHidden: 10, attention: 7, preOutput: 9, dropout: 0.3,
                                 tieEmbeddings: tied)
        model = Seq2Seq(config, seed: seed)
        // Sharper output distributions than the initialisation gives, so outputs end sometimes.
        let w = model.arena.value(model.generator.weight)
        for r in 0..<w.rows { for c in 0..<w.cols { w.row(r)[c] *= 6 } }
    }

    func translator(_ options: TranslateOptions) throws -> Translator {
        try Translator(model: model, sourceVocab: src, targetVocab: tgt, options: options)
    }
}

let tinySources = [
    "ein hund läuft über die wiese .",
    "zwei männer spielen im schnee",
    "der mann schläft",
    "hund",
    "ein unbekanntes wort , und noch eins .",
    "die wiese , der schnee , der hund , die männer , ein mann spielen im schnee über die wiese .",
]

@Suite struct TranslatorTests {
    /// The scorer's step log-probabilities equal the log-softmax of the training forward's
    /// logits (Decoder.forward over all steps, generator, log-softmax in Double), position by
    /// position, and their sum over the gold tokens equals −Seq2Seq.evaluate's nll.
    /// Also with tied embeddings behind the projection (the scorer applies it at every step).
    @Test(arguments: [false, true])
    func scorerMatchesTrainingForward(tied: Bool) throws {
        let tiny = try TinyTranslationModel(tied: tied)
        let m = tiny.model, arena = m.arena
        let sources: [[Int32]] = [[5, 6, 7, 8, 9], [10, 11], [12, 5, 6]]
        let targets: [[Int32]] = [[5, 6, 7], [8, 9, 10, 11, 12], [13]]
        let B = sources.count, V = tiny.tgt.count, E = m.config.embedding
        let batch = Batch(zip(sources, targets).map { SentencePair(source: $0, target: $1) }, indices: [0, 1, 2])

        // Training path, by hand.
        let Tx = batch.sourceSteps, Ty = batch.targetSteps
        let x = Tensor([Tx * B, E])
        batch.sourceIds.withUnsafeBufferPointer { m.sourceEmbedding.forward(arena, ids: $0, into: x.matrix(rows: Tx * B, cols: E)) }
        var rng = RNG(seed: 1)
        let cache = StackedEncoderCache()   // must outlive enc's views
        let enc = m.encoder.forward(arena, x: x.matrix(rows: Tx * B, cols: E), lengths: batch.sourceLengths, steps: Tx,
                                    cache: cache, rng: &rng, training: false)
        let s0 = Tensor([B, m.config.decoderHidden])
        m.bridge.forward(arena, enc.finalH, into: s0.matrix(rows: B, cols: m.config.decoderHidden))
        let y = Tensor([Ty * B, E])
        batch.targetInput.withUnsafeBufferPointer { m.targetEmbedding.forward(arena, ids: $0, into: y.matrix(rows: Ty * B, cols: E)) }
        let o = m.decoder.forward(arena, targetEmbedded: y.matrix(rows: Ty * B, cols: E), encOut: enc.outputs,
                                  srcLengths: batch.sourceLengths, tgtLengths: batch.targetLengths,
                                  s0: s0.matrix(rows: B, cols: m.config.decoderHidden), rng: &rng, training: false)
        let logits = Tensor([Ty * B, V])
        let projected = Tensor([Ty * B, E])
        let g: MatrixRef
        if let p = m.generatorProjection {
            g = projected.matrix(rows: Ty * B, cols: E)
            p.forward(arena, o, into: g)
        } else {
            g = o
        }
        m.generator.forward(arena, g, into: logits.matrix(rows: Ty * B, cols: V))

        // Scorer path: forced decoding, all rows kept.
        let scorer = Seq2SeqScorer(model: m)
        scorer.suppressedTokens = []
        scorer.encode(sources)
        var state = scorer.initialState(batchSize: B)
        var out = [Float](repeating: 0, count: B * V)
        var last = [Int32](repeating: SpecialIds.bos, count: B)
        var worst = 0.0
        var goldSum = 0.0
        for t in 0..<Ty {
            out.withUnsafeMutableBufferPointer { scorer.step(lastTokens: last, state: &state, out: $0.baseAddress!) }
            for b in 0..<B where t < batch.targetLengths[b] {
                let row = logits.matrix(rows: Ty * B, cols: V).row(t * B + b)
                var mx = -Double.infinity
                for v in 0..<V { mx = max(mx, Double(row[v])) }
                var s = 0.0
                for v in 0..<V { s += Foundation.exp(Double(row[v]) - mx) }
                let lse = mx + Foundation.log(s)
                for v in 0..<V { worst = max(worst, abs((Double(row[v]) - lse) - Double(out[b * V + v]))) }
                goldSum += Double(out[b * V + Int(batch.targetOutput[t * B + b])])
            }
            for b in 0..<B { last[b] = batch.targetOutput[t * B + b] == 0 ? SpecialIds.eos : batch.targetOutput[t * B + b] }
        }
        #expect(worst < 2e-5, "max |Δ log p| = \(worst)")
        withExtendedLifetime(cache) {}
        let nll = m.evaluate(Seq2SeqBatch(sourceIds: batch.sourceIds, sourceLengths: batch.sourceLengths,
                                        targetInput: batch.targetInput, targetOutput: batch.targetOutput,
                                        targetLengths: batch.targetLengths)).nll
        #expect(abs(nll + goldSum) < 1e-4 * max(1, nll), "evaluate nll \(nll), scorer \(-goldSum)")

        // The translator's forced scores agree too, per sentence.
        let tr = try tiny.translator(TranslateOptions(batchSize: 2))
        let scores = tr.score(sourceIds: sources, targetIds: targets)
        let total = scores.reduce(0) { $0 + $1.logProb }
        #expect(abs(total - goldSum) < 1e-4 * max(1, nll))
        #expect(scores.map(\.tokens) == [4, 6, 2])
        for s in scores { #expect(s.perplexity >= 1) }
    }

    @Test func maskIsNeverGenerated() throws {
        let tiny = try TinyTranslationModel()
        tiny.model.arena.value(tiny.model.generator.bias!).ptr[Int(SpecialIds.mask)] += 50
        let t = try tiny.translator(TranslateOptions(beamSize: 3, minLen: 1, nBest: 3)).translate(tinySources)
        for x in t { for h in x.nBest { #expect(!h.ids.contains(SpecialIds.mask) && !h.ids.isEmpty && !h.text.isEmpty) } }
    }

    @Test func logSoftmaxMatchesDouble() {
        var row: [Float] = (0..<37).map { Float($0 % 7) * 1.3 - 4 }
        let ref: [Double] = {
            let d = row.map(Double.init); let m = d.max()!
            let lse = m + Foundation.log(d.reduce(0) { $0 + Foundation.exp($1 - m) })
            return d.map { $0 - lse }
        }()
        row.withUnsafeMutableBufferPointer { logSoftmaxInPlace($0.baseAddress!, count: 37) }
        for i in 0..<37 { #expect(abs(Double(row[i]) - ref[i]) < 1e-5) }
    }

    /// A shortlist of K words: each row's first K log-probabilities are the full distribution
    /// renormalised over those K words, the rest are -inf. Translations use only shortlisted ids.
    @Test func shortlistRenormalisesOverTheFirstWords() throws {
        let tiny = try TinyTranslationModel()
        let V = tiny.tgt.count, K = 9
        let sources: [[Int32]] = [[5, 6, 7, 8, 9], [10, 11], [12, 5, 6]]
        let last: [Int32] = [SpecialIds.bos, 7, 12]
        func stepOnce(shortlist: Int) -> [Float] {
            let scorer = Seq2SeqScorer(model: tiny.model)
            scorer.suppressedTokens = []
            scorer.shortlist = shortlist
            scorer.encode(sources)
            var state = scorer.initialState(batchSize: 3)
            var out = [Float](repeating: 0, count: 3 * V)
            out.withUnsafeMutableBufferPointer { scorer.step(lastTokens: last, state: &state, out: $0.baseAddress!) }
            return out
        }
        let full = stepOnce(shortlist: 0), short = stepOnce(shortlist: K)
        for r in 0..<3 {
            let head = (0..<K).map { Double(full[r * V + $0]) }
            let m = head.max()!
            let lse = m + Foundation.log(head.reduce(0) { $0 + Foundation.exp($1 - m) })
            for v in 0..<K { #expect(abs(Double(short[r * V + v]) - (head[v] - lse)) < 1e-5) }
            for v in K..<V { #expect(short[r * V + v] == -.infinity) }
        }
        let out = try tiny.translator(TranslateOptions(shortlist: K)).translate(tinySources)
        #expect(out.allSatisfy { $0.ids.allSatisfy { Int($0) < K } })
        #expect(try tiny.translator(TranslateOptions(shortlist: V)).translate(tinySources).map(\.ids)
                == tiny.translator(TranslateOptions()).translate(tinySources).map(\.ids))
    }

    /// Greedy fast path = general beam search with K = 1 (α = 0) = Translator greedy = beam 1.
    @Test func greedyEqualsBeamOne() throws {
        let tiny = try TinyTranslationModel()
        let tr = try tiny.translator(TranslateOptions(greedy: true, lengthPenalty: 0))
        let ids = tinySources.map { tr.prepareSource($0).ids }
        let scorer = Seq2SeqScorer(model: tiny.model)
        scorer.encode(ids)
        var fast = BeamSearch(options: BeamSearchOptions(beamSize: 1, lengthPenaltyAlpha: 0, bos: SpecialIds.bos, eos: SpecialIds.eos,
                                                         pad: SpecialIds.pad, unk: SpecialIds.unk))
        var s1 = scorer
        let a = fast.decode(&s1, sourceLengths: ids.map(\.count))
        fast.greedyFastPath = false
        var s2 = scorer
        let b = fast.decode(&s2, sourceLengths: ids.map(\.count))
        #expect(a.map { $0[0].tokens } == b.map { $0[0].tokens })
        for (x, y) in zip(a, b) { #expect(abs(x[0].logProb - y[0].logProb) < 1e-4) }

        let g = tr.translate(tinySources)
        let k1 = try tiny.translator(TranslateOptions(beamSize: 1, lengthPenalty: 0)).translate(tinySources)
        #expect(g.map(\.ids) == k1.map(\.ids))
        // The translator's order restoration: sentence i's result is sentence i's decode.
        #expect(g.map(\.ids) == a.map { $0[0].tokens })
    }

    /// With α = 0 the beam's best log-probability is at least the greedy one.
    @Test func beamScoresAtLeastGreedy() throws {
        let tiny = try TinyTranslationModel()
        let g = try tiny.translator(TranslateOptions(greedy: true, lengthPenalty: 0)).translate(tinySources)
        let b = try tiny.translator(TranslateOptions(beamSize: 5, lengthPenalty: 0)).translate(tinySources)
        var better = 0
        for (x, y) in zip(g, b) {
            #expect(y.logProb >= x.logProb - 1e-4, "beam \(y.logProb) < greedy \(x.logProb)")
            if y.logProb > x.logProb + 1e-4 { better += 1 }
        }
        // The forced score of the returned output is its log-probability.
        let tr = try tiny.translator(TranslateOptions())
        let ids = tinySources.map { tr.prepareSource($0).ids }
        let forced = tr.score(sourceIds: ids, targetIds: b.map(\.ids))
        for (f, y) in zip(forced, b) { #expect(abs(f.logProb - Double(y.logProb)) < 1e-3 * max(1, abs(f.logProb))) }
    }

    /// A sentence's translation does not depend on what it is batched with.
    @Test func batchedEqualsOneAtATime() throws {
        let tiny = try TinyTranslationModel()
        for beam in [1, 5] {
            let batched = try tiny.translator(TranslateOptions(beamSize: beam, nBest: beam == 5 ? 3 : 1, batchSize: 64)).translate(tinySources)
            let single = try tiny.translator(TranslateOptions(beamSize: beam, nBest: beam == 5 ? 3 : 1, batchSize: 1))
            for (i, line) in tinySources.enumerated() {
                let s = single.translate([line])[0]
                #expect(s.nBest.map(\.ids) == batched[i].nBest.map(\.ids), "beam \(beam) line \(i)")
                #expect(abs(s.score - batched[i].score) < 1e-4)
            }
        }
    }

    @Test func emptyLinesAndOrder() throws {
        let tiny = try TinyTranslationModel()
        let tr = try tiny.translator(TranslateOptions(beamSize: 3))
        let lines = ["", "ein hund", "   ", "der mann schläft", ""]
        let t = tr.translate(lines)
        #expect(t.count == 5)
        #expect(t[0].text == "" && t[2].text == "" && t[4].text == "" && t[0].ids.isEmpty)
        #expect(t[1].ids == tr.translate(["ein hund"])[0].ids)
        #expect(tr.translate([]).isEmpty)
        for x in t { #expect(!x.text.contains("<s>") && !x.text.contains("</s>")) }
    }

    @Test func nBestAndAlignments() throws {
        let tiny = try TinyTranslationModel()
        let tr = try tiny.translator(TranslateOptions(beamSize: 5, nBest: 3, alignments: true))
        for t in tr.translate(tinySources) {
            #expect(t.nBest.count == 3)
            #expect(zip(t.nBest, t.nBest.dropFirst()).allSatisfy { $0.score >= $1.score })
            let al = try #require(t.alignment)
            #expect(al.count == t.ids.count)
            #expect(al.allSatisfy { $0.source >= 0 && $0.source < t.sourceTokens.count })
            #expect(al.map(\.target) == Array(0..<t.ids.count))
        }
    }

    @Test func cutsLongSources() throws {
        let tiny = try TinyTranslationModel()
        let tr = try tiny.translator(TranslateOptions(greedy: true, maxSourceLength: 4))
        let t = tr.translate(["ein hund läuft über die wiese .", "ein hund"])
        #expect(t[0].sourceTokens.count == 4 && t[0].warnings.count == 1)
        #expect(t[1].warnings.isEmpty)
        #expect(t[0].ids == tr.translate(["ein hund läuft über"])[0].ids)
    }

    /// With <unk> made the most likely output, --replace-unk copies the attended source tokens
    /// (unknown source words included, joiner marks dropped).
    @Test func replaceUnk() throws {
        let tiny = try TinyTranslationModel()
        let bias = tiny.model.arena.value(tiny.model.generator.bias!)
        bias.ptr[Int(SpecialIds.unk)] += 100
        let line = "ein zebra, und ein hund."
        let plain = try tiny.translator(TranslateOptions(greedy: true, maxLenRatio: 1, maxLenConstant: 0)).translate([line])[0]
        #expect(plain.tokens.allSatisfy { $0 == "<unk>" } && !plain.tokens.isEmpty)
        let tr = try tiny.translator(TranslateOptions(greedy: true, maxLenRatio: 1, maxLenConstant: 0, replaceUnk: true))
        let t = tr.translate([line])[0]
        #expect(t.tokens.count == plain.tokens.count)
        let words = Set(t.sourceTokens.map { $0.hasPrefix("\u{FFED}") ? String($0.dropFirst()) : $0 })
        #expect(t.tokens.allSatisfy { words.contains($0) }, "\(t.tokens)")
        #expect(!t.text.contains("<unk>") && !t.text.contains("\u{FFED}"))
        let beam = try tiny.translator(TranslateOptions(beamSize: 4, maxLenRatio: 1, maxLenConstant: 0, replaceUnk: true)).translate([line])[0]
        #expect(!beam.text.contains("<unk>"))
    }

    @Test func attentionMatrices() throws {
        let tiny = try TinyTranslationModel()
        let tr = try tiny.translator(TranslateOptions(beamSize: 2, attentionMatrix: true))
        for t in tr.translate(tinySources) {
            let a = try #require(t.attention)
            #expect(a.count == t.ids.count)
            for row in a {
                #expect(row.count == t.sourceTokens.count)
                #expect(abs(row.reduce(0, +) - 1) < 1e-4)
            }
        }
    }

    @Test func svgIsEscapedAndSized() {
        let svg = attentionSVG(sourceTokens: ["a<b", "&"], targetTokens: ["\"x\"", "y", "'"],
                               weights: [[0.9, 0.1], [0.5, 0.5], [0, 1]])
        #expect(svg.hasPrefix("<?xml") || svg.hasPrefix("<svg"))
        #expect(svg.contains("a&lt;b") && svg.contains("&amp;") && svg.contains("&quot;x&quot;") && svg.contains("&apos;"))
        #expect(svg.components(separatedBy: "<rect").count - 1 == 6 + 1)
    }

    @Test func savedModelTranslatesTheSame() throws {
        let tiny = try TinyTranslationModel()
        let dir = NSTemporaryDirectory() + "nmt-tr-\(UInt32.random(in: 0 ... .max))"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try ModelDirectory.save(tiny.model, sourceVocab: tiny.src, targetVocab: tiny.tgt, to: dir)
        let loaded = try ModelDirectory.load(dir, as: Seq2Seq.self)
        let a = try Translator(loaded, options: TranslateOptions(beamSize: 3)).translate(tinySources)
        let b = try tiny.translator(TranslateOptions(beamSize: 3)).translate(tinySources)
        #expect(a.map(\.ids) == b.map(\.ids))
        #expect(a.map(\.text) == b.map(\.text))
    }
}
