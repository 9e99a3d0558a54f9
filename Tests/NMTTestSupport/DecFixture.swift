// Deterministic fixtures shared by the layer and model tests (the formulas of the reference
// scripts in scripts/reference/), and closeness / gradient checks that report through Testing.

import Foundation
import NMTLayers
import NMTTensor
import Testing

public enum DecFixture {
    /// det(i, k) = Float(0.5·sin(0.37·i + 0.71·k))·scale — the formula of the reference script.
    public static func det(_ ptr: UnsafeMutablePointer<Float>, count: Int, k: Int, scale: Float = 1) {
        for i in 0..<count { ptr[i] = Float(0.5 * sin(0.37 * Double(i) + 0.71 * Double(k))) * scale }
    }
    public static func det(_ t: Tensor, k: Int, scale: Float = 1) { det(t.ptr, count: t.count, k: k, scale: scale) }
    public static func det(_ arena: ParameterArena, _ name: String, k: Int, scale: Float = 1) {
        guard let p = arena.param(named: name) else { Issue.record("no parameter \(name)"); return }
        det(arena.values + p.offset, count: p.count, k: k, scale: scale)
    }
    public static func random(_ shape: [Int], scale: Float = 1, seed: UInt64) -> Tensor {
        let t = Tensor(shape)
        fillUniform(t.ptr, count: t.count, scale: scale, seed: seed)
        return t
    }
    public static func expectClose(_ got: [Float], _ want: [Float], tol: Float = 1e-5, _ what: String) {
        #expect(got.count == want.count, "\(what): \(got.count) values, want \(want.count)")
        let d = maxRelativeDifference(got, want)
        #expect(d <= tol, "\(what): max difference \(d)\n got  \(got)\n want \(want)")
    }

    /// Central differences on (a sample of) `count` floats at `values` against `analytic`;
    /// expects the worst relative-with-floor error below `tol`.
    public static func gradCheck(_ label: String, values: UnsafeMutablePointer<Float>, analytic: UnsafePointer<Float>,
                          count: Int, samples: Int = 40, eps: Float = 1e-2, tol: Double = 2e-2,
                          floor: Double = 5e-3, loss: () -> Double) {
        let idx = sampleIndices(count, samples, seed: UInt64(count) &* 31 &+ 5)
        let numeric = numericalGradient(of: loss, at: values, count: count, indices: idx, eps: eps)
        let m = compareGradients(analytic: analytic, numeric: numeric, floor: floor)
        #expect(m.worst < tol, "\(label): \(m)")
    }

    /// Every parameter of the arena.
    public static func gradCheckAll(_ arena: ParameterArena, samples: Int = 40, eps: Float = 1e-2, tol: Double = 2e-2,
                             loss: () -> Double) {
        for p in arena.params {
            gradCheck(p.name, values: arena.values + p.offset, analytic: arena.grads + p.offset, count: p.count,
                      samples: samples, eps: eps, tol: tol, loss: loss)
        }
    }
}
