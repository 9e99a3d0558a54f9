import Foundation
import NMTLayers
import NMTTensor
import NMTTestSupport
import Testing

@Suite struct LSTMTests {
    // MARK: gradient checks

    /// Central differences on W_ih, W_hh, b, the inputs and (optionally) h0/c0, for the forward and
    /// the reverse direction, with padding (lengths [3, 1, 2], T = 3, B = 3) and H = 9 (one SIMD
    /// block plus a scalar tail). Loss: fixed projections of outputs, final h and final c.
    @Test(arguments: [(false, false), (false, true), (true, false), (true, true)])
    func gradientsMatchCentralDifferences(reverse: Bool, initialState: Bool) {
        let In = 4, H = 9, T = 3
        let lengths = [3, 1, 2]
        let B = lengths.count
        let arena = ParameterArena()
        let lstm = LSTM(arena, name: "lstm", input: In, hidden: H, reverse: reverse)
        arena.allocate(seed: 21)
        // Larger weights than the default init so that every gate is well away from linear.
        fillUniform(arena.values, count: arena.count, scale: 0.6, seed: 4)
        let x = Tensor([T * B, In]); fillUniform(x.ptr, count: x.count, scale: 1, seed: 5)
        let h0 = Tensor([B, H]); fillUniform(h0.ptr, count: h0.count, scale: 0.5, seed: 6)
        let c0 = Tensor([B, H]); fillUniform(c0.ptr, count: c0.count, scale: 0.5, seed: 7)
        let wOut = Tensor([T * B, H]); fillUniform(wOut.ptr, count: wOut.count, seed: 8)
        let wH = Tensor([B, H]); fillUniform(wH.ptr, count: wH.count, seed: 9)
        let wC = Tensor([B, H]); fillUniform(wC.ptr, count: wC.count, seed: 10)
        let out = Tensor([T * B, H]), fh = Tensor([B, H]), fc = Tensor([B, H])
        let cache = LSTMCache()
        func loss() -> Double {
            lstm.forward(arena, x: x.matrix, lengths: lengths, steps: T,
                         h0: initialState ? h0.matrix : nil, c0: initialState ? c0.matrix : nil,
                         outputs: out.matrix, finalH: fh.matrix, finalC: fc.matrix, cache: cache)
            return projectedLoss(out.ptr, wOut.ptr, count: out.count) + projectedLoss(fh.ptr, wH.ptr, count: fh.count)
                + projectedLoss(fc.ptr, wC.ptr, count: fc.count)
        }
        arena.zeroGrads()
        _ = loss()
        // Padded outputs are exactly zero.
        for bb in 0..<B { for t in lengths[bb]..<T { #expect((0..<H).allSatisfy { out.matrix[t * B + bb, $0] == 0 }) } }
        let dX = Tensor([T * B, In]); dX.matrix.fill(7)
        let dH0 = Tensor([B, H]), dC0 = Tensor([B, H])
        lstm.backward(arena, x: x.matrix, dOutputs: wOut.matrix, dFinalH: wH.matrix, dFinalC: wC.matrix,
                      dX: dX.matrix, dH0: dH0.matrix, dC0: dC0.matrix, cache: cache)
        let tol = 2e-2
        for p in [lstm.W_ih, lstm.W_hh, lstm.b] {
            let num = numericalGradient(of: loss, at: arena.value(p).ptr, count: p.count,
                                        indices: sampleIndices(p.count, 60), eps: 1e-2)
            let m = compareGradients(analytic: arena.grad(p).ptr, numeric: num)
            #expect(m.worst < tol, "\(p.name) reverse \(reverse) h0 \(initialState): \(m)")
        }
        let numX = numericalGradient(of: loss, at: x.ptr, count: x.count, eps: 1e-2)
        let mX = compareGradients(analytic: dX.ptr, numeric: numX)
        #expect(mX.worst < tol, "input: \(mX)")
        for bb in 0..<B { for t in lengths[bb]..<T { #expect((0..<In).allSatisfy { dX.matrix[t * B + bb, $0] == 0 }) } }
        if initialState {
            for (t, d) in [(h0, dH0), (c0, dC0)] {
                let num = numericalGradient(of: loss, at: t.ptr, count: t.count, eps: 1e-2)
                let m = compareGradients(analytic: d.ptr, numeric: num)
                #expect(m.worst < tol, "initial state: \(m)")
            }
        }
    }

    // MARK: reference values

    /// Builds the weights and inputs of scripts/reference/lstm_reference.py.
    static func referenceSetup(reverse: Bool) -> (ParameterArena, LSTM, Tensor, Tensor, Tensor) {
        let In = 3, H = 9, T = 3, B = 3
        let arena = ParameterArena()
        let lstm = LSTM(arena, name: "ref", input: In, hidden: H, reverse: reverse)
        arena.allocate(seed: 0)
        let wih = arena.value(lstm.W_ih), whh = arena.value(lstm.W_hh), b = arena.value(lstm.b)
        for r in 0..<(4 * H) {
            for c in 0..<In { wih[r, c] = Float(0.4 * sin(0.37 * Double(r * In + c) + 0.3)) }
            for c in 0..<H { whh[r, c] = Float(0.4 * cos(0.23 * Double(r * H + c) + 0.1)) }
            b[0, r] = Float(0.2 * sin(0.71 * Double(r) + 0.5))
        }
        let x = Tensor([T * B, In]), h0 = Tensor([B, H]), c0 = Tensor([B, H])
        for row in 0..<(T * B) { for c in 0..<In { x.matrix[row, c] = Float(1.5 * sin(0.37 * Double(row * In + c))) } }
        for bb in 0..<B {
            for j in 0..<H {
                h0.matrix[bb, j] = Float(0.3 * sin(0.5 * Double(bb * H + j) + 1.0))
                c0.matrix[bb, j] = Float(0.3 * cos(0.45 * Double(bb * H + j)))
            }
        }
        return (arena, lstm, x, h0, c0)
    }

    @Test(arguments: [false, true])
    func forwardMatchesNumpyReference(reverse: Bool) {
        let (arena, lstm, x, h0, c0) = Self.referenceSetup(reverse: reverse)
        let out = Tensor([9, 9]), fh = Tensor([3, 9]), fc = Tensor([3, 9])
        lstm.forward(arena, x: x.matrix, lengths: [3, 1, 2], steps: 3,
                     h0: reverse ? nil : h0.matrix, c0: reverse ? nil : c0.matrix,
                     outputs: out.matrix, finalH: fh.matrix, finalC: fc.matrix, cache: LSTMCache())
        let e = reverse ? (Ref.revOutputs, Ref.revFinalH, Ref.revFinalC) : (Ref.fwdOutputs, Ref.fwdFinalH, Ref.fwdFinalC)
        #expect(maxRelativeDifference(out.array, e.0) < 1e-5)
        #expect(maxRelativeDifference(fh.array, e.1) < 1e-5)
        #expect(maxRelativeDifference(fc.array, e.2) < 1e-5)
    }

    // MARK: batch order

    /// The same sequences in sorted (prefix gemm path) and unsorted order give the same outputs,
    /// final states and gradients.
    @Test(arguments: [false, true])
    func sortedAndUnsortedBatchesAgree(reverse: Bool) {
        let In = 5, H = 8, T = 4
        let arena = ParameterArena()
        let lstm = LSTM(arena, name: "l", input: In, hidden: H, reverse: reverse)
        arena.allocate(seed: 3)
        let seqs = [[Float]](repeating: [], count: 3).enumerated().map { k, _ in
            (0..<(T * In)).map { Float(sin(Double($0) * 0.31 + Double(k))) }
        }
        let lens = [4, 3, 1]
        func run(order: [Int]) -> ([Float], [Float], [Float]) {
            let B = order.count
            let x = Tensor([T * B, In])
            for (bb, k) in order.enumerated() {
                for t in 0..<lens[k] { for c in 0..<In { x.matrix[t * B + bb, c] = seqs[k][t * In + c] } }
            }
            let out = Tensor([T * B, H]), fh = Tensor([B, H]), cache = LSTMCache()
            lstm.forward(arena, x: x.matrix, lengths: order.map { lens[$0] }, steps: T,
                         outputs: out.matrix, finalH: fh.matrix, cache: cache)
            arena.zeroGrads()
            let dOut = Tensor([T * B, H])
            for (bb, k) in order.enumerated() {
                for t in 0..<T { for j in 0..<H { dOut.matrix[t * B + bb, j] = Float(cos(Double(t * H + j + 7 * k))) } }
            }
            lstm.backward(arena, x: x.matrix, dOutputs: dOut.matrix, dFinalH: fh.matrix, dX: nil, cache: cache)
            var outs = [Float](), finals = [Float]()
            for k in 0..<3 {
                let bb = order.firstIndex(of: k)!
                for t in 0..<T { outs += Array(UnsafeBufferPointer(start: out.matrix.row(t * B + bb), count: H)) }
                finals += Array(UnsafeBufferPointer(start: fh.matrix.row(bb), count: H))
            }
            return (outs, finals, Array(UnsafeBufferPointer(start: arena.grads, count: arena.count)))
        }
        let sorted = run(order: [0, 1, 2])
        let shuffled = run(order: [2, 0, 1])
        #expect(maxRelativeDifference(sorted.0, shuffled.0) < 1e-6)
        #expect(maxRelativeDifference(sorted.1, shuffled.1) < 1e-6)
        #expect(maxRelativeDifference(sorted.2, shuffled.2) < 1e-5)
    }

    @Test func initialisation() {
        let arena = ParameterArena()
        let lstm = LSTM(arena, name: "enc", input: 6, hidden: 4, orthogonalRecurrent: true)
        arena.allocate(seed: 2)
        lstm.initializeForgetBias(arena)
        #expect(lstm.W_ih.shape == [16, 6] && lstm.W_hh.shape == [16, 4] && lstm.b.shape == [16])
        let b = arena.value(lstm.b).array
        #expect(b[4..<8].allSatisfy { $0 == 1 })
        #expect((b[0..<4] + b[8..<16]).allSatisfy { abs($0) <= 0.5 && $0 != 1 })
        #expect(arena.value(lstm.W_ih).array.allSatisfy { abs($0) <= 0.5 })
        let w = arena.value(lstm.W_hh)
        for g in 0..<4 {
            for i in 0..<4 {
                var s: Float = 0
                for k in 0..<4 { s += w[g * 4 + i, k] * w[g * 4 + i, k] }
                #expect(abs(s - 1) < 1e-5)
            }
        }
    }
}

/// Literals printed by scripts/reference/lstm_reference.py.
private enum Ref {
    static let fwdOutputs: [Float] = [0.30238095, 0.23339819, -0.12027416, -0.018345544, 0.019399848, -0.014226214, 0.083591787, -0.14135902, -0.20700547, 0.19983103, 0.06785175, -0.37895169, -0.037493332, 0.022553807, 0.071713671, 0.24224489, -0.24696566, -0.32048427, 0.077133108, 0.16750005, -0.16169486, -0.23195273, -0.094309903, 0.08758725, 0.031263081, -0.044172935, -0.049342846, 0.20872164, 0.1429431, 0.057153526, 0.2144994, -0.025451179, -0.21385226, -0.031218113, -0.013857803, 0.047085169, 0, 0, 0, 0, 0, 0, 0, 0, 0, -0.032317554, 0.12079125, 0.04072627, 0.059602099, 0.010481064, -0.091069729, -0.085760987, -0.031789022, 0.069283018, 0.25319331, 0.22266085, -0.20428737, 0.13487053, -0.0095013034, 0.031173348, 0.17945069, -0.17035593, -0.15927399, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]
    static let fwdFinalH: [Float] = [0.25319331, 0.22266085, -0.20428737, 0.13487053, -0.0095013034, 0.031173348, 0.17945069, -0.17035593, -0.15927399, 0.19983103, 0.06785175, -0.37895169, -0.037493332, 0.022553807, 0.071713671, 0.24224489, -0.24696566, -0.32048427, -0.032317554, 0.12079125, 0.04072627, 0.059602099, 0.010481064, -0.091069729, -0.085760987, -0.031789022, 0.069283018]
    static let fwdFinalC: [Float] = [0.74731548, 0.34731152, -0.27827771, 0.20469992, -0.029117932, 0.16748866, 0.47591735, -0.25500848, -0.22629498, 0.69549934, 0.11523432, -0.47011006, -0.048339406, 0.10552838, 0.54375433, 0.74835295, -0.39889614, -0.40321799, -0.05043767, 0.21927773, 0.10267689, 0.15828477, 0.019462795, -0.15326712, -0.16578211, -0.073911869, 0.19217864]
    static let revOutputs: [Float] = [0.2456165, 0.11924261, -0.087518503, 0.097602797, -0.0075776061, 0.028723824, 0.11290663, -0.13048365, -0.072061128, 0.16511154, 0.27767805, -0.40451722, -0.15164594, -0.0067348793, 0.049724483, 0.17193577, -0.19116693, -0.31862619, 0.13562516, 0.2075606, -0.079763707, -0.005421337, -0.011549511, 0.022740304, 0.083882192, -0.043541409, -0.12408055, 0.12998208, 0.1305283, 0.049887948, 0.15255538, -0.014400568, -0.09275103, 0.037110532, -0.015204733, 0.067270377, 0, 0, 0, 0, 0, 0, 0, 0, 0, -0.13191305, -0.01675864, 0.09005956, 0.1339986, 0.029863923, -0.16322021, -0.11865622, -0.023109836, 0.082910287, 0.19275724, 0.16589869, -0.28237302, -0.13835883, -0.0010753344, 0.067831898, 0.14257266, -0.16425496, -0.24660191, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]
    static let revFinalH: [Float] = [0.2456165, 0.11924261, -0.087518503, 0.097602797, -0.0075776061, 0.028723824, 0.11290663, -0.13048365, -0.072061128, 0.16511154, 0.27767805, -0.40451722, -0.15164594, -0.0067348793, 0.049724483, 0.17193577, -0.19116693, -0.31862619, 0.13562516, 0.2075606, -0.079763707, -0.005421337, -0.011549511, 0.022740304, 0.083882192, -0.043541409, -0.12408055]
    static let revFinalC: [Float] = [0.54192256, 0.19502248, -0.13367282, 0.16480322, -0.02082517, 0.098844079, 0.24720541, -0.22343591, -0.11810602, 0.70778194, 0.43425127, -0.51342782, -0.21452086, -0.023776199, 0.37326651, 0.63019597, -0.26893785, -0.40165908, 0.39890246, 0.36489391, -0.1094342, -0.0084167886, -0.028630816, 0.087564785, 0.25447604, -0.073264974, -0.17506334]
}
