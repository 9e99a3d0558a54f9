import NMTTensor
import NMTTestSupport
import Testing

/// gemm against a naive triple loop: all four transpose combinations, the single-row (sgemv)
/// path, alpha / beta, and strided column-block views for A, B and C.
@Suite struct GemmTests {
    func naive(_ a: MatrixRef, _ ta: Bool, _ b: MatrixRef, _ tb: Bool, _ c0: [Float], m: Int, n: Int, k: Int,
               alpha: Float, beta: Float) -> [Float] {
        var out = [Float](repeating: 0, count: m * n)
        for i in 0..<m {
            for j in 0..<n {
                var s = 0.0
                for p in 0..<k {
                    let av = ta ? a[p, i] : a[i, p]
                    let bv = tb ? b[j, p] : b[p, j]
                    s += Double(av) * Double(bv)
                }
                out[i * n + j] = Float(Double(alpha) * s + Double(beta) * Double(c0[i * n + j]))
            }
        }
        return out
    }

    /// Views of an (r, c) matrix inside a wider buffer (columns `off ..< off + c` of width c + 5).
    func view(_ r: Int, _ c: Int, strided: Bool, seed: UInt64) -> (Tensor, MatrixRef) {
        let width = strided ? c + 5 : c
        let t = Tensor([max(r, 1), width]); fillUniform(t.ptr, count: t.count, seed: seed)
        return (t, MatrixRef(t.ptr + (strided ? 3 : 0), rows: r, cols: c, ld: width))
    }

    /// Every engine, whatever Kernels.path (NMT_KERNELS) this process runs.
    @Test(arguments: [(false, false), (false, true), (true, false), (true, true)], GemmEngine.allCases)
    func matchesNaiveLoops(transpose: (Bool, Bool), engine: GemmEngine) {
        let (transA, transB) = transpose
        for (m, n, k) in [(1, 7, 5), (1, 1, 9), (4, 6, 3), (13, 9, 17), (2, 33, 1), (37, 70, 29)] {
            for strided in [false, true] {
                for (alpha, beta): (Float, Float) in [(1, 0), (0.5, 1), (-2, 0.25)] {
                    let (ta, a) = view(transA ? k : m, transA ? m : k, strided: strided, seed: 1)
                    let (tb, b) = view(transB ? n : k, transB ? k : n, strided: strided, seed: 2)
                    let (tc, c) = view(m, n, strided: strided, seed: 3)
                    let c0 = c.array
                    let expected = naive(a, transA, b, transB, c0, m: m, n: n, k: k, alpha: alpha, beta: beta)
                    gemm(a, transA: transA, b, transB: transB, into: c, alpha: alpha, beta: beta, engine: engine)
                    let got = c.array
                    let d = maxRelativeDifference(got, expected)
                    #expect(d < 1e-5, "\(engine) m \(m) n \(n) k \(k) tA \(transA) tB \(transB) strided \(strided) α \(alpha) β \(beta): \(d)")
                    _ = (ta, tb, tc)
                }
            }
        }
    }

    @Test func stridedOutputLeavesOtherColumnsAlone() {
        let (ta, a) = view(5, 4, strided: false, seed: 4)
        let (tb, b) = view(4, 6, strided: false, seed: 5)
        let wide = Tensor([5, 14]); wide.matrix.fill(9)
        gemm(a, b, into: wide.matrix.cols(4..<10))
        for r in 0..<5 {
            for c in 0..<14 where c < 4 || c >= 10 { #expect(wide.matrix[r, c] == 9) }
        }
        let single = Tensor([1, 14]); single.matrix.fill(9)
        gemm(a.rows(0..<1), b, into: single.matrix.cols(4..<10))
        #expect(single.matrix.cols(0..<4).array == [9, 9, 9, 9] && single.matrix.cols(10..<14).array == [9, 9, 9, 9])
        #expect(maxRelativeDifference(single.matrix.cols(4..<10).array, wide.matrix.cols(4..<10).rows(0..<1).array) < 1e-6)
        _ = (ta, tb)
    }
}
