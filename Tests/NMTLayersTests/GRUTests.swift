// GRU cell: gradient check of one batched step (every parameter, x, h), a forward value from
// scripts/reference/gru_attention_reference.py, and padded rows carrying the state through.

import Foundation
import NMTLayers
import NMTTensor
import NMTTestSupport
import Testing
@testable import NMTLayers


@Test func gruStepGradients() {
    let B = 3, In = 5, H = 4
    let arena = ParameterArena()
    let gru = GRU(arena, name: "g", input: In, hidden: H)
    arena.allocate(seed: 1)
    fillUniform(arena.values, count: arena.count, scale: 0.6, seed: 2)
    let x = DecFixture.random([B, In], seed: 3), h = DecFixture.random([B, H], scale: 0.8, seed: 4)
    let w = DecFixture.random([B, H], seed: 5)
    let cache = GRUStepCache()
    func loss() -> Double {
        let y = gru.forward(arena, x: x.matrix, hPrev: h.matrix, cache: cache)
        return projectedLoss(y.ptr, w.ptr, count: B * H)
    }
    _ = loss()
    arena.zeroGrads()
    let dX = Tensor([B, In]), dH = Tensor([B, H])
    gru.backward(arena, x: x.matrix, hPrev: h.matrix, dHNew: w.matrix, cache: cache, dX: dX.matrix, dHPrev: dH.matrix)
    DecFixture.gradCheckAll(arena, samples: 60, loss: loss)
    DecFixture.gradCheck("x", values: x.ptr, analytic: dX.ptr, count: x.count, loss: loss)
    DecFixture.gradCheck("h", values: h.ptr, analytic: dH.ptr, count: h.count, loss: loss)
}

@Test func gruStepGradientsWideHidden() {
    // H = 11: one full SIMD8 chunk and a tail in every gate.
    let B = 2, In = 3, H = 11
    let arena = ParameterArena()
    let gru = GRU(arena, name: "g", input: In, hidden: H)
    arena.allocate(seed: 1)
    fillUniform(arena.values, count: arena.count, scale: 0.5, seed: 12)
    let x = DecFixture.random([B, In], seed: 13), h = DecFixture.random([B, H], scale: 0.8, seed: 14)
    let w = DecFixture.random([B, H], seed: 15)
    let cache = GRUStepCache()
    func loss() -> Double {
        projectedLoss(gru.forward(arena, x: x.matrix, hPrev: h.matrix, cache: cache).ptr, w.ptr, count: B * H)
    }
    _ = loss()
    arena.zeroGrads()
    let dX = Tensor([B, In]), dH = Tensor([B, H])
    gru.backward(arena, x: x.matrix, hPrev: h.matrix, dHNew: w.matrix, cache: cache, dX: dX.matrix, dHPrev: dH.matrix)
    DecFixture.gradCheckAll(arena, samples: 30, loss: loss)
    DecFixture.gradCheck("h", values: h.ptr, analytic: dH.ptr, count: h.count, loss: loss)
}

@Test func gruStepMatchesReference() {
    let arena = ParameterArena()
    let gru = GRU(arena, name: "g", input: 3, hidden: 3)
    arena.allocate(seed: 1)
    DecFixture.det(arena, "g.W_ih", k: 0); DecFixture.det(arena, "g.W_hh", k: 1)
    DecFixture.det(arena, "g.b_ih", k: 2); DecFixture.det(arena, "g.b_hh", k: 3)
    let x = Tensor([2, 3]), h = Tensor([2, 3])
    DecFixture.det(x, k: 4, scale: 2); DecFixture.det(h, k: 5, scale: 2)
    let cache = GRUStepCache()   // owns the output: keep it alive while y is read
    let y = gru.forward(arena, x: x.matrix, hPrev: h.matrix, cache: cache)
    // python3 scripts/reference/gru_attention_reference.py → gru_h
    withExtendedLifetime(cache) {
    DecFixture.expectClose(y.array, [-0.4782225, -0.706526273, -0.456783242, -0.992361329, -0.949593792, -0.61090254], "gru_h")
    }
}

@Test func gruInactiveRowsCarryStateWithZeroGradient() {
    let B = 2, In = 3, H = 4
    let arena = ParameterArena()
    let gru = GRU(arena, name: "g", input: In, hidden: H)
    arena.allocate(seed: 1)
    fillUniform(arena.values, count: arena.count, scale: 0.6, seed: 2)
    let x = DecFixture.random([B, In], seed: 3), h = DecFixture.random([B, H], seed: 4)
    let xProj = Tensor([B, 3 * H]), gates = Tensor([B, 4 * H]), hNew = Tensor([B, H])
    gru.projectInput(arena, x.matrix, into: xProj.matrix)
    let active: [UInt8] = [1, 0]
    active.withUnsafeBufferPointer {
        gru.step(arena, xProj: xProj.matrix, hPrev: h.matrix, gates: gates.matrix, hNew: hNew.matrix, active: $0.baseAddress!)
    }
    #expect(Array(hNew.array[H..<2 * H]) == Array(h.array[H..<2 * H]))
    let dH = DecFixture.random([B, H], seed: 9)
    let dXProj = Tensor([B, 3 * H]), dHProj = Tensor([B, 3 * H]), dPrev = Tensor([B, H])
    GRU.gateBackward(dH: dH.matrix, hPrev: h.matrix, gates: gates.matrix, dXProj: dXProj.matrix,
                     dHProj: dHProj.matrix, dHPrev: dPrev.matrix)
    #expect(dXProj.array[3 * H..<6 * H].allSatisfy { $0 == 0 })
    #expect(dHProj.array[3 * H..<6 * H].allSatisfy { $0 == 0 })
    #expect(Array(dPrev.array[H..<2 * H]) == Array(dH.array[H..<2 * H]))
}

