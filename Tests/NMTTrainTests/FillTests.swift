import Foundation
import NMTInference
import NMTLayers
import NMTModel
import NMTStore
import NMTTensor
import NMTText
import NMTTrain
import Testing

/// The fill side of NMTTrain: Kneser–Ney trigram baseline, evaluation masks, blank parsing and
/// the bad inputs of nmt-fill, model directories of task "fill", and exact resume of FillTrainer.
@Suite struct FillTests {
    static let words = ["a", "man", "dog", "is", "runs", "sleeps", "in", "the", "park", "snow", ".", ","]

    static func vocabulary() throws -> Vocabulary {
        try Vocabulary(settings: TokenizerSettings(lang: "en"),
                       entries: words.map { ($0, 100) } + [("\u{FFED}.", 100)])
    }

    static func tempDir() -> String {
        let dir = NSTemporaryDirectory() + "nmt-fill-test-\(UInt64.random(in: 0 ..< .max))"
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    static func tinyModel(_ vocab: Vocabulary, bidirectional: Bool = true, seed: UInt64 = 1) -> FillModel {
        FillModel(FillConfig(vocab: vocab.count, embedding: 8, hidden: 8, layers: 1, preOutput: 8,
                             bidirectional: bidirectional, dropout: 0.1, inputMask: 0.1), seed: seed)
    }

    /// Random sentences over the toy vocabulary.
    static func corpus(_ n: Int, seed: UInt64, vocab: Vocabulary) -> MonolingualData {
        var rng = RNG(seed: seed)
        var d = MonolingualData()
        for _ in 0..<n {
            let s = (0..<(1 + rng.int(below: 8))).map { _ in Int32(5 + rng.int(below: vocab.count - 5)) }
            d.sentences.append(s)
            d.tokens += s.count
        }
        return d
    }

    // MARK: n-grams

    @Test func kneserNeyDistributionsSumToOneOverTheVocabulary() throws {
        let vocab = try Self.vocabulary()
        let data = Self.corpus(200, seed: 3, vocab: vocab)
        let ng = NGramModel(sentences: data.sentences, vocabSize: vocab.count)
        let V = Int32(vocab.count)
        let contexts: [(Int32, Int32)] = [(2, 2), (2, 5), (5, 6), (7, 8), (4, 4), (12, 3), (1, 1)]
        for (u, v) in contexts {
            let s3 = (0..<V).reduce(0.0) { $0 + ng.p3($1, given: u, v) }
            #expect(abs(s3 - 1) < 1e-9, "P3(· | \(u) \(v)) sums to \(s3)")
            let s2 = (0..<V).reduce(0.0) { $0 + ng.p2($1, given: v) }
            #expect(abs(s2 - 1) < 1e-9, "P2(· | \(v)) sums to \(s2)")
        }
        let s1 = (0..<V).reduce(0.0) { $0 + ng.p1($1) }
        #expect(abs(s1 - 1) < 1e-9)
        // Discounts from the count-of-counts are in (0, 1).
        #expect(ng.d1 > 0 && ng.d1 < 1 && ng.d2 > 0 && ng.d2 < 1 && ng.d3 > 0 && ng.d3 < 1)
        // A sentence's log-probability: the trigram factors from <s> <s> through </s>.
        let s = data.sentences[0]
        let framed: [Int32] = [2, 2] + s + [3]
        let byHand = (2..<framed.count).reduce(0.0) { $0 + log(ng.p3(framed[$1], given: framed[$1 - 2], framed[$1 - 1])) }
        #expect(abs(ng.logProbability(sentence: s) - byHand) < 1e-9 && byHand < 0)
    }

    @Test func bothSidesTrigramUsesTheRightContext() throws {
        let vocab = try Self.vocabulary()
        let id = { vocab.id(for: $0) }
        // "a dog runs" and "a man sleeps" only: the verb decides the noun.
        let s1 = [id("a"), id("dog"), id("runs")], s2 = [id("a"), id("man"), id("sleeps")]
        let ng = NGramModel(sentences: Array(repeating: s1, count: 5) + Array(repeating: s2, count: 3), vocabSize: vocab.count)
        let cands = [id("dog"), id("man")]
        let left = ng.scores(sentence: [id("a"), 4, id("sleeps")], at: 1, candidates: cands, bothSides: false)
        let both = ng.scores(sentence: [id("a"), 4, id("sleeps")], at: 1, candidates: cands, bothSides: true)
        #expect(left[0] > left[1])      // left only: "dog" is more frequent after "a"
        #expect(both[1] > both[0])      // both sides: "man" before "sleeps"
    }

    // MARK: evaluation masks

    @Test func evaluationMasksAreSeededAndSkipPunctuation() throws {
        let vocab = try Self.vocabulary()
        let tok = try vocab.makeTokenizer()
        let lines = ["A man runs in the park.", "The dog sleeps, in the snow.", ". , .", "a dog", "man"]
        let tokens = lines.map { tok.tokenize($0) }
        let a = FillEvaluation.makeMasks(tokens: tokens, vocab: vocab, seed: 7)
        let b = FillEvaluation.makeMasks(tokens: tokens, vocab: vocab, seed: 7)
        #expect(a == b)
        #expect(a.count == 4)   // the punctuation-only line has nothing to mask
        for item in a {
            let token = vocab.token(for: item.gold)
            #expect(token != "." && token != "," && token != "\u{FFED}.", "masked punctuation \(token)")
        }
        // Another seed picks other positions somewhere (over enough sentences).
        let many = Array(repeating: tokens[0], count: 50)
        let p7 = FillEvaluation.makeMasks(tokens: many, vocab: vocab, seed: 7).map(\.position)
        let p8 = FillEvaluation.makeMasks(tokens: many, vocab: vocab, seed: 8).map(\.position)
        #expect(p7 != p8)
        #expect(Set(p7).isSubset(of: [0, 1, 2, 3, 4, 5]))
        #expect(FillEvaluation.isWord("x2", joiner: "\u{FFED}") && !FillEvaluation.isWord("\u{FFED}.", joiner: "\u{FFED}"))
    }

    @Test func rankStatisticsCountTiesByIdAndUnknownGoldAsMiss() {
        var s = RankStats()
        let scores: [Double] = [9, 9, 9, 9, 9, 1, 5, 5, 2, 0]   // specials 0..<5 are ignored
        s.add(scores: { scores[$0] }, gold: 6, vocabSize: 10)      // rank 1 (ties with 7 broken by id)
        s.add(scores: { scores[$0] }, gold: 7, vocabSize: 10)      // rank 2
        s.add(scores: { scores[$0] }, gold: 9, vocabSize: 10)      // rank 5
        s.add(scores: { scores[$0] }, gold: 1, vocabSize: 10)      // <unk>: miss
        #expect(s.count == 4 && s.top1 == 1 && s.top5 == 3)
        let expected: Double = 1.7 / 4
        #expect(abs(s.mrr - expected) < 1e-12)
    }

    // MARK: blanks and bad input

    @Test func blanksAreFoundWhereverTheyAre() throws {
        let vocab = try Self.vocabulary()
        let filler = try Filler(model: Self.tinyModel(vocab), vocab: vocab)
        let p = filler.parse("a ___ runs in the <mask>.")
        #expect(p.blanks == [1, 5])
        #expect(p.ids[1] == SpecialIds.mask && p.ids[5] == SpecialIds.mask)
        #expect(p.tokens.last == "\u{FFED}.")          // the period keeps its joiner
        #expect(filler.parse("___ runs").blanks == [0])                 // at the start
        #expect(filler.parse("the dog ______").blanks == [2])           // at the end, long blank
        #expect(filler.parse("___ <mask> ___").blanks == [0, 1, 2])     // only blanks
        #expect(filler.parse("dog___runs").blanks == [1])               // glued to words
        #expect(filler.parse("a __ dog").blanks.isEmpty)               // two underscores are not a blank
    }

    @Test func badInputsGiveClearResults() throws {
        let vocab = try Self.vocabulary()
        let filler = try Filler(model: Self.tinyModel(vocab), vocab: vocab)
        // No blank: a clear error naming the line.
        #expect(throws: FillError.noBlank(line: 3)) { try filler.fill("a dog runs", lineNumber: 3) }
        // Only blanks, and blanks at both ends.
        let only = try filler.fill("___ ___ ___")
        #expect(only.blanks.count == 3 && only.blanks.allSatisfy { $0.candidates.count == 5 })
        #expect(only.rounds >= 1 && only.rounds <= filler.maxRounds)
        let ends = try filler.fill("<mask> dog runs ___", topK: 3)
        #expect(ends.blanks.map(\.tokenIndex) == [0, 3] && ends.blanks[1].candidates.count == 3)
        // A word outside the vocabulary next to the blank: read as <unk>, still filled.
        let oov = try filler.fill("a zebraish ___ .")
        #expect(filler.parse("a zebraish ___ .").ids[1] == SpecialIds.unk)
        #expect(oov.blanks[0].candidates.count == 5 && !oov.filled.contains("___"))
        // Probabilities are sorted and never name a special token.
        for c in oov.blanks[0].candidates { #expect(c.id >= 5 && c.probability > 0 && c.probability < 1) }
        let probs = oov.blanks[0].candidates.map(\.probability)
        #expect(probs == probs.sorted(by: >))
        // Choices: ranked, unknown ones flagged, multi-token ones refused.
        let ch = try filler.fill("a ___ runs", choices: ["dog", "man", "zebra"])
        #expect(ch.blanks[0].candidates.map(\.word).sorted() == ["dog", "man", "zebra"])
        #expect(ch.blanks[0].candidates.last?.word == "zebra" && ch.blanks[0].candidates.last?.inVocabulary == false)
        #expect(throws: FillError.choiceNotOneToken("big dog")) { try filler.fill("a ___", choices: ["big dog"]) }
        #expect(throws: FillError.emptyChoices) { try filler.fill("a ___", choices: [" ", ""]) }
    }

    // MARK: model directories and training

    @Test func fillModelDirectoryRoundTripsAndRefusesATranslationModel() throws {
        let vocab = try Self.vocabulary()
        let dir = Self.tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let model = Self.tinyModel(vocab, bidirectional: false, seed: 4)
        try ModelDirectory.save(model, vocab: vocab, corpus: ["/x/train.en"], to: dir + "/fill")
        let loaded = try ModelDirectory.load(dir + "/fill", as: FillModel.self)
        #expect(loaded.config.task == .fill && loaded.config.corpus == ["/x/train.en"] && !loaded.config.model.bidirectional)
        #expect(Array(UnsafeBufferPointer(start: loaded.model.arena.values, count: model.arena.count))
                == Array(UnsafeBufferPointer(start: model.arena.values, count: model.arena.count)))
        // A translation model where a fill model is expected, and the reverse.
        let s2s = Seq2Seq(Seq2SeqConfig(sourceVocab: vocab.count, targetVocab: vocab.count, embedding: 4, encoderHidden: 4,
                                      decoderHidden: 4, attention: 4, preOutput: 4), seed: 1)
        try ModelDirectory.save(s2s, sourceVocab: vocab, targetVocab: vocab, to: dir + "/mt")
        #expect(throws: ModelDirectoryError.wrongTask(path: dir + "/mt", found: "translation", expected: "fill")) {
            try ModelDirectory.load(dir + "/mt", as: FillModel.self)
        }
        #expect(try ModelDirectory.task(ofModelAt: dir + "/fill") == .fill)
        #expect(throws: ModelDirectoryError.wrongTask(path: dir + "/fill", found: "fill", expected: "translation")) {
            try ModelDirectory.load(dir + "/fill", as: Seq2Seq.self)
        }
    }

    @Test func monolingualDataCountsDropsAndNamesInvalidLines() throws {
        let vocab = try Self.vocabulary()
        let dir = Self.tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try "a dog runs\n\na man a man a man\nthe dog\n".write(toFile: dir + "/c.en", atomically: true, encoding: .utf8)
        let d = try MonolingualData.load(paths: [dir + "/c.en"], vocab: vocab, maxLength: 4)
        #expect(d.sentences.count == 2 && d.droppedEmpty == 1 && d.droppedLong == 1 && d.tokens == 5)
        _ = FileManager.default.createFile(atPath: dir + "/bad.en", contents: Data([0x61, 0x0A, 0xFF, 0x0A, 0x62, 0x0A]))
        do {
            _ = try MonolingualData.load(paths: [dir + "/bad.en"], vocab: vocab, maxLength: 0)
            Issue.record("invalid UTF-8 accepted")
        } catch {
            #expect("\(error)".contains("bad.en:2"), "\(error)")
        }
        let skipped = try MonolingualData.load(paths: [dir + "/bad.en"], vocab: vocab, maxLength: 0, skipInvalidUTF8: true)
        #expect(skipped.sentences.count == 2 && skipped.skippedInvalid == 1)
    }

    @Test func interruptedTrainingResumesBitExactly() throws {
        let vocab = try Self.vocabulary()
        let train = Self.corpus(120, seed: 9, vocab: vocab)
        let valid = Self.corpus(20, seed: 10, vocab: vocab)
        var options = TrainerOptions()
        options.batchTokens = 60
        options.logEvery = 0
        options.maxEpochs = 3
        options.validEvery = 7
        options.learningRate = 0.01
        let dirA = Self.tempDir(), dirB = Self.tempDir()
        defer { try? FileManager.default.removeItem(atPath: dirA); try? FileManager.default.removeItem(atPath: dirB) }
        var optA = options
        optA.maxSteps = 25
        let a = Self.tinyModel(vocab)
        let stateA = try FillTrainer(model: a, vocab: vocab, corpus: ["c"], train: train, valid: valid, options: optA,
                                     outputDir: dirA).run()
        // Stop after 11 steps (mid-epoch, after a validation), then resume to 25.
        var optB = options
        optB.maxSteps = 11
        _ = try FillTrainer(model: Self.tinyModel(vocab), vocab: vocab, corpus: ["c"], train: train, valid: valid,
                            options: optB, outputDir: dirB).run()
        let (loaded, s) = try Checkpoint.resume(dirB, as: FillModel.self)
        #expect(s.step == 11)
        optB.maxSteps = 25
        let stateB = try FillTrainer(model: loaded.model, vocab: vocab, corpus: ["c"], train: train, valid: valid,
                                     options: optB, outputDir: dirB, state: s).run()
        #expect(stateA.step == 25 && stateB.step == 25 && stateA.epoch >= 1)
        #expect(weightBits(a.arena) == weightBits(loaded.model.arena))
        #expect(stateA.rng == stateB.rng && stateA.bestScore == stateB.bestScore && stateA.learningRate == stateB.learningRate)
        #expect(FileManager.default.fileExists(atPath: dirA + "/best/model.safetensors"))
        let log = try String(contentsOfFile: dirA + "/train.log.jsonl", encoding: .utf8)
        #expect(log.contains("\"type\":\"valid\""))
    }

    @Test func trainingLearnsWhatTheNeighboursDecide() throws {
        // "a dog runs" / "a man sleeps": the middle word is fixed by the verb on its right.
        let vocab = try Self.vocabulary()
        let id = { vocab.id(for: $0) }
        var data = MonolingualData()
        for i in 0..<200 {
            let s = i % 2 == 0 ? [id("a"), id("dog"), id("runs")] : [id("a"), id("man"), id("sleeps")]
            data.sentences.append(s); data.tokens += 3
        }
        var options = TrainerOptions()
        options.batchTokens = 100
        options.logEvery = 0
        options.maxEpochs = 30
        options.learningRate = 0.02
        let dir = Self.tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let model = FillModel(FillConfig(vocab: vocab.count, embedding: 8, hidden: 16, layers: 1, preOutput: 16,
                                         dropout: 0, inputMask: 0, labelSmoothing: 0), seed: 2)
        try FillTrainer(model: model, vocab: vocab, corpus: [], train: data, valid: nil, options: options, outputDir: dir).run()
        let filler = try Filler(model: model, vocab: vocab)
        #expect(try filler.fill("a ___ sleeps").blanks[0].candidates[0].word == "man")
        #expect(try filler.fill("a ___ runs").blanks[0].candidates[0].word == "dog")
        #expect(try filler.fill("a dog ___").blanks[0].candidates[0].word == "runs")
        // Without a validation set there is no best/: loading the run directory takes last/.
        #expect(try ModelDirectory.load(dir, as: FillModel.self).directory.hasSuffix("last"))
    }
}
