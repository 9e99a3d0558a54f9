// Bridge s0 = tanh(W·[h_fwd ; h_bwd] + b): gradient check (weight, bias, input).

import NMTLayers
import NMTTensor
import NMTTestSupport
import Testing
@testable import NMTLayers

@Test func bridgeGradients() {
    let B = 3, C = 6, Hd = 4
    let arena = ParameterArena()
    let bridge = Bridge(arena, input: C, output: Hd)
    arena.allocate(seed: 1)
    #expect(arena.param(named: "bridge.weight")?.shape == [Hd, C] && arena.param(named: "bridge.bias")?.shape == [Hd])
    fillUniform(arena.values, count: arena.count, scale: 0.7, seed: 2)
    let h = DecFixture.random([B, C], seed: 3), w = DecFixture.random([B, Hd], seed: 4)
    let s0 = Tensor([B, Hd])
    func loss() -> Double {
        bridge.forward(arena, h.matrix, into: s0.matrix)
        return projectedLoss(s0.ptr, w.ptr, count: B * Hd)
    }
    _ = loss()
    arena.zeroGrads()
    let dS0 = Tensor([B, Hd], w.array), dH = Tensor([B, C])
    bridge.backward(arena, h: h.matrix, s0: s0.matrix, dS0: dS0.matrix, dH: dH.matrix)
    DecFixture.gradCheckAll(arena, loss: loss)
    DecFixture.gradCheck("h", values: h.ptr, analytic: dH.ptr, count: h.count, loss: loss)
}
