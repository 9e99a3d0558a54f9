import Foundation
import NMTInference
import NMTLayers
import NMTModel
import NMTStore
import NMTTensor
import NMTText
import NMTTrain
import Testing

/// The training loop end to end at tiny sizes: it learns a toy task, resumes bit-exactly,
/// and refuses bad input.
@Suite struct TrainerTests {
    static let symbols = (0..<10).map { "s\($0)" }

    static func vocabulary() throws -> Vocabulary {
        try Vocabulary(settings: TokenizerSettings(lang: "en"), entries: symbols.map { ($0, 100) })
    }

    /// Random sequences of 1...10 symbols; the target is the source reversed.
    static func reverseData(_ n: Int, seed: UInt64, vocab: Vocabulary) -> ParallelData {
        var rng = RNG(seed: seed)
        var data = ParallelData()
        for _ in 0..<n {
            let words = (0..<(1 + rng.int(below: 10))).map { _ in symbols[rng.int(below: symbols.count)] }
            let src = vocab.encode(words), tgt = vocab.encode(words.reversed())
            data.pairs.append(SentencePair(source: src, target: tgt))
            data.sourceLines.append(words.joined(separator: " "))
            data.targetLines.append(words.reversed().joined(separator: " "))
            data.targetTokens += tgt.count
        }
        return data
    }

    static func tinyModel(_ vocab: Vocabulary, dropout: Float = 0, seed: UInt64 = 1) -> Seq2Seq {
        Seq2Seq(Seq2SeqConfig(sourceVocab: vocab.count, targetVocab: vocab.count, embedding: 16, encoderHidden: 24,
                            encoderLayers: 1, decoderHidden: 32, attention: 24, preOutput: 32,
                            dropout: dropout, labelSmoothing: 0), seed: seed)
    }

    static func tempDir() -> String {
        let dir = NSTemporaryDirectory() + "nmt-trainer-test-\(UInt64.random(in: 0 ..< .max))"
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    /// Trains in rounds of 350 steps (each round resumes the last one from disk) until greedy
    /// decoding reverses at least 95 % of held-out sequences exactly, at most 2,100 steps. The
    /// target is fixed; only the number of steps it takes may vary, because the BLAS kernel
    /// (OPENBLAS_CORETYPE, thread count) changes the rounding and so the exact trajectory.
    @Test func learnsToReverseSequences() throws {
        let vocab = try Self.vocabulary()
        let train = Self.reverseData(3000, seed: 1, vocab: vocab)
        let test = Self.reverseData(200, seed: 2, vocab: vocab)
        var model = Self.tinyModel(vocab)
        var options = TrainerOptions()
        options.batchTokens = 400
        options.learningRate = 0.01
        options.logEvery = 0
        options.maxEpochs = 100
        let dir = Self.tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let round = 350, cap = 2100
        var state: TrainingState? = nil
        var exact = 0
        var steps = 0
        repeat {
            options.maxSteps = steps + round
            let trainer = try Trainer(model: model, sourceVocab: vocab, targetVocab: vocab, train: train, valid: nil,
                                      options: options, outputDir: dir, state: state)
            steps = try trainer.run().step
            let translator = try Translator(model: model, sourceVocab: vocab, targetVocab: vocab,
                                            options: TranslateOptions(greedy: true, lengthPenalty: 0))
            let out = translator.translate(test.sourceLines).map(\.text)
            exact = zip(out, test.targetLines).filter { $0 == $1 }.count
            // last/ holds a loadable model equal to the trained one; the next round resumes it.
            let resumed = try Checkpoint.resume(dir, as: Seq2Seq.self)
            #expect(resumed.1.step == steps)
            #expect(Array(UnsafeBufferPointer(start: resumed.0.model.arena.values, count: model.arena.count))
                    == Array(UnsafeBufferPointer(start: model.arena.values, count: model.arena.count)))
            model = resumed.0.model
            state = resumed.1
        } while Double(exact) / Double(test.targetLines.count) < 0.95 && steps < cap
        #expect(Double(exact) / Double(test.targetLines.count) >= 0.95, "exact match \(exact)/\(test.targetLines.count) after \(steps) steps")
    }

    @Test(arguments: [Float(0), 0.9])
    func resumedRunEqualsUninterruptedRunBitForBit(emaDecay: Float) throws {
        let vocab = try Self.vocabulary()
        let train = Self.reverseData(120, seed: 3, vocab: vocab)
        let valid = Self.reverseData(20, seed: 4, vocab: vocab)
        var options = TrainerOptions()
        options.batchTokens = 60          // ~12 batches an epoch: the run crosses epochs and validations
        options.logEvery = 0
        options.patience = 1
        options.emaDecay = emaDecay
        func average(_ m: Seq2Seq) -> [UInt32] {
            guard let a = m.arena.average else { return [] }
            return Array(UnsafeBufferPointer(start: a, count: m.arena.count)).map(\.bitPattern)
        }
        // 2N steps at once.
        let dirA = Self.tempDir(), dirB = Self.tempDir()
        defer { try? FileManager.default.removeItem(atPath: dirA); try? FileManager.default.removeItem(atPath: dirB) }
        options.maxSteps = 30
        let a = Self.tinyModel(vocab, dropout: 0.3, seed: 9)
        let ta = try Trainer(model: a, sourceVocab: vocab, targetVocab: vocab, train: train, valid: valid,
                             options: options, outputDir: dirA)
        let stateA = try ta.run()
        // N steps, stop, resume from disk, N more.
        options.maxSteps = 15
        let b = Self.tinyModel(vocab, dropout: 0.3, seed: 9)
        try Trainer(model: b, sourceVocab: vocab, targetVocab: vocab, train: train, valid: valid,
                    options: options, outputDir: dirB).run()
        let (loaded, state) = try Checkpoint.resume(dirB, as: Seq2Seq.self)
        #expect(state.step == 15)
        options.maxSteps = 30
        let tb = try Trainer(model: loaded.model, sourceVocab: vocab, targetVocab: vocab, train: train, valid: valid,
                             options: options, outputDir: dirB, state: state)
        let stateB = try tb.run()
        #expect(stateA.step == 30 && stateB.step == 30 && stateA.epoch >= 2)
        #expect(weightBits(a.arena) == weightBits(loaded.model.arena))
        #expect(average(a) == average(loaded.model))
        #expect(average(a).isEmpty == (emaDecay == 0))
        #expect(stateA.rng == stateB.rng && stateA.learningRate == stateB.learningRate && stateA.bestScore == stateB.bestScore)
        // And the interrupted run's last/ on disk holds the same weights.
        let reloaded = try Checkpoint.resume(dirB, as: Seq2Seq.self).0
        #expect(weightBits(a.arena) == weightBits(reloaded.model.arena))
        #expect(average(a) == average(reloaded.model))
    }

    /// With a moving average, both weights are validated and best/ holds the better (as the log
    /// says), last/ the raw ones; the average follows avg ← d·avg + (1 − d)·w with
    /// d = min(decay, (1+t)/(10+t)).
    @Test func movingAverageIsValidatedAndSavedAsBest() throws {
        let vocab = try Self.vocabulary()
        let train = Self.reverseData(60, seed: 6, vocab: vocab)
        let valid = Self.reverseData(10, seed: 7, vocab: vocab)
        var options = TrainerOptions()
        options.batchTokens = 60
        options.logEvery = 0
        options.maxEpochs = 1             // one validation, after the only epoch: it is the best
        options.emaDecay = 0.5
        let model = Self.tinyModel(vocab)
        let dir = Self.tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        // The average by hand: replay the raw weights after each step.
        var expected = Array(UnsafeBufferPointer(start: model.arena.values, count: model.arena.count))
        final class Replay: TrainingObserver {
            let arena: ParameterArena
            var average: [Float]
            var step = 0
            init(_ arena: ParameterArena, _ start: [Float]) { self.arena = arena; average = start }
            func trainingProgress(epoch: Int, batch: Int, batches: Int, loss: Double, tokensPerSecond: Double, learningRate: Float) {
                step += 1
                let t = Float(step), d = min(Float(0.5), (1 + t) / (10 + t))
                for i in average.indices { average[i] = d * average[i] + (1 - d) * arena.values[i] }
            }
            func logLine(_ line: String) {}
        }
        let replay = Replay(model.arena, expected)
        let trainer = try Trainer(model: model, sourceVocab: vocab, targetVocab: vocab, train: train, valid: valid,
                                  options: options, outputDir: dir)
        trainer.observer = replay
        let state = try trainer.run()
        expected = replay.average
        #expect(state.step > 2 && state.epoch == 1)
        let avg = Array(UnsafeBufferPointer(start: model.arena.average!, count: model.arena.count))
        let raw = Array(UnsafeBufferPointer(start: model.arena.values, count: model.arena.count))
        let maxDiff = zip(avg, expected).map { abs($0 - $1) }.max()!
        #expect(maxDiff < 1e-6, "average differs from the replay by \(maxDiff)")
        #expect(avg != raw)
        let best = try ModelDirectory.load(dir + "/best", as: Seq2Seq.self).model
        let last = try ModelDirectory.load(dir + "/last", as: Seq2Seq.self).model
        #expect(Array(UnsafeBufferPointer(start: last.arena.values, count: last.arena.count)) == raw)
        // The log carries both sets of figures and which weights won (the lower perplexity here).
        let log = try String(contentsOfFile: dir + "/train.log.jsonl", encoding: .utf8)
        let line = log.split(separator: "\n").first { $0.contains("\"type\":\"valid\"") }!
        let entry = try JSONSerialization.jsonObject(with: Data(line.utf8)) as! [String: Any]
        let rawPPL = entry["raw_ppl"] as! Double, emaPPL = entry["ema_ppl"] as! Double
        let averagedWon = entry["weights"] as! String == "averaged"
        #expect(averagedWon == (emaPPL < rawPPL))
        #expect(entry["ppl"] as! Double == min(rawPPL, emaPPL))
        #expect(Array(UnsafeBufferPointer(start: best.arena.values, count: best.arena.count)) == (averagedWon ? avg : raw))
    }

    @Test func nonFiniteLossesSkipBatchesThenStopWithoutSavingNaN() throws {
        let vocab = try Self.vocabulary()
        let train = Self.reverseData(50, seed: 5, vocab: vocab)
        let model = Self.tinyModel(vocab)
        let bias = model.arena.param(named: "generator.bias")!
        model.arena.value(bias).fill(.nan)
        var options = TrainerOptions()
        options.batchTokens = 40
        options.logEvery = 0
        let dir = Self.tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let trainer = try Trainer(model: model, sourceVocab: vocab, targetVocab: vocab, train: train, valid: nil,
                                  options: options, outputDir: dir)
        #expect(throws: TrainingError.self) { try trainer.run() }
        #expect(trainer.state.step == 0)
        #expect(throws: CheckpointError.self) { try trainer.saveLast() }
        #expect(!FileManager.default.fileExists(atPath: dir + "/last/model.safetensors"))
        #expect(!FileManager.default.fileExists(atPath: dir + "/best"))
    }

    @Test func unequalCorpusFilesNameBothFilesAndCounts() throws {
        let vocab = try Self.vocabulary()
        let dir = Self.tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try "s1 s2\ns3\ns4\n".write(toFile: dir + "/a.src", atomically: true, encoding: .utf8)
        try "s2 s1\ns3\n".write(toFile: dir + "/a.tgt", atomically: true, encoding: .utf8)
        do {
            _ = try ParallelData.load(sourcePath: dir + "/a.src", targetPath: dir + "/a.tgt", sourceVocab: vocab,
                                      targetVocab: vocab, maxLength: 80)
            Issue.record("unequal files were accepted")
        } catch {
            let message = "\(error)"
            #expect(message.contains("a.src") && message.contains("a.tgt"), "\(message)")
            #expect(message.contains("3") && message.contains("2"), "\(message)")
        }
    }

    @Test func longAndEmptyPairsAreDroppedAndCounted() throws {
        let vocab = try Self.vocabulary()
        let dir = Self.tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try "s1 s2\n\ns1 s2 s3 s4 s5\ns3\n".write(toFile: dir + "/b.src", atomically: true, encoding: .utf8)
        try "s2 s1\ns1\ns1\n\n".write(toFile: dir + "/b.tgt", atomically: true, encoding: .utf8)
        let d = try ParallelData.load(sourcePath: dir + "/b.src", targetPath: dir + "/b.tgt", sourceVocab: vocab,
                                      targetVocab: vocab, maxLength: 4)
        #expect(d.pairs.count == 1 && d.droppedEmpty == 2 && d.droppedLong == 1)
    }

    /// --reverse-target's training data: the same pairs, target ids last token first.
    @Test func reversedTargetsAreTheTargetsBackwards() throws {
        let vocab = try Self.vocabulary()
        let dir = Self.tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try "s1 s2\ns3 s1\n".write(toFile: dir + "/c.src", atomically: true, encoding: .utf8)
        try "s2 s1 s3\ns3\n".write(toFile: dir + "/c.tgt", atomically: true, encoding: .utf8)
        let l2r = try ParallelData.load(sourcePath: dir + "/c.src", targetPath: dir + "/c.tgt", sourceVocab: vocab,
                                        targetVocab: vocab, maxLength: 80)
        let r2l = try ParallelData.load(sourcePath: dir + "/c.src", targetPath: dir + "/c.tgt", sourceVocab: vocab,
                                        targetVocab: vocab, maxLength: 80, reverseTarget: true)
        #expect(l2r.pairs.count == 2 && r2l.pairs.count == 2)
        #expect(l2r.pairs[0].target.count == 3 && l2r.pairs[0].target != r2l.pairs[0].target)
        for (a, b) in zip(l2r.pairs, r2l.pairs) {
            #expect(a.source == b.source && Array(a.target.reversed()) == b.target)
        }
    }
}

