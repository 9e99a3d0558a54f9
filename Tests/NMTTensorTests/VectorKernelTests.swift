import Foundation
import NMTTensor
import NMTTestSupport
import Testing

/// CKernels' elementwise kernels at every level this CPU supports (4, 8 and 16 lanes) against
/// naive Double references, at lengths that exercise full vectors and every tail.
@Suite struct VectorKernelTests {
    static let lengths = [1, 3, 4, 7, 8, 15, 16, 17, 33, 100]

    func random(_ n: Int, scale: Float = 1, seed: UInt64) -> [Float] {
        var a = [Float](repeating: 0, count: n)
        a.withUnsafeMutableBufferPointer { fillUniform($0.baseAddress!, count: n, scale: scale, seed: seed) }
        return a
    }

    func sigmoid(_ x: Double) -> Double { 1 / (1 + Foundation.exp(-x)) }

    @Test(arguments: KernelPath.supported)
    func expSigmoidTanhMatchLibm(path: KernelPath) {
        for n in Self.lengths {
            let x = random(n, scale: 20, seed: UInt64(n))
            var y = [Float](repeating: .nan, count: n)
            VectorKernels.exp(x, &y, count: n, at: path)
            for i in 0..<n {
                let want = Foundation.exp(Double(x[i]))
                #expect(abs(Double(y[i]) - want) / want < 1e-6, "\(path) exp(\(x[i])) = \(y[i])")
            }
            VectorKernels.sigmoid(x, &y, count: n, at: path)
            for i in 0..<n { #expect(abs(Double(y[i]) - sigmoid(Double(x[i]))) < 1e-6) }
            VectorKernels.tanh(x, &y, count: n, at: path)
            for i in 0..<n { #expect(abs(Double(y[i]) - Foundation.tanh(Double(x[i]))) < 1e-6) }
        }
        // Extremes stay finite: the argument is clamped.
        let big: [Float] = [1000, -1000, 88, -88]
        var out = [Float](repeating: .nan, count: 4)
        VectorKernels.exp(big, &out, count: 4, at: path)
        #expect(out.allSatisfy { $0.isFinite && $0 >= 0 })
    }

    @Test(arguments: KernelPath.supported)
    func softmaxMatchesDouble(path: KernelPath) {
        for n in Self.lengths {
            let x = random(n, scale: 8, seed: 40 + UInt64(n))
            var y = x
            let lse = VectorKernels.softmax(&y, count: n, at: path)
            let m = Double(x.max()!)
            let total = x.reduce(0.0) { $0 + Foundation.exp(Double($1) - m) }
            #expect(abs(Double(lse) - (m + Foundation.log(total))) < 1e-5)
            for i in 0..<n { #expect(abs(Double(y[i]) - Foundation.exp(Double(x[i]) - m) / total) < 1e-6) }
        }
    }

    @Test(arguments: KernelPath.supported)
    func lstmRowsMatchDouble(path: KernelPath) {
        for H in [1, 5, 16, 21, 40] {
            let bias = random(4 * H, seed: 1), rec = random(4 * H, seed: 2), c = random(H, scale: 2, seed: 3)
            let proj = random(4 * H, scale: 3, seed: 4)
            var gates = proj
            var cNew = [Float](repeating: 0, count: H), cOut = cNew, tc = cNew, h = cNew, hOut = cNew, out = cNew
            VectorKernels.lstmForwardRow(hidden: H, bias: bias, gates: &gates, rec: rec, c: c, cNew: &cNew, cOut: &cOut,
                                         tanhCOut: &tc, h: &h, hOut: &hOut, out: &out, at: path)
            func pre(_ k: Int, _ j: Int) -> Double { Double(proj[k * H + j]) + Double(rec[k * H + j]) + Double(bias[k * H + j]) }
            var dh = random(H, seed: 5), dc = random(H, seed: 6)
            let dOut = random(H, seed: 7)
            let dh0 = dh, dc0 = dc
            var dG = [Float](repeating: 0, count: 4 * H)
            VectorKernels.lstmBackwardRow(hidden: H, gates: gates, tanhC: tc, cPrev: c, dOut: dOut, dh: &dh, dc: &dc,
                                          dGates: &dG, at: path)
            for j in 0..<H {
                let i = sigmoid(pre(0, j)), f = sigmoid(pre(1, j)), g = Foundation.tanh(pre(2, j)), o = sigmoid(pre(3, j))
                let cn = f * Double(c[j]) + i * g, hn = o * Foundation.tanh(cn)
                let checks1: [(Float, Double)] = [(gates[j], i), (gates[H + j], f), (gates[2 * H + j], g), (gates[3 * H + j], o),
                                    (cNew[j], cn), (cOut[j], cn), (tc[j], Foundation.tanh(cn)), (h[j], hn), (hOut[j], hn), (out[j], hn)]
                for (got, want) in checks1 {
                    #expect(abs(Double(got) - want) < 2e-6, "\(path) H \(H) j \(j)")
                }
                let dhv = Double(dh0[j]) + Double(dOut[j]), t = Foundation.tanh(cn)
                let dct = Double(dc0[j]) + dhv * o * (1 - t * t)
                let checks2: [(Float, Double)] = [(dG[j], dct * g * i * (1 - i)), (dG[H + j], dct * Double(c[j]) * f * (1 - f)),
                                    (dG[2 * H + j], dct * i * (1 - g * g)), (dG[3 * H + j], dhv * t * o * (1 - o)),
                                    (dc[j], dct * f), (dh[j], 0)]
                for (got, want) in checks2 {
                    #expect(abs(Double(got) - want) < 1e-5, "\(path) backward H \(H) j \(j)")
                }
            }
        }
    }

    @Test(arguments: KernelPath.supported)
    func gruRowsMatchDouble(path: KernelPath) {
        for H in [1, 5, 16, 21, 40] {
            let bhh = random(3 * H, seed: 11), proj = random(3 * H, scale: 2, seed: 12), rec = random(3 * H, seed: 13)
            let hPrev = random(H, seed: 14)
            var hNext = [Float](repeating: 0, count: H), hSaved = hNext, out = hNext
            var cache = [Float](repeating: 0, count: 4 * H)
            VectorKernels.gruForwardRow(hidden: H, bHH: bhh, proj: proj, rec: rec, hPrev: hPrev, hNext: &hNext,
                                        hSaved: &hSaved, cache: &cache, out: &out, at: path)
            var dh = random(H, seed: 15)
            let dOut = random(H, seed: 16), dh0 = dh
            var dx = [Float](repeating: 0, count: 3 * H), dhp = dx
            VectorKernels.gruBackwardRow(hidden: H, cache: cache, hPrev: hPrev, dOut: dOut, dh: &dh, dx: &dx, dhp: &dhp, at: path)
            for j in 0..<H {
                let r = sigmoid(Double(proj[j]) + Double(rec[j]) + Double(bhh[j]))
                let z = sigmoid(Double(proj[H + j]) + Double(rec[H + j]) + Double(bhh[H + j]))
                let hn = Double(rec[2 * H + j]) + Double(bhh[2 * H + j])
                let n = Foundation.tanh(Double(proj[2 * H + j]) + r * hn)
                let h = (1 - z) * n + z * Double(hPrev[j])
                let checks3: [(Float, Double)] = [(hNext[j], h), (hSaved[j], h), (out[j], h), (cache[j], r), (cache[H + j], z),
                                    (cache[2 * H + j], n), (cache[3 * H + j], hn)]
                for (got, want) in checks3 {
                    #expect(abs(Double(got) - want) < 2e-6, "\(path) H \(H) j \(j)")
                }
                let d = Double(dh0[j]) + Double(dOut[j])
                let dan = d * (1 - z) * (1 - n * n), dar = dan * hn * r * (1 - r), daz = d * (Double(hPrev[j]) - n) * z * (1 - z)
                let checks4: [(Float, Double)] = [(dx[j], dar), (dx[H + j], daz), (dx[2 * H + j], dan), (dhp[j], dar), (dhp[H + j], daz),
                                    (dhp[2 * H + j], dan * r), (dh[j], d * z)]
                for (got, want) in checks4 {
                    #expect(abs(Double(got) - want) < 1e-5, "\(path) backward H \(H) j \(j)")
                }
            }
        }
    }

    @Test(arguments: KernelPath.supported)
    func crossEntropyRowMatchesDouble(path: KernelPath) {
        for V in [2, 9, 16, 37] {
            let z = random(V, scale: 6, seed: 20 + UInt64(V))
            let y = V / 3, eps: Float = 0.1, scale: Float = 0.25
            let off = eps / Float(V - 1)
            var row = z
            var lse = 0.0, sumZ = 0.0, zY = 0.0
            VectorKernels.crossEntropyRow(&row, count: V, gold: y, offScaled: scale * off, scale: scale,
                                          goldExtra: scale * (1 - eps - off), writeGradient: true,
                                          lse: &lse, sumZ: &sumZ, zY: &zY, at: path)
            let m = Double(z.max()!)
            let total = z.reduce(0.0) { $0 + Foundation.exp(Double($1) - m) }
            #expect(abs(lse - (m + Foundation.log(total))) < 1e-5)
            #expect(abs(sumZ - z.reduce(0.0) { $0 + Double($1) }) < 1e-4)
            #expect(zY == Double(z[y]))
            for k in 0..<V {
                let p = Foundation.exp(Double(z[k]) - m) / total
                let q = k == y ? 1 - Double(eps) : Double(off)
                #expect(abs(Double(row[k]) - Double(scale) * (p - q)) < 1e-6, "\(path) V \(V) k \(k)")
            }
            // Without the gradient the row is left alone.
            var keep = z
            VectorKernels.crossEntropyRow(&keep, count: V, gold: y, offScaled: 0, scale: 1, goldExtra: 0, writeGradient: false,
                                          lse: &lse, sumZ: &sumZ, zY: &zY, at: path)
            #expect(keep == z)
        }
    }

    @Test(arguments: KernelPath.supported)
    func adamMatchesDouble(path: KernelPath) {
        for n in Self.lengths {
            var w = random(n, seed: 30), m = random(n, scale: 0.1, seed: 31), v = random(n, scale: 0.01, seed: 32)
            v = v.map { abs($0) }
            let g = random(n, seed: 33), w0 = w, m0 = m, v0 = v
            let (b1, b2, step, inv, eps, decay): (Float, Float, Float, Float, Float, Float) = (0.9, 0.999, 0.01, 3.2, 1e-8, 0.999)
            VectorKernels.adam(weights: &w, grads: g, m: &m, v: &v, count: n, beta1: b1, beta2: b2, stepSize: step,
                               invSqrtBc2: inv, epsilon: eps, decay: decay, at: path)
            for i in 0..<n {
                let mi = Double(b1) * Double(m0[i]) + Double(1 - b1) * Double(g[i])
                let vi = Double(b2) * Double(v0[i]) + Double(1 - b2) * Double(g[i]) * Double(g[i])
                let wi = Double(w0[i]) * Double(decay) - Double(step) * mi / (vi.squareRoot() * Double(inv) + Double(eps))
                #expect(abs(Double(m[i]) - mi) < 1e-6 && abs(Double(v[i]) - vi) < 1e-7)
                #expect(abs(Double(w[i]) - wi) < 1e-5, "\(path) n \(n) i \(i): \(w[i]) vs \(wi)")
            }
        }
    }

    /// Layer normalisation of one row, forward and backward, with and without a bias, in place
    /// too; rows with an offset far larger than their spread (the two-pass variance keeps them).
    @Test(arguments: KernelPath.supported)
    func layerNormRowMatchesDouble(path: KernelPath) {
        let eps: Float = 1e-5
        for n in Self.lengths {
            for (offset, withBias) in [(Float(0), true), (Float(30), false)] {
                let x = random(n, seed: 40).map { $0 + offset }, g = random(n, seed: 41), b = random(n, seed: 42)
                let dy = random(n, seed: 43)
                var y = [Float](repeating: 0, count: n), nr = y, rstd: Float = 0
                VectorKernels.layerNormRow(width: n, x: x, gain: g, bias: withBias ? b : nil, epsilon: eps, y: &y,
                                           normalized: &nr, rstd: &rstd, at: path)
                var inPlace = x, nr2 = nr, rstd2: Float = 0
                inPlace.withUnsafeMutableBufferPointer { p in
                    VectorKernels.layerNormRow(width: n, x: p.baseAddress!, gain: g, bias: withBias ? b : nil, epsilon: eps,
                                               y: p.baseAddress!, normalized: &nr2, rstd: &rstd2, at: path)
                }
                #expect(inPlace == y && nr2 == nr && rstd2 == rstd)
                let xd = x.map(Double.init), mean = xd.reduce(0, +) / Double(n)
                let r = 1 / (xd.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(n) + Double(eps)).squareRoot()
                #expect(abs(Double(rstd) - r) <= 1e-5 * r, "\(path) n \(n) rstd")
                let xh = xd.map { ($0 - mean) * r }
                for j in 0..<n {
                    let want = Double(g[j]) * xh[j] + (withBias ? Double(b[j]) : 0)
                    #expect(abs(Double(nr[j]) - xh[j]) < 1e-4 && abs(Double(y[j]) - want) < 1e-4, "\(path) n \(n) j \(j)")
                }
                var dx = [Float](repeating: 0, count: n), dg = random(n, seed: 44), db = random(n, seed: 45)
                let dg0 = dg, db0 = db
                db.withUnsafeMutableBufferPointer { dbp in
                    VectorKernels.layerNormBackwardRow(width: n, dy: dy, gain: g, normalized: nr, rstd: rstd, dx: &dx, dGain: &dg,
                                                       dBias: withBias ? dbp.baseAddress! : nil, at: path)
                }
                let dn = (0..<n).map { Double(dy[$0]) * Double(g[$0]) }
                let m1 = dn.reduce(0, +) / Double(n), m2 = (0..<n).map { dn[$0] * xh[$0] }.reduce(0, +) / Double(n)
                for j in 0..<n {
                    #expect(abs(Double(dx[j]) - r * (dn[j] - m1 - xh[j] * m2)) < 1e-4 * max(1, r), "\(path) n \(n) dx \(j)")
                    #expect(abs(Double(dg[j]) - (Double(dg0[j]) + Double(dy[j]) * xh[j])) < 1e-5)
                    #expect(db[j] == (withBias ? db0[j] + dy[j] : db0[j]))
                }
            }
        }
    }

    /// Work split over threads gives the numbers one thread gives.
    @Test func chunksCoverEveryIndexOnce() {
        var hits = [Int](repeating: 0, count: 1000)
        hits.withUnsafeMutableBufferPointer { b in
            nonisolated(unsafe) let p = b.baseAddress!
            Parallel.forEachChunk(1000, chunk: 64) { r in for i in r { p[i] += 1 } }
        }
        #expect(hits.allSatisfy { $0 == 1 })
        var none = 0
        Parallel.forEachChunk(0, chunk: 8) { _ in none += 1 }
        #expect(none == 0)
    }
}
