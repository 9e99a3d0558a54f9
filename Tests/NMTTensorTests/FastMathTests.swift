import Foundation
import NMTTensor
import Testing

/// simdExp / simdSigmoid / simdTanh (through vExp / vSigmoid / vTanh, both the SIMD body and the
/// scalar tail) against libm in Double over a dense grid of the useful range.
@Suite struct FastMathTests {
    /// Evaluates `v` on `n` evenly spaced points in [lo, hi] (n not a multiple of 8, so the tail
    /// path runs too) and returns the max absolute and relative error against `ref`.
    func errors(_ lo: Double, _ hi: Double, n: Int,
                _ v: (UnsafePointer<Float>, UnsafeMutablePointer<Float>, Int) -> Void,
                _ ref: (Double) -> Double) -> (abs: Double, rel: Double) {
        var x = [Float](repeating: 0, count: n)
        for i in 0..<n { x[i] = Float(lo + (hi - lo) * Double(i) / Double(n - 1)) }
        var y = [Float](repeating: 0, count: n)
        x.withUnsafeBufferPointer { xp in y.withUnsafeMutableBufferPointer { yp in v(xp.baseAddress!, yp.baseAddress!, n) } }
        var worstAbs = 0.0, worstRel = 0.0
        for i in 0..<n {
            let r = ref(Double(x[i]))
            let e = abs(Double(y[i]) - r)
            worstAbs = max(worstAbs, e)
            if r != 0 { worstRel = max(worstRel, e / abs(r)) }
        }
        return (worstAbs, worstRel)
    }

    @Test func expRelativeErrorOverTheWholeRange() {
        let e = errors(-87, 88, n: 400_003, { vExp($0, $1, count: $2) }, { Foundation.exp($0) })
        print("simdExp on [-87, 88]: max relative error \(e.rel)")
        #expect(e.rel < 4e-7)
        // Clamped ends stay finite.
        let big: [Float] = [-1000, -100, 100, 1000, 0]
        let out = big.map { simdExp($0) }
        #expect(out.allSatisfy { $0.isFinite } && out[4] == 1)
    }

    @Test func sigmoidError() {
        let e = errors(-30, 30, n: 300_001, { vSigmoid($0, $1, count: $2) }, { 1 / (1 + Foundation.exp(-$0)) })
        print("simdSigmoid on [-30, 30]: max absolute error \(e.abs), relative \(e.rel)")
        #expect(e.abs < 3e-7 && e.rel < 1e-6)
    }

    @Test func tanhError() {
        let e = errors(-15, 15, n: 300_001, { vTanh($0, $1, count: $2) }, { Foundation.tanh($0) })
        print("simdTanh on [-15, 15]: max absolute error \(e.abs)")
        #expect(e.abs < 3e-7)
        // Near zero, tanh(x) = 2σ(2x) - 1 cancels: the absolute error stays ~1 ulp of 1 (1.2e-7)
        // but the relative error grows like 1e-7/|x| (≈ 1e-4 at |x| = 1e-3). Harmless for gates
        // (their consumers add O(1) terms); a kernel needing relative accuracy near 0 would need
        // an odd polynomial for small |x|.
        let small = errors(-1e-3, 1e-3, n: 20_001, { vTanh($0, $1, count: $2) }, { Foundation.tanh($0) })
        print("simdTanh on [-1e-3, 1e-3]: max absolute error \(small.abs), relative \(small.rel)")
        #expect(small.abs < 2e-7)
    }

    /// SIMD8 over a buffer, eight at a time (the last block partial).
    static func map8(_ f: @escaping (Float8) -> Float8) -> (UnsafePointer<Float>, UnsafeMutablePointer<Float>, Int) -> Void {
        { x, y, n in
            var i = 0
            while i < n { let k = min(8, n - i); store8(f(load8(x + i, k)), y + i, k); i += 8 }
        }
    }

    /// The conversion-free SIMD8 versions in FastMathSIMD.swift (the cells written in Swift) and the
    /// buffer versions (CKernels at this process's level), over their ranges.
    @Test(arguments: [false, true])
    func simdVersionsMatchLibm(cKernels: Bool) {
        typealias Map = (UnsafePointer<Float>, UnsafeMutablePointer<Float>, Int) -> Void
        let cE: Map = { vExp($0, $1, count: $2) }, cS: Map = { vSigmoid($0, $1, count: $2) }, cT: Map = { vTanh($0, $1, count: $2) }
        let sE: Map = Self.map8 { simdExp($0) }, sS: Map = Self.map8 { simdSigmoid($0) }, sT: Map = Self.map8 { simdTanh($0) }
        let fe = cKernels ? cE : sE, fs = cKernels ? cS : sS, ft = cKernels ? cT : sT
        let e = errors(-87, 88, n: 400_003, fe, { Foundation.exp($0) })
        let s = errors(-30, 30, n: 300_001, fs, { 1 / (1 + Foundation.exp(-$0)) })
        let t = errors(-15, 15, n: 300_001, ft, { Foundation.tanh($0) })
        print("simdExp max relative error \(e.rel); simdSigmoid max absolute \(s.abs), relative \(s.rel); simdTanh max absolute \(t.abs)")
        #expect(e.rel < 4e-7)
        #expect(s.abs < 3e-7 && s.rel < 1e-6)
        #expect(t.abs < 3e-7)
        for x: Float in [-1000, -88, -87.3, -20, -1, -0.25, 0, 0.5, 3, 40, 88.3, 1000] {
            #expect(x < -87.3 || x > 88.3 || abs(Double(simdExp(x)) / Foundation.exp(Double(x)) - 1) < 4e-7, "exp(\(x))")
            #expect(simdExp(x).isFinite)
        }
        #expect(simdExp(Float(0)) == 1 && simdTanh(Float(0)) == 0 && simdSigmoid(Float(0)) == 0.5)
    }

    @Test func scalarVersionsAgreeWithVectorOnes() {
        for x: Float in [-9, -2.5, -0.3, 0, 0.7, 4, 11] {
            #expect(simdSigmoid(x) == simdSigmoid(Float8(repeating: x))[0])
            #expect(simdTanh(x) == simdTanh(Float8(repeating: x))[0])
            #expect(simdExp(x) == simdExp(Float8(repeating: x))[0])
        }
    }
}
