// Additive attention: gradient check with a padded source (W_q, U_k, b, v, query, encOut), the
// reference forward values, and exact masking (zero weight at padded positions, rows sum to 1).

import Foundation
import NMTLayers
import NMTTensor
import NMTTestSupport
import Testing
@testable import NMTLayers

@Test func attentionGradientsWithPaddedSource() {
    let Bs = 3, Tx = 4, Hd = 4, C = 6, A = 3
    let lens = [4, 2, 3]
    let arena = ParameterArena()
    let att = Attention(arena, name: "a", query: Hd, context: C, attention: A)
    arena.allocate(seed: 1)
    fillUniform(arena.values, count: arena.count, scale: 0.8, seed: 2)
    let s = DecFixture.random([Bs, Hd], seed: 3), enc = DecFixture.random([Tx * Bs, C], seed: 4)
    let w = DecFixture.random([Bs, C], seed: 5)
    let cache = AttentionCache()
    func loss() -> Double {
        let c = att.forward(arena, state: s.matrix, encOut: enc.matrix, srcLengths: lens, cache: cache)
        return projectedLoss(c.ptr, w.ptr, count: Bs * C)
    }
    _ = loss()
    arena.zeroGrads()
    let dS = Tensor([Bs, Hd]), dEnc = Tensor([Tx * Bs, C])
    att.backward(arena, state: s.matrix, encOut: enc.matrix, dContext: w.matrix, cache: cache, dS: dS.matrix, dEncOut: dEnc.matrix)
    DecFixture.gradCheckAll(arena, samples: 30, loss: loss)
    DecFixture.gradCheck("query", values: s.ptr, analytic: dS.ptr, count: s.count, loss: loss)
    DecFixture.gradCheck("encOut", values: enc.ptr, analytic: dEnc.ptr, count: enc.count, samples: 72, loss: loss)
    // Padded source positions (row j·Bs + b, j ≥ len) get exactly zero gradient.
    for b in 0..<Bs { for j in lens[b]..<Tx { #expect(dEnc.matrix.row(j * Bs + b).pointee == 0 && (0..<C).allSatisfy { dEnc.matrix[j * Bs + b, $0] == 0 }) } }
    // dEncOut accumulates (fan-out): a second backward adds the same again.
    let before = dEnc.array
    att.backward(arena, state: s.matrix, encOut: enc.matrix, dContext: w.matrix, cache: cache, dS: dS.matrix, dEncOut: dEnc.matrix)
    DecFixture.expectClose(dEnc.array, before.map { 2 * $0 }, "dEncOut accumulates")
}

@Test func attentionGradientsWideAttention() {
    // A = 13: SIMD chunk plus tail in the score / backward kernels.
    let Bs = 2, Tx = 3, Hd = 3, C = 9, A = 13
    let lens = [2, 3]
    let arena = ParameterArena()
    let att = Attention(arena, name: "a", query: Hd, context: C, attention: A)
    arena.allocate(seed: 1)
    fillUniform(arena.values, count: arena.count, scale: 0.5, seed: 22)
    let s = DecFixture.random([Bs, Hd], seed: 23), enc = DecFixture.random([Tx * Bs, C], seed: 24)
    let w = DecFixture.random([Bs, C], seed: 25)
    let cache = AttentionCache()
    func loss() -> Double {
        projectedLoss(att.forward(arena, state: s.matrix, encOut: enc.matrix, srcLengths: lens, cache: cache).ptr, w.ptr, count: Bs * C)
    }
    _ = loss()
    arena.zeroGrads()
    let dS = Tensor([Bs, Hd]), dEnc = Tensor([Tx * Bs, C])
    att.backward(arena, state: s.matrix, encOut: enc.matrix, dContext: w.matrix, cache: cache, dS: dS.matrix, dEncOut: dEnc.matrix)
    DecFixture.gradCheckAll(arena, samples: 30, loss: loss)
    DecFixture.gradCheck("query", values: s.ptr, analytic: dS.ptr, count: s.count, loss: loss)
    DecFixture.gradCheck("encOut", values: enc.ptr, analytic: dEnc.ptr, count: enc.count, samples: 30, loss: loss)
}

@Test func attentionMatchesReference() {
    let arena = ParameterArena()
    let att = Attention(arena, name: "a", query: 3, context: 4, attention: 2)
    arena.allocate(seed: 1)
    DecFixture.det(arena, "a.W_q", k: 10, scale: 2); DecFixture.det(arena, "a.U_k", k: 11, scale: 2)
    DecFixture.det(arena, "a.b", k: 12); DecFixture.det(arena, "a.v", k: 13, scale: 4)
    let s = Tensor([2, 3]), enc = Tensor([6, 4])
    DecFixture.det(s, k: 14, scale: 2); DecFixture.det(enc, k: 15, scale: 2)
    let cache = AttentionCache()
    let c = att.forward(arena, state: s.matrix, encOut: enc.matrix, srcLengths: [3, 2], cache: cache)
    // python3 scripts/reference/gru_attention_reference.py → attn_alpha, attn_context
    DecFixture.expectClose(cache.alpha.array, [0.206455329, 0.60201962, 0.191525051, 0.506584, 0.493416, 0], "attn_alpha")
    DecFixture.expectClose(c.array, [0.18063697, 0.207565553, 0.206401148, 0.177301297,
                                     0.0717643001, 0.0875014968, 0.0913957653, 0.0829200551], "attn_context")
}

@Test func attentionWeightsMaskedAndNormalized() {
    let Bs = 4, Tx = 6, Hd = 5, C = 7, A = 9
    let lens = [6, 1, 3, 5]
    let arena = ParameterArena()
    let att = Attention(arena, name: "a", query: Hd, context: C, attention: A)
    arena.allocate(seed: 3)
    let s = DecFixture.random([Bs, Hd], scale: 3, seed: 6), enc = DecFixture.random([Tx * Bs, C], scale: 3, seed: 7)
    // Huge values at padded positions must not leak into the context.
    for b in 0..<Bs { for j in lens[b]..<Tx { for c in 0..<C { enc.matrix[j * Bs + b, c] = 1e30 } } }
    let cache = AttentionCache()
    let ctx = att.forward(arena, state: s.matrix, encOut: enc.matrix, srcLengths: lens, cache: cache)
    let alpha = cache.alpha.matrix
    for b in 0..<Bs {
        var sum: Float = 0
        for j in 0..<Tx {
            if j >= lens[b] { #expect(alpha[b, j] == 0) } else { #expect(alpha[b, j] > 0); sum += alpha[b, j] }
        }
        #expect(abs(sum - 1) < 1e-6, "row \(b) sums to \(sum)")
    }
    #expect(ctx.array.allSatisfy { $0.isFinite && abs($0) < 10 })
}
