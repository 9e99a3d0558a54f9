// The attention decoder with input feeding: whole-decoder gradient check (every parameter, target
// embeddings, encoder outputs, s0) with padded sources and targets and dropout on; reference
// forward values; padding invariance; masked attention weights; the inference step API against
// the training forward. Every cell, with and without layer normalisation.

import NMTText
import NMTTrain
import Foundation
import NMTLayers
import NMTTensor
import NMTTestSupport
import Testing
@testable import NMTModel

private let tinyConfig = DecoderConfig(embedding: 5, context: 6, hidden: 4, attention: 3, preOutput: 4, dropout: 0.3)

/// A decoder, its arena filled with uniform values (biases too, so every term matters).
private func makeDecoder(_ cfg: DecoderConfig = tinyConfig, seed: UInt64 = 2) -> (ParameterArena, Decoder) {
    let arena = ParameterArena()
    let dec = Decoder(arena, config: cfg)
    arena.allocate(seed: 1)
    fillUniform(arena.values, count: arena.count, scale: 0.6, seed: seed)
    return (arena, dec)
}

@Test func decoderParameterNames() {
    let (arena, _) = makeDecoder()
    let want: [(String, [Int])] = [("decoder.gru.W_ih", [12, 11]), ("decoder.gru.W_hh", [12, 4]), ("decoder.gru.b_ih", [12]),
                                   ("decoder.gru.b_hh", [12]), ("decoder.attn.W_q", [3, 4]), ("decoder.attn.U_k", [3, 6]),
                                   ("decoder.attn.b", [3]), ("decoder.attn.v", [3]), ("decoder.out.weight", [4, 10]),
                                   ("decoder.out.bias", [4])]
    #expect(arena.params.map(\.name) == want.map(\.0))
    for (n, s) in want { #expect(arena.param(named: n)?.shape == s, "\(n)") }
    // Another cell: its own tensors under decoder.<cell>.
    var cfg = tinyConfig
    cfg.cell = .peephole
    let (other, _) = makeDecoder(cfg)
    #expect(other.params.prefix(4).map(\.name) == ["decoder.peephole.W_ih", "decoder.peephole.W_hh", "decoder.peephole.b",
                                                   "decoder.peephole.peephole"])
    #expect(other.param(named: "decoder.peephole.W_ih")?.shape == [16, 11])
    // Layer normalisation: two gains of the gate width after the cell's tensors.
    cfg.layerNorm = true
    let arenaLN = ParameterArena()
    let decLN = Decoder(arenaLN, config: cfg)
    #expect(arenaLN.params.prefix(6).map(\.name) == ["decoder.peephole.W_ih", "decoder.peephole.W_hh", "decoder.peephole.b",
                                                     "decoder.peephole.peephole", "decoder.peephole.ln_ih.g",
                                                     "decoder.peephole.ln_hh.g"])
    #expect(arenaLN.param(named: "decoder.peephole.ln_hh.g")?.shape == [16])
    #expect(decLN.norm?.gains.map(\.name) == ["decoder.peephole.ln_ih.g", "decoder.peephole.ln_hh.g"])
    arenaLN.allocate(seed: 1)
    #expect(arenaLN.value(decLN.norm!.input.gain).array.allSatisfy { $0 == 1 })
}

/// Every sequence cell, without and with layer normalisation.
private let cellsAndNorm: [(CellKind, Bool)] = CellKind.sequenceCells.flatMap { [($0, false), ($0, true)] }

@Test(arguments: cellsAndNorm)
func decoderGradientsPaddedDropout(cell: CellKind, layerNorm: Bool) {
    var cfg = tinyConfig
    cfg.cell = cell
    cfg.layerNorm = layerNorm
    // Normalising a few columns is strongly curved: wider gates keep central differences exact.
    if layerNorm { cfg.hidden = 8 }
    let B = 3, Tx = 4, Ty = 3
    let src = [4, 2, 3], tgt = [3, 1, 2]
    let (arena, dec) = makeDecoder(cfg)
    let emb = DecFixture.random([Ty * B, cfg.embedding], seed: 3)
    let enc = DecFixture.random([Tx * B, cfg.context], seed: 4)
    let s0 = DecFixture.random([B, cfg.hidden], scale: 0.8, seed: 5)
    let w = DecFixture.random([Ty * B, cfg.preOutput], seed: 6)   // nonzero on padded rows too
    func loss() -> Double {
        var rng = RNG(seed: 99)   // same dropout mask at every evaluation
        let o = dec.forward(arena, targetEmbedded: emb.matrix, encOut: enc.matrix, srcLengths: src, tgtLengths: tgt,
                            s0: s0.matrix, rng: &rng, training: true)
        return projectedLoss(o.ptr, w.ptr, count: o.count)
    }
    _ = loss()
    arena.zeroGrads()
    let dEmb = Tensor([Ty * B, cfg.embedding]), dEnc = Tensor([Tx * B, cfg.context]), dS0 = Tensor([B, cfg.hidden])
    dec.backward(arena, dO: w.matrix, dTargetEmbedded: dEmb.matrix, dEncOut: dEnc.matrix, dS0: dS0.matrix)
    // Dropout really is on (some outputs of real rows are zeroed by the mask).
    var rng99 = RNG(seed: 99)
    let o = dec.forward(arena, targetEmbedded: emb.matrix, encOut: enc.matrix, srcLengths: src, tgtLengths: tgt,
                        s0: s0.matrix, rng: &rng99, training: true)
    #expect(o.array.filter { $0 == 0 }.count > B * cfg.preOutput)   // > the padded rows alone
    DecFixture.gradCheckAll(arena, samples: 30, loss: loss)
    DecFixture.gradCheck("targetEmbedded", values: emb.ptr, analytic: dEmb.ptr, count: emb.count, samples: 45, loss: loss)
    DecFixture.gradCheck("encOut", values: enc.ptr, analytic: dEnc.ptr, count: enc.count, samples: 72, loss: loss)
    DecFixture.gradCheck("s0", values: s0.ptr, analytic: dS0.ptr, count: s0.count, loss: loss)
    // Padded target rows: zero embedding gradient; padded source rows: zero encOut gradient.
    for t in 0..<Ty { for b in 0..<B where t >= tgt[b] { #expect((0..<cfg.embedding).allSatisfy { dEmb.matrix[t * B + b, $0] == 0 }) } }
    for j in 0..<Tx { for b in 0..<B where j >= src[b] { #expect((0..<cfg.context).allSatisfy { dEnc.matrix[j * B + b, $0] == 0 }) } }
}

@Test func decoderMatchesReference() {
    let cfg = DecoderConfig(embedding: 3, context: 4, hidden: 3, attention: 2, preOutput: 3, dropout: 0)
    let arena = ParameterArena()
    let dec = Decoder(arena, config: cfg)
    arena.allocate(seed: 1)
    let specs: [(String, Int, Float)] = [("decoder.gru.W_ih", 30, 1), ("decoder.gru.W_hh", 31, 1), ("decoder.gru.b_ih", 32, 1),
                                         ("decoder.gru.b_hh", 33, 1), ("decoder.attn.W_q", 34, 2), ("decoder.attn.U_k", 35, 2),
                                         ("decoder.attn.b", 36, 1), ("decoder.attn.v", 37, 4), ("decoder.out.weight", 38, 1),
                                         ("decoder.out.bias", 39, 1)]
    for (n, k, s) in specs { DecFixture.det(arena, n, k: k, scale: s) }
    let emb = Tensor([4, 3]), enc = Tensor([6, 4]), s0 = Tensor([2, 3])
    DecFixture.det(emb, k: 40, scale: 2); DecFixture.det(enc, k: 41, scale: 2); DecFixture.det(s0, k: 42)
    var rng = RNG(seed: 1)
    let o = dec.forward(arena, targetEmbedded: emb.matrix, encOut: enc.matrix, srcLengths: [3, 2], tgtLengths: [2, 1],
                        s0: s0.matrix, rng: &rng, training: false)
    // python3 scripts/reference/gru_attention_reference.py → dec_o, dec_alpha
    DecFixture.expectClose(o.array, [-0.301249512, -0.205005044, 0.779685894, 0.210325477, -0.217682618, 0.49508085,
                                     -0.0189995471, -0.473912342, 0.85538202, 0, 0, 0], "dec_o")
    DecFixture.expectClose(dec.attentionWeights.array, [0.00116183131, 0.997727544, 0.00111062495, 0.110734014, 0.889265986, 0,
                                                        0.00129315057, 0.997408335, 0.00129851397, 0, 0, 0], "dec_alpha")
}

@Test func decoderAttentionWeightsMasked() {
    let cfg = tinyConfig
    let B = 3, Tx = 5, Ty = 4
    let src = [5, 1, 3], tgt = [4, 2, 3]
    let (arena, dec) = makeDecoder()
    let emb = DecFixture.random([Ty * B, cfg.embedding], seed: 3), enc = DecFixture.random([Tx * B, cfg.context], seed: 4)
    let s0 = DecFixture.random([B, cfg.hidden], seed: 5)
    var rng = RNG(seed: 1)
    dec.forward(arena, targetEmbedded: emb.matrix, encOut: enc.matrix, srcLengths: src, tgtLengths: tgt, s0: s0.matrix,
                rng: &rng, training: true)
    let a = dec.attentionWeights
    for t in 0..<Ty {
        for b in 0..<B {
            let row = (0..<Tx).map { a[t * B + b, $0] }
            if t >= tgt[b] { #expect(row.allSatisfy { $0 == 0 }); continue }
            #expect(row[src[b]...].allSatisfy { $0 == 0 })
            #expect(abs(row.reduce(0, +) - 1) < 1e-6)
        }
    }
}

/// One sentence alone vs. in a batch with longer sources and targets: same outputs and gradients.
@Test(arguments: cellsAndNorm)
func decoderPaddingInvariance(cell: CellKind, layerNorm: Bool) {
    var cfg = tinyConfig
    cfg.dropout = 0
    cfg.cell = cell
    cfg.layerNorm = layerNorm
    let B = 3, Tx = 5, Ty = 4, me = 1
    let src = [5, 2, 4], tgt = [4, 2, 3]
    let (arena, dec) = makeDecoder(cfg)
    let emb = DecFixture.random([Ty * B, cfg.embedding], seed: 3), enc = DecFixture.random([Tx * B, cfg.context], seed: 4)
    let s0 = DecFixture.random([B, cfg.hidden], seed: 5)
    let w = DecFixture.random([Ty * B, cfg.preOutput], seed: 6)
    for t in 0..<Ty { for b in 0..<B where b != me { for p in 0..<cfg.preOutput { w.matrix[t * B + b, p] = 0 } } }
    // Garbage in the padding of the batch must not matter.
    for t in tgt[me]..<Ty { for e in 0..<cfg.embedding { emb.matrix[t * B + me, e] = 1e3 } }
    for j in src[me]..<Tx { for c in 0..<cfg.context { enc.matrix[j * B + me, c] = -1e3 } }
    var rng = RNG(seed: 1)
    let oBatch = dec.forward(arena, targetEmbedded: emb.matrix, encOut: enc.matrix, srcLengths: src, tgtLengths: tgt,
                             s0: s0.matrix, rng: &rng, training: false).array
    arena.zeroGrads()
    let dEmb = Tensor([Ty * B, cfg.embedding]), dEnc = Tensor([Tx * B, cfg.context]), dS0 = Tensor([B, cfg.hidden])
    dec.backward(arena, dO: w.matrix, dTargetEmbedded: dEmb.matrix, dEncOut: dEnc.matrix, dS0: dS0.matrix)
    let gBatch = Array(UnsafeBufferPointer(start: arena.grads, count: arena.count))

    // The same sentence alone (Tx = 2, Ty = 2).
    let ty = tgt[me], tx = src[me]
    let emb1 = Tensor([ty, cfg.embedding]), enc1 = Tensor([tx, cfg.context]), s01 = Tensor([1, cfg.hidden])
    let w1 = Tensor([ty, cfg.preOutput])
    for t in 0..<ty { emb1.matrix.rows(t..<t + 1).copy(from: emb.matrix.rows(t * B + me..<t * B + me + 1))
                      w1.matrix.rows(t..<t + 1).copy(from: w.matrix.rows(t * B + me..<t * B + me + 1)) }
    for j in 0..<tx { enc1.matrix.rows(j..<j + 1).copy(from: enc.matrix.rows(j * B + me..<j * B + me + 1)) }
    s01.matrix.copy(from: s0.matrix.rows(me..<me + 1))
    let o1 = dec.forward(arena, targetEmbedded: emb1.matrix, encOut: enc1.matrix, srcLengths: [tx], tgtLengths: [ty],
                         s0: s01.matrix, rng: &rng, training: false).array
    arena.zeroGrads()
    let dEmb1 = Tensor([ty, cfg.embedding]), dEnc1 = Tensor([tx, cfg.context]), dS01 = Tensor([1, cfg.hidden])
    dec.backward(arena, dO: w1.matrix, dTargetEmbedded: dEmb1.matrix, dEncOut: dEnc1.matrix, dS0: dS01.matrix)
    let gAlone = Array(UnsafeBufferPointer(start: arena.grads, count: arena.count))

    let P = cfg.preOutput, E = cfg.embedding, C = cfg.context
    var oMine: [Float] = [], dEmbMine: [Float] = [], dEncMine: [Float] = []
    for t in 0..<ty { oMine += oBatch[(t * B + me) * P..<(t * B + me + 1) * P]; dEmbMine += (0..<E).map { dEmb.matrix[t * B + me, $0] } }
    for j in 0..<tx { dEncMine += (0..<C).map { dEnc.matrix[j * B + me, $0] } }
    DecFixture.expectClose(oMine, o1, "outputs")
    DecFixture.expectClose(gBatch, gAlone, "parameter gradients")
    DecFixture.expectClose(dEmbMine, dEmb1.array, "dTargetEmbedded")
    DecFixture.expectClose(dEncMine, dEnc1.array, "dEncOut")
    DecFixture.expectClose((0..<cfg.hidden).map { dS0.matrix[me, $0] }, dS01.array, "dS0")
    // Rows of the sentence beyond its length: zero output, zero gradient.
    for t in ty..<Ty {
        #expect(oBatch[(t * B + me) * P..<(t * B + me + 1) * P].allSatisfy { $0 == 0 })
        #expect((0..<E).allSatisfy { dEmb.matrix[t * B + me, $0] == 0 })
    }
}

/// Token-by-token stepping (with beams sharing their sentence's keys) gives the training outputs.
@Test(arguments: cellsAndNorm)
func decoderStepAPIMatchesTrainingForward(cell: CellKind, layerNorm: Bool) {
    var cfg = tinyConfig
    cfg.dropout = 0.5   // ignored: training = false
    cfg.cell = cell
    cfg.layerNorm = layerNorm
    let B = 3, Tx = 4, Ty = 3
    let src = [4, 2, 3], tgt = [3, 3, 3]
    let (arena, dec) = makeDecoder(cfg)
    let emb = DecFixture.random([Ty * B, cfg.embedding], seed: 3), enc = DecFixture.random([Tx * B, cfg.context], seed: 4)
    let s0 = DecFixture.random([B, cfg.hidden], seed: 5)
    var rng = RNG(seed: 1)
    let oTrain = dec.forward(arena, targetEmbedded: emb.matrix, encOut: enc.matrix, srcLengths: src, tgtLengths: tgt,
                             s0: s0.matrix, rng: &rng, training: false)
    let aTrain = dec.attentionWeights
    let P = cfg.preOutput, E = cfg.embedding

    // Plain: one row per sentence.
    let st = dec.initState(arena, s0: s0.matrix, encOut: enc.matrix, srcLengths: src)
    for t in 0..<Ty {
        let o = dec.step(arena, prevEmbedded: emb.matrix.rows(t * B..<(t + 1) * B), state: st)
        DecFixture.expectClose(o.array, oTrain.rows(t * B..<(t + 1) * B).array, "step \(t)")
        DecFixture.expectClose(st.attentionWeights.array, aTrain.rows(t * B..<(t + 1) * B).array, "alpha \(t)")
    }

    // Beams: two rows per sentence, in a scrambled order, reordered between steps.
    let st2 = dec.initState(arena, s0: s0.matrix, encOut: enc.matrix, srcLengths: src)
    st2.select([2, 0, 1, 0, 2, 1])
    let e = Tensor([6, E])
    for t in 0..<Ty {
        for r in 0..<6 {
            let b = Int(st2.sentence[r])
            e.matrix.rows(r..<r + 1).copy(from: emb.matrix.rows(t * B + b..<t * B + b + 1))
        }
        let o = dec.step(arena, prevEmbedded: e.matrix, state: st2)
        for r in 0..<6 {
            let b = Int(st2.sentence[r])
            DecFixture.expectClose(Array(o.array[r * P..<(r + 1) * P]), Array(oTrain.array[(t * B + b) * P..<(t * B + b + 1) * P]),
                                   "beam row \(r) step \(t)")
            #expect(st2.sourceLength(row: r) == src[b])
        }
        st2.select([5, 4, 3, 2, 1, 0])
    }
    #expect(st2.rows == 6)
}

/// Release-mode throughput of decoder + output layer + loss at the reference sizes (B 64, Tx = Ty = 25,
/// V 6000). Off unless NMT_DEC_BENCH is set:
/// NMT_DEC_BENCH=1 swift test -c release --filter decoderThroughputBenchmark
@Test func decoderThroughputBenchmark() {
    guard ProcessInfo.processInfo.environment["NMT_DEC_BENCH"] != nil else { return }
    let cfg = DecoderConfig(embedding: 256, context: 512, hidden: 512, attention: 512, preOutput: 512, dropout: 0.3)
    let B = 64, Tx = 25, Ty = 25, V = 6000
    let arena = ParameterArena()
    let dec = Decoder(arena, config: cfg)
    let outL = Linear(arena, name: "gen", input: 512, output: V)
    arena.allocate(seed: 1)
    let emb = DecFixture.random([Ty * B, 256], seed: 3), enc = DecFixture.random([Tx * B, 512], seed: 4)
    let s0 = DecFixture.random([B, 512], seed: 5)
    let src = (0..<B).map { 10 + $0 % 16 }, tgt = (0..<B).map { 10 + ($0 * 7) % 16 }
    let logits = Tensor([Ty * B, V]), dO = Tensor([Ty * B, 512])
    let dEmb = Tensor([Ty * B, 256]), dEnc = Tensor([Tx * B, 512]), dS0 = Tensor([B, 512])
    var targets = [Int32](repeating: 0, count: Ty * B)
    for t in 0..<Ty { for b in 0..<B where t < tgt[b] { targets[t * B + b] = Int32(1 + (t * 31 + b) % (V - 1)) } }
    var rng = RNG(seed: 1)
    var tf = 0.0, tl = 0.0, tb = 0.0
    let tokens = tgt.reduce(0, +)
    for it in 0..<6 {
        let t0 = Date()
        let o = dec.forward(arena, targetEmbedded: emb.matrix, encOut: enc.matrix, srcLengths: src, tgtLengths: tgt, s0: s0.matrix, rng: &rng, training: true)
        let t1 = Date()
        outL.forward(arena, o, into: logits.matrix)
        _ = SoftmaxCrossEntropy.forwardBackward(logits: logits.matrix, targets: targets, smoothing: 0.1, gradScale: 1 / Float(tokens), paddingId: 0)
        outL.backward(arena, x: o, dY: logits.matrix, dX: dO.matrix)
        let t2 = Date()
        dec.backward(arena, dO: dO.matrix, dTargetEmbedded: dEmb.matrix, dEncOut: dEnc.matrix, dS0: dS0.matrix)
        let t3 = Date()
        if it >= 1 { tf += t1.timeIntervalSince(t0); tl += t2.timeIntervalSince(t1); tb += t3.timeIntervalSince(t2) }
    }
    let n = 5.0
    print(String(format: "BENCH decoder fwd %.1f ms, out+loss fwd/bwd %.1f ms, decoder bwd %.1f ms; %d tokens; %.0f tok/s (decoder+output only)",
                 tf / n * 1e3, tl / n * 1e3, tb / n * 1e3, tokens, Double(tokens) / ((tf + tl + tb) / n)))
}
