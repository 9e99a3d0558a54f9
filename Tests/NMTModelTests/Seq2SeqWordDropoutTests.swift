import NMTLayers
import NMTModel
import NMTTensor
import NMTTestSupport
import Testing

/// Word dropout in the translation model (--dropout-src, --dropout-tgt): gradients through it,
/// dropped tokens that no longer matter, and nothing changed when it is off or at evaluation.
@Suite struct Seq2SeqWordDropoutTests {
    static func config(source: Float, target: Float, dropout: Float = 0.2) -> Seq2SeqConfig {
        var c = Seq2SeqTests.tinyConfig(output: .tiedProjected)
        c.dropout = dropout
        c.sourceWordDropout = source; c.targetWordDropout = target
        return c
    }

    @Test func gradientsMatchCentralDifferencesWithWordDropout() {
        let model = Seq2Seq(Self.config(source: 0.3, target: 0.3), seed: 11)
        let b = Seq2SeqTests.padded
        let tokens = Double(b.targetLengths.reduce(0, +))
        let checked = checkParameterGradients(model.arena) { rng, backward in
            model.run(b, rng: &rng, training: true, backward: backward).loss / tokens
        }
        #expect(checked > 150)
    }

    /// In training, a dropped source token's id has no effect on the loss; with the same draws
    /// and no word dropout every token's id has one. The seed's mask drops some and keeps some.
    @Test func aDroppedSourceTokenDoesNotMatter() {
        let b = Seq2SeqTests.padded
        func sensitivity(_ p: Float) -> [Bool] {
            let model = Seq2Seq(Self.config(source: p, target: 0, dropout: 0), seed: 4)
            func loss(_ batch: Seq2SeqBatch) -> Double {
                var rng = RNG(seed: 8)
                return model.run(batch, rng: &rng, training: true, backward: false).loss
            }
            let base = loss(b)
            return b.sourceIds.indices.filter { b.sourceIds[$0] != 0 }.map { i in
                var changed = b
                changed.sourceIds[i] = changed.sourceIds[i] == 5 ? 6 : 5
                return loss(changed) != base
            }
        }
        let without = sensitivity(0), with = sensitivity(0.5)
        #expect(without.allSatisfy { $0 })
        #expect(with.contains(true) && with.contains(false), "\(with)")
    }

    /// Evaluation ignores word dropout; training with it draws more random numbers and drops
    /// some embeddings, so the loss differs from the same draws without it.
    @Test func offAtEvaluationOnInTraining() {
        let b = Seq2SeqTests.padded
        let plain = Seq2Seq(Self.config(source: 0, target: 0), seed: 6)
        let dropping = Seq2Seq(Self.config(source: 0.4, target: 0.4), seed: 6)
        #expect(plain.evaluate(b).loss == dropping.evaluate(b).loss)
        var r1 = RNG(seed: 3), r2 = RNG(seed: 3)
        let a = plain.run(b, rng: &r1, training: true, backward: false).loss
        let dropped = dropping.run(b, rng: &r2, training: true, backward: false).loss
        #expect(dropped != a && r2 != r1)
    }
}
