import NMTLayers
import NMTTensor
import NMTTestSupport
import Testing

@Suite struct DropoutTests {
    @Test func maskStatisticsAndScaling() {
        let d = Dropout(p: 0.3)
        let x = Tensor([200, 101]); x.matrix.fill(1)
        let mask = Tensor([200 * 101])
        var rng = RNG(seed: 17)
        d.forward(x.matrix, mask: mask, rng: &rng, training: true)
        let keep: Float = 1 / 0.7
        var dropped = 0
        for i in 0..<x.count {
            #expect(mask[i] == 0 || mask[i] == keep)
            #expect(x[i] == mask[i])
            if mask[i] == 0 { dropped += 1 }
        }
        let rate = Double(dropped) / Double(x.count)
        // 20200 Bernoulli(0.3) draws: standard deviation ≈ 0.0032.
        #expect(abs(rate - 0.3) < 0.015, "drop rate \(rate)")
        // The same seed gives the same mask.
        let x2 = Tensor([200, 101]); x2.matrix.fill(1)
        var rng2 = RNG(seed: 17)
        d.forward(x2.matrix, mask: Tensor([200 * 101]), rng: &rng2, training: true)
        #expect(x2.array == x.array)
    }

    @Test func gradientIsTheMaskAndMatchesCentralDifferences() {
        let d = Dropout(p: 0.5)
        let x0 = Tensor([4, 5]); fillUniform(x0.ptr, count: x0.count, seed: 2)
        let w = Tensor([4, 5]); fillUniform(w.ptr, count: w.count, seed: 3)
        let x = Tensor([4, 5])
        let mask = Tensor([20])
        func loss() -> Double {
            x.matrix.copy(from: x0.matrix)
            var rng = RNG(seed: 99)   // same mask for every evaluation
            d.forward(x.matrix, mask: mask, rng: &rng, training: true)
            return projectedLoss(x.ptr, w.ptr, count: x.count)
        }
        _ = loss()
        let dX = Tensor([4, 5]); dX.matrix.copy(from: w.matrix)
        d.backward(dX.matrix, mask: mask, training: true)
        for i in 0..<20 { #expect(dX[i] == w[i] * mask[i]) }
        let num = numericalGradient(of: loss, at: x0.ptr, count: x0.count, eps: 1e-2)
        let m = compareGradients(analytic: dX.ptr, numeric: num)
        #expect(m.worst < 1e-3, "\(m)")
    }

    @Test func identityWhenEvaluatingOrPZero() {
        let x = Tensor([3, 3], (0..<9).map(Float.init))
        let mask = Tensor([9])
        var rng = RNG(seed: 1)
        let before = rng
        Dropout(p: 0.5).forward(x.matrix, mask: mask, rng: &rng, training: false)
        Dropout(p: 0).forward(x.matrix, mask: mask, rng: &rng, training: true)
        Dropout(p: 0.5).backward(x.matrix, mask: mask, training: false)
        #expect(x.array == (0..<9).map(Float.init) && rng == before)
    }
}
