// The recurrent language model at tiny sizes, for every sequence cell: whole-model gradients
// against central differences (dropout on), independence from batch companions, token
// log-probabilities against the training loss, and the one-token step API (sampling) against the
// training forward.

import Foundation
import NMTLayers
import NMTModel
import NMTTensor
import NMTTestSupport
import NMTText
import NMTTrain
import Testing

@Suite struct LanguageModelTests {
    static func tiny(_ cell: CellKind, layers: Int = 2, dropout: Float = 0.25, tied: Bool = false) -> LanguageModel {
        LanguageModel(LanguageModelConfig(vocab: 11, cell: cell, embedding: 5, hidden: tied ? 5 : 6, layers: layers,
                                          dropout: dropout, tieEmbeddings: tied), seed: 4)
    }
    static let sentences: [[Int32]] = [[5, 6, 7, 8], [9], [10, 5, 6]]

    @Test(arguments: CellKind.sequenceCells)
    func gradientsMatchCentralDifferences(cell: CellKind) {
        let model = Self.tiny(cell)
        let batch = LMBatch(sentences: Self.sentences)
        #expect(batch.tokens == 4 + 1 + 1 + 1 + 3 + 1)
        let checked = checkParameterGradients(model.arena) { rng, backward in
            model.run(batch, rng: &rng, training: true, backward: backward).loss / Double(batch.tokens)
        }
        #expect(checked > 60)
    }

    @Test func tiedGradientsMatchCentralDifferences() {
        let model = Self.tiny(.gru, layers: 1, tied: true)
        #expect(model.arena.param(named: "generator.weight") == nil && model.arena.param(named: "generator.bias") != nil)
        let batch = LMBatch(sentences: Self.sentences)
        _ = checkParameterGradients(model.arena) { rng, backward in
            model.run(batch, rng: &rng, training: true, backward: backward).loss / Double(batch.tokens)
        }
    }

    /// A sentence's loss and gradients are the same alone and among longer and shorter ones.
    @Test(arguments: CellKind.sequenceCells)
    func lossAndGradientsDoNotDependOnBatchCompanions(cell: CellKind) {
        let model = Self.tiny(cell, dropout: 0)
        let arena = model.arena
        func grads(_ s: [[Int32]]) -> (LossResult, [Double]) {
            arena.zeroGrads()
            var rng = RNG(seed: 1)
            let r = model.run(LMBatch(sentences: s), rng: &rng, training: true, backward: true)
            return (r, (0..<arena.count).map { Double(arena.grads[$0]) * Double(r.tokens) })
        }
        let (a, gA) = grads([Self.sentences[2]])
        let (t, gT) = grads([Self.sentences[0], Self.sentences[2], Self.sentences[1]])
        let (o, gO) = grads([Self.sentences[0], Self.sentences[1]])
        #expect(abs((t.loss - o.loss) - a.loss) < 1e-4 * max(1, abs(a.loss)))
        var worst = 0.0
        for i in 0..<arena.count { worst = max(worst, abs((gT[i] - gO[i]) - gA[i]) / max(1e-3, abs(gA[i]))) }
        #expect(worst < 1e-3, "\(cell): worst relative gradient difference \(worst)")
    }

    /// Σ of the token log-probabilities is −(the loss's nll) without smoothing, per sentence
    /// order; padding rows are 0.
    @Test func tokenLogProbabilitiesSumToTheNegativeNLL() {
        let model = Self.tiny(.lstm)
        let batch = LMBatch(sentences: Self.sentences)
        let lp = model.tokenLogProbabilities(batch)
        let r = model.evaluate(batch)
        #expect(abs(lp.reduce(0, +) + r.nll) < 1e-4 * abs(r.nll))
        for (row, gold) in batch.output.enumerated() where gold == SpecialIds.pad { #expect(lp[row] == 0) }
        #expect(lp.allSatisfy { $0 <= 0 })
    }

    /// Stepping one token at a time (the sampler's path) gives the training forward's
    /// probabilities at every position, for every cell and two layers.
    @Test(arguments: CellKind.allCases)
    func stepAPIMatchesTheTrainingForward(cell: CellKind) {
        let model = Self.tiny(cell)
        let s: [Int32] = [5, 6, 7, 8, 9, 10, 5, 6]   // long enough for the clockwork's slow modules
        let lp = model.tokenLogProbabilities(LMBatch(sentences: [s, s]))   // B = 2, both rows the same sentence
        let state = model.initialState(rows: 2)
        let inputs = [SpecialIds.bos] + s, outputs = s + [SpecialIds.eos]
        for (t, id) in inputs.enumerated() {
            let logits = model.step([id, id], state: state)
            for r in 0..<2 {
                var m = -Double.infinity, sum = 0.0
                for j in 0..<11 { m = max(m, Double(logits[r, j])) }
                for j in 0..<11 { sum += exp(Double(logits[r, j]) - m) }
                let stepLP = Double(logits[r, Int(outputs[t])]) - m - log(sum)
                #expect(abs(stepLP - lp[t * 2 + r]) < 1e-5, "\(cell) position \(t) row \(r)")
            }
        }
    }

    /// Adam steps on a clockwork LM: the masked (fast-to-slow) recurrent blocks stay exactly zero.
    @Test func clockworkMaskStaysExactlyZeroAfterTraining() {
        let model = Self.tiny(.clockwork, layers: 1)
        let layer = model.layers[0]
        guard case .clockwork(let l) = layer else { Issue.record("not a clockwork layer"); return }
        let cell = l.cell
        var adam = Adam(AdamConfig(learningRate: 0.05))
        var rng = RNG(seed: 3)
        let before = model.arena.value(cell.W_hh).array
        for _ in 0..<30 {
            model.arena.zeroGrads()
            model.trainStep(LMBatch(sentences: Self.sentences), rng: &rng)
            adam.update(model.arena)
        }
        let w = model.arena.value(cell.W_hh)
        var masked = 0, moved = 0
        for i in 0..<cell.modules {
            for r in cell.bounds[i]..<cell.bounds[i + 1] {
                for c in 0..<cell.hidden {
                    if c < cell.bounds[i] { #expect(w[r, c] == 0); masked += 1 }
                    else if w[r, c] != before[r * cell.hidden + c] { moved += 1 }
                }
            }
        }
        #expect(masked > 0 && moved > masked, "masked \(masked), moved \(moved)")
    }

    /// An echo state LM trains its readout (the output layer) only: the embedding and the
    /// reservoir keep their values, and the loss still falls.
    @Test func echoStateTrainsOnlyItsReadout() {
        let model = Self.tiny(.esn, layers: 1, dropout: 0)
        let arena = model.arena
        let frozen = arena.params.filter { !$0.name.hasPrefix("generator") }
        let before = frozen.map { arena.value($0).array }
        var adam = Adam(AdamConfig(learningRate: 0.05))
        var rng = RNG(seed: 3)
        let batch = LMBatch(sentences: Self.sentences)
        let first = model.evaluate(batch).nll
        for _ in 0..<30 {
            arena.zeroGrads()
            model.trainStep(batch, rng: &rng)
            adam.update(arena)
        }
        #expect(zip(frozen, before).allSatisfy { arena.value($0.0).array == $0.1 })
        #expect(model.evaluate(batch).nll < 0.8 * first)
    }

    /// ‖∂L/∂s_t‖ against central differences: L = −ln p(</s>) as a function of the state after
    /// step t, evaluated by running the rest of the sentence from the perturbed state (forward
    /// only); d = 0 is the output layer's gradient. A recurrence with W_hh = 0 passes nothing back.
    @Test(arguments: [CellKind.rnn, .lstm, .clockwork])
    func stateGradientNormsMatchCentralDifferences(cell: CellKind) {
        let model = Self.tiny(cell, layers: 2, dropout: 0)
        let s: [Int32] = [5, 6, 7, 8]
        let T = s.count + 1, H = model.config.hidden, P = cell.stateParts
        let norms = model.stateGradientNorms(sentence: s)
        #expect(norms.count == T && norms.allSatisfy { $0 > 0 })
        // Inputs of the top layer (layer 0's outputs).
        let batch = LMBatch(sentences: [s])
        let x = Tensor([T, 5])
        batch.input.withUnsafeBufferPointer { model.embedding.forward(model.arena, ids: $0, into: x.matrix) }
        let below = Tensor([T, H])
        model.layers[0].forward(model.arena, x: x.matrix, lengths: [T], steps: T, outputs: below.matrix, final: [],
                                cache: RecurrentCache())
        let t = 1, n = T - 1 - t
        let state = (0..<P).map { _ in Tensor([1, H]) }
        let prefixOut = Tensor([t + 1, H])
        model.layers[1].forward(model.arena, x: below.matrix.rows(0 ..< t + 1), lengths: [t + 1], steps: t + 1,
                                outputs: prefixOut.matrix, final: state.map(\.matrix), cache: RecurrentCache())
        let suffix = Tensor([n, H])
        suffix.matrix.copy(from: below.matrix.rows(t + 1 ..< T))
        func loss() -> Double {
            let out = Tensor([n, H])
            model.layers[1].forward(model.arena, x: suffix.matrix, lengths: [n], steps: n, initial: state.map(\.matrix),
                                    outputs: out.matrix, final: [], cache: RecurrentCache(), firstStep: t + 1)
            let logits = Tensor([1, 11])
            model.generator.forward(model.arena, out.matrix.rows(n - 1 ..< n), into: logits.matrix)
            var m = -Double.infinity
            for j in 0..<11 { m = max(m, Double(logits.ptr[j])) }
            let lse = m + log((0..<11).reduce(0.0) { $0 + exp(Double(logits.ptr[$1]) - m) })
            return withExtendedLifetime(out) { lse - Double(logits.ptr[Int(SpecialIds.eos)]) }
        }
        withExtendedLifetime((x, prefixOut)) {}
        var sq = 0.0
        for part in state {
            let g = numericalGradient(of: loss, at: part.ptr, count: H, eps: 1e-2)
            for (_, v) in g { sq += v * v }
        }
        #expect(abs(sq.squareRoot() - norms[n]) < 1e-2 * norms[n], "\(cell): numeric \(sq.squareRoot()), analytic \(norms[n])")
        // Cut the recurrence: nothing reaches back (the LSTM's c path aside, so only for rnn).
        if cell == .rnn {
            model.arena.value(model.layers[1].parameters[1]).zero()
            let cut = model.stateGradientNorms(sentence: s)
            #expect(cut[0] > 0 && cut[1...].allSatisfy { $0 == 0 })
        }
    }
}
