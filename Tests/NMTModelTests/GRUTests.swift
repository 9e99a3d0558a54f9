// GRU cell: gradient check of one batched step (every parameter, x, h), a forward value from
// scripts/reference/gru_attention_reference.py, and padded rows carrying the state through.
// Also holds `DecFixture`, the shared helpers of the decoder-side tests.

import Foundation
import Testing
import NMTTensor
import NMTTestSupport
@testable import NMTModel

enum DecFixture {
    /// det(i, k) = Float(0.5·sin(0.37·i + 0.71·k))·scale — the formula of the reference script.
    static func det(_ ptr: UnsafeMutablePointer<Float>, count: Int, k: Int, scale: Float = 1) {
        for i in 0..<count { ptr[i] = Float(0.5 * sin(0.37 * Double(i) + 0.71 * Double(k))) * scale }
    }
    static func det(_ t: Tensor, k: Int, scale: Float = 1) { det(t.ptr, count: t.count, k: k, scale: scale) }
    static func det(_ arena: ParameterArena, _ name: String, k: Int, scale: Float = 1) {
        guard let p = arena.param(named: name) else { Issue.record("no parameter \(name)"); return }
        det(arena.values + p.offset, count: p.count, k: k, scale: scale)
    }
    static func random(_ shape: [Int], scale: Float = 1, seed: UInt64) -> Tensor {
        let t = Tensor(shape)
        fillUniform(t.ptr, count: t.count, scale: scale, seed: seed)
        return t
    }
    static func expectClose(_ got: [Float], _ want: [Float], tol: Float = 1e-5, _ what: String) {
        #expect(got.count == want.count, "\(what): \(got.count) values, want \(want.count)")
        let d = maxRelativeDifference(got, want)
        #expect(d <= tol, "\(what): max difference \(d)\n got  \(got)\n want \(want)")
    }

    /// Central differences on (a sample of) `count` floats at `values` against `analytic`;
    /// expects the worst relative-with-floor error below `tol`.
    static func gradCheck(_ label: String, values: UnsafeMutablePointer<Float>, analytic: UnsafePointer<Float>,
                          count: Int, samples: Int = 40, eps: Float = 1e-2, tol: Double = 2e-2,
                          floor: Double = 5e-3, loss: () -> Double) {
        let idx = sampleIndices(count, samples, seed: UInt64(count) &* 31 &+ 5)
        let numeric = numericalGradient(of: loss, at: values, count: count, indices: idx, eps: eps)
        let m = compareGradients(analytic: analytic, numeric: numeric, floor: floor)
        #expect(m.worst < tol, "\(label): \(m)")
    }

    /// Every parameter of the arena.
    static func gradCheckAll(_ arena: ParameterArena, samples: Int = 40, eps: Float = 1e-2, tol: Double = 2e-2,
                             loss: () -> Double) {
        for p in arena.params {
            gradCheck(p.name, values: arena.values + p.offset, analytic: arena.grads + p.offset, count: p.count,
                      samples: samples, eps: eps, tol: tol, loss: loss)
        }
    }
}

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

