import Foundation
import NMTModel
import NMTStore
import NMTTrain
import Testing

/// --anneal: the learning rate falls linearly to 0 over the last share of the run's budget,
/// whichever budget (epochs, steps, minutes) ends first, and a run stopped inside the fall
/// resumes bit for bit; a budget that ends the run inside an epoch gets a last validation.
@Suite struct AnnealTests {
    @Test func factorFallsLinearlyOverTheLastShare() {
        var o = TrainerOptions()
        #expect(o.annealFactor(progress: 0.99) == 1)          // off by default
        o.anneal = 0.25
        #expect(o.annealFactor(progress: 0) == 1 && o.annealFactor(progress: 0.75) == 1)
        #expect(abs(o.annealFactor(progress: 0.8) - 0.8) < 1e-6)
        #expect(abs(o.annealFactor(progress: 0.95) - 0.2) < 1e-6)
        #expect(o.annealFactor(progress: 1) == 0)
        o.anneal = 1
        #expect(abs(o.annealFactor(progress: 0.3) - 0.7) < 1e-6)
    }

    @Test func progressIsTheLargestShareOfTheBudgetsSpent() {
        var o = TrainerOptions()
        o.maxEpochs = 10
        // Epochs only: 2 epochs and a quarter of the third of 10.
        #expect(abs(o.budgetProgress(epoch: 2, batchInEpoch: 25, batchesInEpoch: 100, step: 225, seconds: 600) - 0.225) < 1e-12)
        o.maxSteps = 300                                   // 225 of 300 steps: ahead of the epochs
        #expect(abs(o.budgetProgress(epoch: 2, batchInEpoch: 25, batchesInEpoch: 100, step: 225, seconds: 600) - 0.75) < 1e-12)
        o.maxMinutes = 12.5                                // 600 of 750 s: ahead of both
        #expect(abs(o.budgetProgress(epoch: 2, batchInEpoch: 25, batchesInEpoch: 100, step: 225, seconds: 600) - 0.8) < 1e-12)
        // Under mpirun the clock is not used (the processes' clocks differ).
        #expect(abs(o.budgetProgress(epoch: 2, batchInEpoch: 25, batchesInEpoch: 100, step: 225, seconds: 600,
                                     clockAgreed: false) - 0.75) < 1e-12)
        #expect(o.budgetProgress(epoch: 0, batchInEpoch: 0, batchesInEpoch: 100, step: 0, seconds: 2000) == 1)
    }

    /// Records each update's learning rate and can ask the loop to stop after a given step.
    final class Recorder: TrainingObserver {
        var rates: [Float] = []
        var stopAfter = 0
        weak var loop: TrainingLoop?
        func trainingProgress(epoch: Int, batch: Int, batches: Int, loss: Double, tokensPerSecond: Double, learningRate: Float) {
            rates.append(learningRate)
            if rates.count == stopAfter { loop?.stopRequested.set() }
        }
        func logLine(_ line: String) {}
    }

    @Test func annealedRunFollowsTheScheduleAndResumesBitForBit() throws {
        let vocab = try TrainerTests.vocabulary()
        let train = TrainerTests.reverseData(120, seed: 3, vocab: vocab)
        let valid = TrainerTests.reverseData(20, seed: 4, vocab: vocab)
        var options = TrainerOptions()
        options.batchTokens = 60          // ~12 batches an epoch: the fall crosses epochs and validations
        options.logEvery = 0
        options.maxSteps = 31
        options.anneal = 0.5
        options.emaDecay = 0.9
        let dirA = TrainerTests.tempDir(), dirB = TrainerTests.tempDir()
        defer { try? FileManager.default.removeItem(atPath: dirA); try? FileManager.default.removeItem(atPath: dirB) }
        // Uninterrupted: 31 steps; update k (0-based) runs at 1e-3 · min(1, (1 − k/31) / 0.5), the step
        // budget being ahead of the 20 epochs.
        let a = TrainerTests.tinyModel(vocab, dropout: 0.3, seed: 9)
        let ta = try Trainer(model: a, sourceVocab: vocab, targetVocab: vocab, train: train, valid: valid,
                             options: options, outputDir: dirA)
        let recA = Recorder()
        ta.observer = recA
        let stateA = try ta.run()
        #expect(stateA.step == 31 && stateA.epoch >= 2)
        let expected = (0..<31).map { k in 1e-3 * min(1, (1 - Double(k) / 31) / 0.5) }
        #expect(recA.rates.count == 31)
        #expect(zip(recA.rates, expected).allSatisfy { abs(Double($0) - $1) < 1e-9 }, "\(recA.rates)")
        #expect(recA.rates.last! > 0 && recA.rates[14] == recA.rates[0] && recA.rates[16] < recA.rates[15])
        // The budget ended the run inside an epoch: its last steps were validated as well.
        #expect(stateA.batchInEpoch > 0)
        let log = try String(contentsOfFile: dirA + "/train.log.jsonl", encoding: .utf8)
        let lastValid = log.split(separator: "\n").last { $0.contains("\"type\":\"valid\"") }!
        let entry = try JSONSerialization.jsonObject(with: Data(lastValid.utf8)) as! [String: Any]
        #expect(entry["step"] as? Int == 31)
        // Stopped inside the fall (after 20 steps, the budget unchanged), resumed from disk.
        let b = TrainerTests.tinyModel(vocab, dropout: 0.3, seed: 9)
        let tb = try Trainer(model: b, sourceVocab: vocab, targetVocab: vocab, train: train, valid: valid,
                             options: options, outputDir: dirB)
        let recB = Recorder()
        recB.stopAfter = 20
        recB.loop = tb
        tb.observer = recB
        #expect(try tb.run().step == 20)
        let (loaded, state) = try Checkpoint.resume(dirB, as: Seq2Seq.self)
        let tc = try Trainer(model: loaded.model, sourceVocab: vocab, targetVocab: vocab, train: train, valid: valid,
                             options: options, outputDir: dirB, state: state)
        let recC = Recorder()
        tc.observer = recC
        #expect(try tc.run().step == 31)
        #expect(recB.rates + recC.rates == recA.rates)
        #expect(weightBits(a.arena) == weightBits(loaded.model.arena))
        // Without --anneal the same run ends elsewhere: the schedule changed the weights.
        options.anneal = 0
        let d = TrainerTests.tinyModel(vocab, dropout: 0.3, seed: 9)
        let dirD = TrainerTests.tempDir()
        defer { try? FileManager.default.removeItem(atPath: dirD) }
        try Trainer(model: d, sourceVocab: vocab, targetVocab: vocab, train: train, valid: valid,
                    options: options, outputDir: dirD).run()
        #expect(weightBits(d.arena) != weightBits(a.arena))
    }
}
