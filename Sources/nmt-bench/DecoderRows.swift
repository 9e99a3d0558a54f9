// Rows for the decoder-side layers (GRU cell, attention, softmax cross-entropy, whole decoder)
// at the same training shape: B = 64, Tx = Ty = 14, E = 256, C = 2·256, Hd = A = P = 512, V = 6000.

import NMTLayers
import NMTModel
import NMTTensor
import NMTText

func decoderSideRows(reps: Int) -> [Row] {
    let B = 64, T = 14, E = 256, C = 512, Hd = 512, A = 512, P = 512, V = 6000
    let N = T * B
    var rows: [Row] = []
    let lengths = [Int](repeating: T, count: B)

    // GRU cell, input [emb ; context] = 768, hidden 512: T steps of forward (input projection included).
    do {
        let arena = ParameterArena()
        let gru = GRU(arena, name: "gru", input: E + C, hidden: Hd)
        arena.allocate(seed: 1)
        let x = Tensor([B, E + C]), h = Tensor([B, Hd]), dH = Tensor([B, Hd]), dX = Tensor([B, E + C]), dHPrev = Tensor([B, Hd])
        fill(x, seed: 1); fill(h, seed: 2, scale: 0.5); fill(dH, seed: 3, scale: 0.01)
        let cache = GRUStepCache()
        let f = timeMs(reps) { for _ in 0..<T { _ = gru.forward(arena, x: x.matrix, hPrev: h.matrix, cache: cache) } }
        let fb = timeMs(reps) {
            for _ in 0..<T {
                _ = gru.forward(arena, x: x.matrix, hPrev: h.matrix, cache: cache)
                gru.backward(arena, x: x.matrix, hPrev: h.matrix, dHNew: dH.matrix, cache: cache, dX: dX.matrix, dHPrev: dHPrev.matrix)
            }
        }
        let flop = Double(T) * 2 * Double(B * 3 * Hd * (E + C + Hd))
        rows.append(Row(name: "GRU cell 768→512, \(T) single steps", fwdMs: f, fwdBwdMs: fb, fwdFlop: flop, fwdBwdFlop: 3 * flop,
                        formula: "T · 2·B·3Hd·(In+Hd); bwd 2× fwd"))
    }

    // Additive attention, one decoder step over Tx = 14 source positions (keys recomputed per call).
    do {
        let arena = ParameterArena()
        let att = Attention(arena, name: "attn", query: Hd, context: C, attention: A)
        arena.allocate(seed: 1)
        let s = Tensor([B, Hd]), enc = Tensor([N, C]), dCtx = Tensor([B, C]), dS = Tensor([B, Hd]), dEnc = Tensor([N, C])
        fill(s, seed: 4, scale: 0.5); fill(enc, seed: 5, scale: 0.5); fill(dCtx, seed: 6, scale: 0.01)
        let cache = AttentionCache()
        let f = timeMs(reps) { _ = att.forward(arena, state: s.matrix, encOut: enc.matrix, srcLengths: lengths, cache: cache) }
        let fb = timeMs(reps) {
            _ = att.forward(arena, state: s.matrix, encOut: enc.matrix, srcLengths: lengths, cache: cache)
            att.backward(arena, state: s.matrix, encOut: enc.matrix, dContext: dCtx.matrix, cache: cache, dS: dS.matrix, dEncOut: dEnc.matrix)
        }
        let flop = 2.0 * Double(N * C * A + B * Hd * A + N * A + N * C)
        rows.append(Row(name: "Attention, 1 step, keys included", fwdMs: f, fwdBwdMs: fb, fwdFlop: flop, fwdBwdFlop: 3 * flop,
                        formula: "2·(Tx·B·C·A + B·Hd·A + Tx·B·A + Tx·B·C); bwd ≈ 2× fwd"))
    }

    // Label-smoothed softmax cross-entropy over all N target positions.
    do {
        let logits = Tensor([N, V]), saved = Tensor([N, V])
        fill(saved, seed: 7, scale: 3)
        var rng = RNG(seed: 8)
        let targets = (0..<N).map { _ in Int32(SpecialIds.count + rng.int(below: V - SpecialIds.count)) }   // ordinary words
        let f = timeMs(reps) {
            logits.matrix.copy(from: saved.matrix)
            _ = SoftmaxCrossEntropy.forwardBackward(logits: logits.matrix, targets: targets, smoothing: 0.1, writeGradient: false,
                                                              paddingId: SpecialIds.pad)
        }
        let fb = timeMs(reps) {
            logits.matrix.copy(from: saved.matrix)
            _ = SoftmaxCrossEntropy.forwardBackward(logits: logits.matrix, targets: targets, smoothing: 0.1, writeGradient: true,
                                                              paddingId: SpecialIds.pad)
        }
        rows.append(Row(name: "Softmax CE (896×6000, ls 0.1, incl. copy)", fwdMs: f, fwdBwdMs: fb, fwdFlop: 0, fwdBwdFlop: 0,
                        formula: "no gemm FLOPs"))
    }

    // Whole decoder (GRU + attention + input feeding + pre-output), Ty = Tx = 14, without the output projection.
    do {
        let arena = ParameterArena()
        let cfg = DecoderConfig(embedding: E, context: C, hidden: Hd, attention: A, preOutput: P, dropout: 0.3)
        let dec = Decoder(arena, config: cfg)
        arena.allocate(seed: 1)
        let emb = Tensor([N, E]), enc = Tensor([N, C]), s0 = Tensor([B, Hd])
        let dO = Tensor([N, P]), dEmb = Tensor([N, E]), dEnc = Tensor([N, C]), dS0 = Tensor([B, Hd])
        fill(emb, seed: 9, scale: 0.5); fill(enc, seed: 10, scale: 0.5); fill(s0, seed: 11, scale: 0.5); fill(dO, seed: 12, scale: 0.01)
        var rng = RNG(seed: 13)
        let f = timeMs(reps) {
            dec.forward(arena, targetEmbedded: emb.matrix, encOut: enc.matrix, srcLengths: lengths, tgtLengths: lengths,
                        s0: s0.matrix, rng: &rng, training: true)
        }
        let fb = timeMs(reps) {
            dec.forward(arena, targetEmbedded: emb.matrix, encOut: enc.matrix, srcLengths: lengths, tgtLengths: lengths,
                        s0: s0.matrix, rng: &rng, training: true)
            dEnc.zero()
            dec.backward(arena, dO: dO.matrix, dTargetEmbedded: dEmb.matrix, dEncOut: dEnc.matrix, dS0: dS0.matrix)
        }
        let perToken = 2.0 * Double(3 * Hd * (E + C + Hd) + A * Hd + T * (A + C) + P * (Hd + C))
        let flop = Double(N) * perToken + 2.0 * Double(N * C * A)
        rows.append(Row(name: "Decoder (GRU+attention+pre-output), Ty 14", fwdMs: f, fwdBwdMs: fb, fwdFlop: flop, fwdBwdFlop: 3 * flop,
                        formula: "Ty·B·2·(3Hd·(E+C+Hd) + A·Hd + Tx·(A+C) + P·(Hd+C)) + keys 2·Tx·B·C·A; bwd 2× fwd"))
    }
    return rows
}
