import Foundation
import NMTLayers
import NMTTensor
import NMTTestSupport
import Testing

@Suite struct LayerNormTests {
    /// The reference's inputs (scripts/reference/layernorm_reference.py), built from the same formulas.
    func referenceSetup() -> (ParameterArena, LayerNorm, Tensor, Tensor) {
        let N = LayerNormReference.rows, G = LayerNormReference.width
        let arena = ParameterArena()
        let ln = LayerNorm(arena, name: "ln", width: G)
        arena.allocate(seed: 1)
        for j in 0..<G {
            arena.value(ln.gain).ptr[j] = Float(1 + 0.1 * cos(Double(j)))
            arena.value(ln.bias!).ptr[j] = Float(0.05 * Double(j) - 0.2)
        }
        let x = Tensor([N, G]), dY = Tensor([N, G])
        for r in 0..<N {
            for j in 0..<G {
                x.ptr[r * G + j] = Float(2 * sin(0.7 * Double(r * G + j) + 0.3) + 0.5 * Double(r))
                dY.ptr[r * G + j] = Float(cos(1.3 * Double(r * G + j)))
            }
        }
        return (arena, ln, x, dY)
    }

    func expectClose(_ a: UnsafePointer<Float>, _ b: [Float], _ what: String, tol: Float = 2e-6) {
        let worst = b.indices.map { abs(a[$0] - b[$0]) }.max() ?? 0
        #expect(worst <= tol, "\(what): worst difference \(worst)")
    }

    /// Forward and every gradient equal PyTorch's layer_norm and autograd (float64 there).
    @Test func matchesPyTorch() {
        let (arena, ln, x, dY) = referenceSetup()
        let y = Tensor(x.shape), dX = Tensor(x.shape), cache = LayerNormCache()
        ln.forward(arena, x.matrix, into: y.matrix, cache: cache)
        expectClose(y.ptr, LayerNormReference.y, "y")
        arena.zeroGrads()
        ln.backward(arena, dY: dY.matrix, dX: dX.matrix, cache: cache)
        expectClose(dX.ptr, LayerNormReference.dX, "dX")
        expectClose(arena.grad(ln.gain).ptr, LayerNormReference.dG, "dG", tol: 1e-5)
        expectClose(arena.grad(ln.bias!).ptr, LayerNormReference.dB, "dB", tol: 1e-5)
        // In place (y = x, dX = dY): the same numbers.
        let x2 = Tensor(x.shape); x2.matrix.copy(from: x.matrix)
        ln.forward(arena, x2.matrix, into: x2.matrix, cache: cache)
        expectClose(x2.ptr, LayerNormReference.y, "y in place")
        let d2 = Tensor(x.shape); d2.matrix.copy(from: dY.matrix)
        ln.backward(arena, dY: d2.matrix, dX: d2.matrix, cache: cache)
        expectClose(d2.ptr, LayerNormReference.dX, "dX in place")
    }

    /// Central differences on the input, gain and bias of a projected loss, with and without a bias,
    /// on rows of very different scales.
    @Test(arguments: [true, false])
    func gradientsMatchCentralDifferences(withBias: Bool) {
        let arena = ParameterArena()
        let ln = LayerNorm(arena, name: "ln", width: 6, bias: withBias)
        arena.allocate(seed: 3)
        fillUniform(arena.value(ln.gain).ptr, count: 6, scale: 0.5, seed: 4)
        for j in 0..<6 { arena.value(ln.gain).ptr[j] += 1 }
        let n = 4
        let x = Tensor([n, 6]); fillUniform(x.ptr, count: x.count, scale: 2, seed: 5)
        for j in 0..<6 { x.ptr[6 + j] *= 30 }          // a row of a large scale
        let w = Tensor([n, 6]); fillUniform(w.ptr, count: w.count, seed: 6)
        let y = Tensor([n, 6]), cache = LayerNormCache()
        func loss() -> Double {
            ln.forward(arena, x.matrix, into: y.matrix, cache: cache)
            return projectedLoss(y.ptr, w.ptr, count: y.count)
        }
        arena.zeroGrads()
        _ = loss()
        let dX = Tensor([n, 6])
        ln.backward(arena, dY: w.matrix, dX: dX.matrix, cache: cache)
        for p in [ln.gain] + (ln.bias.map { [$0] } ?? []) {
            let num = numericalGradient(of: loss, at: arena.value(p).ptr, count: p.count, eps: 1e-2)
            let m = compareGradients(analytic: arena.grad(p).ptr, numeric: num)
            #expect(m.worst < 1e-2, "\(p.name): \(m)")
        }
        let num = numericalGradient(of: loss, at: x.ptr, count: x.count, eps: 1e-3)
        let m = compareGradients(analytic: dX.ptr, numeric: num)
        #expect(m.worst < 1e-2, "input: \(m)")
        #expect(withBias == (arena.param(named: "ln.b") != nil))
    }

    /// With g = 1 and b = 0 each output row has mean 0 and variance 1,
    /// and a constant row gives 0 rather than a division by zero.
    @Test func normalisesEachRow() {
        let arena = ParameterArena()
        let ln = LayerNorm(arena, name: "ln", width: 5)
        arena.allocate(seed: 1)
        let x = Tensor([2, 5], [1, 2, 3, 4, 100, 7, 7, 7, 7, 7])
        let y = Tensor([2, 5])
        ln.forward(arena, x.matrix, into: y.matrix, cache: LayerNormCache())
        let r0 = (0..<5).map { Double(y.matrix[0, $0]) }
        let mean = r0.reduce(0, +) / 5
        let variance = r0.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / 5
        #expect(abs(mean) < 1e-6 && abs(variance - 1) < 1e-4, "\(mean) \(variance)")
        #expect((0..<5).allSatisfy { y.matrix[1, $0] == 0 })
    }
}
