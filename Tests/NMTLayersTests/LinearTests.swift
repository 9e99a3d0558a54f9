import NMTLayers
import NMTTensor
import NMTTestSupport
import Testing

@Suite struct LinearTests {
    /// Central differences on weight, bias and input of y = x·Wᵀ + b with a projected loss.
    @Test func gradientsMatchCentralDifferences() {
        let arena = ParameterArena()
        let lin = Linear(arena, name: "lin", input: 5, output: 4)
        arena.allocate(seed: 11)
        let n = 3
        let x = Tensor([n, 5]); fillUniform(x.ptr, count: x.count, seed: 1)
        let w = Tensor([n, 4]); fillUniform(w.ptr, count: w.count, seed: 2)
        let y = Tensor([n, 4])
        func loss() -> Double {
            lin.forward(arena, x.matrix, into: y.matrix)
            return projectedLoss(y.ptr, w.ptr, count: y.count)
        }
        arena.zeroGrads()
        _ = loss()
        let dX = Tensor([n, 5])
        lin.backward(arena, x: x.matrix, dY: w.matrix, dX: dX.matrix)
        let tol = 1e-2
        for p in [lin.weight, lin.bias!] {
            let num = numericalGradient(of: loss, at: arena.value(p).ptr, count: p.count, eps: 1e-2)
            let m = compareGradients(analytic: arena.grad(p).ptr, numeric: num)
            #expect(m.worst < tol, "\(p.name): \(m)")
        }
        let num = numericalGradient(of: loss, at: x.ptr, count: x.count, eps: 1e-2)
        let m = compareGradients(analytic: dX.ptr, numeric: num)
        #expect(m.worst < tol, "input: \(m)")
    }

    @Test func forwardAccumulatesAndBackwardAccumulatesDX() {
        let arena = ParameterArena()
        let lin = Linear(arena, name: "lin", input: 3, output: 2, bias: false)
        arena.allocate(seed: 1)
        #expect(lin.bias == nil && arena.param(named: "lin.bias") == nil)
        let x = Tensor([2, 3], [1, 2, 3, 4, 5, 6])
        let y = Tensor([2, 2], [10, 20, 30, 40])
        lin.forward(arena, x.matrix, into: y.matrix, accumulate: true)
        let wv = arena.value(lin.weight)
        for r in 0..<2 {
            for o in 0..<2 {
                var s: Float = [[10, 20], [30, 40]][r][o]
                for i in 0..<3 { s += x.matrix[r, i] * wv[o, i] }
                #expect(abs(y.matrix[r, o] - s) < 1e-5)
            }
        }
        let dX = Tensor([2, 3]); dX.matrix.fill(1)
        let dY = Tensor([2, 2], [1, 0, 0, 1])
        lin.backward(arena, x: x.matrix, dY: dY.matrix, dX: dX.matrix, accumulateDX: true)
        #expect(abs(dX.matrix[0, 2] - (1 + wv[0, 2])) < 1e-6 && abs(dX.matrix[1, 0] - (1 + wv[1, 0])) < 1e-6)
    }

    @Test func initialisationBoundIsOneOverSqrtInput() {
        let arena = ParameterArena()
        let lin = Linear(arena, name: "proj", input: 16, output: 8)
        arena.allocate(seed: 3)
        #expect(lin.weight.shape == [8, 16] && lin.bias!.shape == [8])
        #expect(arena.value(lin.weight).array.allSatisfy { abs($0) <= 0.25 })
        #expect(arena.value(lin.bias!).array.allSatisfy { abs($0) <= 0.25 })
    }
}
