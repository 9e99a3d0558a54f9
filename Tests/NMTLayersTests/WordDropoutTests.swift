import NMTLayers
import NMTTensor
import NMTTestSupport
import Testing

/// Word dropout: one draw per row, the whole row dropped or scaled by 1/(1-p).
@Suite struct WordDropoutTests {
    @Test func wholeRowsDroppedAtTheRateAndKeptRowsScaled() {
        let d = WordDropout(p: 0.25)
        let rows = 8000, cols = 7
        let x0 = Tensor([rows, cols]); fillUniform(x0.ptr, count: x0.count, seed: 4)
        let x = Tensor([rows, cols]); x.matrix.copy(from: x0.matrix)
        let mask = Tensor([rows])
        var rng = RNG(seed: 21)
        d.forward(x.matrix, mask: mask, rng: &rng, training: true)
        let keep: Float = 1 / 0.75
        var dropped = 0, rowsAsMasked = 0
        for r in 0..<rows {
            let m = mask[r]
            if m == 0 { dropped += 1 }
            if (m == 0 || m == keep) && (0..<cols).allSatisfy({ x[r * cols + $0] == x0[r * cols + $0] * m }) { rowsAsMasked += 1 }
        }
        #expect(rowsAsMasked == rows)
        // 8000 Bernoulli(0.25) draws: standard deviation ≈ 0.0048.
        let rate = Double(dropped) / Double(rows)
        #expect(abs(rate - 0.25) < 0.02, "drop rate \(rate)")
        // The same seed gives the same mask; another seed another.
        let again = Tensor([rows, cols]); again.matrix.copy(from: x0.matrix)
        var same = RNG(seed: 21)
        d.forward(again.matrix, mask: Tensor([rows]), rng: &same, training: true)
        #expect(again.array == x.array && same == rng)
        let other = Tensor([rows]), y = Tensor([rows, cols])
        var different = RNG(seed: 22)
        d.forward(y.matrix, mask: other, rng: &different, training: true)
        #expect(other.array != mask.array)
    }

    @Test func gradientIsTheRowMaskAndMatchesCentralDifferences() {
        let d = WordDropout(p: 0.5)
        let x0 = Tensor([6, 3]); fillUniform(x0.ptr, count: x0.count, seed: 2)
        let w = Tensor([6, 3]); fillUniform(w.ptr, count: w.count, seed: 3)
        let x = Tensor([6, 3])
        let mask = Tensor([6])
        func loss() -> Double {
            x.matrix.copy(from: x0.matrix)
            var rng = RNG(seed: 5)   // same mask for every evaluation
            d.forward(x.matrix, mask: mask, rng: &rng, training: true)
            return projectedLoss(x.ptr, w.ptr, count: x.count)
        }
        _ = loss()
        #expect(mask.array.contains(0) && mask.array.contains(2))   // this seed drops some rows and keeps some
        let dX = Tensor([6, 3]); dX.matrix.copy(from: w.matrix)
        d.backward(dX.matrix, mask: mask, training: true)
        for i in 0..<18 { #expect(dX[i] == w[i] * mask[i / 3]) }
        let num = numericalGradient(of: loss, at: x0.ptr, count: x0.count, eps: 1e-2)
        let m = compareGradients(analytic: dX.ptr, numeric: num)
        #expect(m.worst < 1e-3, "\(m)")
    }

    @Test func identityWhenEvaluatingOrPZero() {
        let x = Tensor([3, 3], (0..<9).map(Float.init))
        let mask = Tensor([3])
        var rng = RNG(seed: 1)
        let before = rng
        WordDropout(p: 0.5).forward(x.matrix, mask: mask, rng: &rng, training: false)
        WordDropout(p: 0).forward(x.matrix, mask: mask, rng: &rng, training: true)
        WordDropout(p: 0.5).backward(x.matrix, mask: mask, training: false)
        #expect(x.array == (0..<9).map(Float.init) && rng == before)
    }
}
