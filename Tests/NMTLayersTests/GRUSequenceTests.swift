// The shared sequence loop with the GRU cell (RecurrentLayer<GRUCell>) over padded batches:
// central-difference gradients of every parameter, the input and the initial state (forward and
// reverse), padding invariance (a sequence's outputs, final state and input gradient do not
// depend on its batch companions or padding), and forward values from torch.nn.GRU
// (scripts/reference/gru_sequence_reference.py).

import Foundation
import NMTLayers
import NMTTensor
import NMTTestSupport
import Testing

@Suite struct GRUSequenceTests {
    /// Lengths [3, 1, 2] (unsorted: the full-batch gemm path), T = 3, H = 9 (a SIMD block and a
    /// tail). Loss: fixed projections of the outputs and the final h.
    @Test(arguments: [(false, false), (false, true), (true, false), (true, true)])
    func gradientsMatchCentralDifferences(reverse: Bool, initialState: Bool) {
        let In = 4, H = 9, T = 3
        let lengths = [3, 1, 2]
        let B = lengths.count
        let arena = ParameterArena()
        let gru = GRULayer(cell: GRUCell(arena, name: "gru", input: In, hidden: H), reverse: reverse)
        arena.allocate(seed: 21)
        fillUniform(arena.values, count: arena.count, scale: 0.6, seed: 4)
        let x = DecFixture.random([T * B, In], seed: 5), h0 = DecFixture.random([B, H], scale: 0.5, seed: 6)
        let wOut = DecFixture.random([T * B, H], seed: 8), wH = DecFixture.random([B, H], seed: 9)
        let out = Tensor([T * B, H]), fh = Tensor([B, H])
        let cache = RecurrentCache()
        func loss() -> Double {
            gru.forward(arena, x: x.matrix, lengths: lengths, steps: T, initial: [initialState ? h0.matrix : nil],
                        outputs: out.matrix, final: [fh.matrix], cache: cache)
            return projectedLoss(out.ptr, wOut.ptr, count: out.count) + projectedLoss(fh.ptr, wH.ptr, count: fh.count)
        }
        arena.zeroGrads()
        _ = loss()
        for bb in 0..<B { for t in lengths[bb]..<T { #expect((0..<H).allSatisfy { out.matrix[t * B + bb, $0] == 0 }) } }
        let dX = Tensor([T * B, In]); dX.matrix.fill(7)
        let dH0 = Tensor([B, H])
        gru.backward(arena, x: x.matrix, dOutputs: wOut.matrix, dFinal: [wH.matrix], dX: dX.matrix, accumulateDX: false,
                     dInitial: [dH0.matrix], cache: cache)
        DecFixture.gradCheckAll(arena, samples: 60, loss: loss)
        DecFixture.gradCheck("x", values: x.ptr, analytic: dX.ptr, count: x.count, samples: x.count, loss: loss)
        for bb in 0..<B { for t in lengths[bb]..<T { #expect((0..<In).allSatisfy { dX.matrix[t * B + bb, $0] == 0 }) } }
        if initialState {
            DecFixture.gradCheck("h0", values: h0.ptr, analytic: dH0.ptr, count: h0.count, samples: h0.count, loss: loss)
        }
    }

    /// Each sequence alone (B = 1, T = its length) and inside a batch padded to T = 6, sorted
    /// (active-prefix gemms) and unsorted, gives the same outputs, final state, dX and dh0.
    @Test(arguments: [false, true])
    func paddingInvariance(reverse: Bool) {
        let In = 5, H = 11, T = 6
        let batches = [[5, 3, 2, 1], [2, 5, 1, 3]]
        let arena = ParameterArena()
        let gru = GRULayer(cell: GRUCell(arena, name: "gru", input: In, hidden: H), reverse: reverse)
        arena.allocate(seed: 3)
        fillUniform(arena.values, count: arena.count, scale: 0.5, seed: 11)
        // Sequence k's step t input / output gradient are fixed functions of (k, t).
        func xRow(_ k: Int, _ t: Int) -> [Float] { (0..<In).map { Float(sin(0.3 * Double(k * 100 + t * In + $0))) } }
        func gRow(_ k: Int, _ t: Int) -> [Float] { (0..<H).map { Float(cos(0.7 * Double(k * 100 + t * H + $0))) } }
        func h0Row(_ k: Int) -> [Float] { (0..<H).map { Float(0.4 * sin(1.3 * Double(k * H + $0) + 0.2)) } }
        func run(_ lengths: [Int], ids: [Int], steps: Int) -> (out: Tensor, fh: Tensor, dX: Tensor, dH0: Tensor) {
            let B = lengths.count
            let x = Tensor([steps * B, In]), g = Tensor([steps * B, H]), h0 = Tensor([B, H])
            for (b, k) in ids.enumerated() {
                for t in 0..<steps {
                    // Padded rows get garbage: it must not matter.
                    let real = t < lengths[b]
                    for c in 0..<In { x.matrix[t * B + b, c] = real ? xRow(k, t)[c] : 9 }
                    for c in 0..<H { g.matrix[t * B + b, c] = real ? gRow(k, t)[c] : -5 }
                }
                for c in 0..<H { h0.matrix[b, c] = h0Row(k)[c] }
            }
            let out = Tensor([steps * B, H]), fh = Tensor([B, H]), dX = Tensor([steps * B, In]), dH0 = Tensor([B, H])
            let cache = RecurrentCache()
            gru.forward(arena, x: x.matrix, lengths: lengths, steps: steps, initial: [h0.matrix], outputs: out.matrix,
                        final: [fh.matrix], cache: cache)
            gru.backward(arena, x: x.matrix, dOutputs: g.matrix, dFinal: [fh.matrix], dX: dX.matrix, accumulateDX: false,
                         dInitial: [dH0.matrix], cache: cache)
            return (out, fh, dX, dH0)
        }
        for lengths in batches {
            let ids = Array(0..<lengths.count), B = lengths.count
            let all = run(lengths, ids: ids, steps: T)
            for b in 0..<B {
                let n = lengths[b]
                let one = run([n], ids: [ids[b]], steps: n)
                for t in 0..<n {
                    for c in 0..<H { #expect(abs(all.out.matrix[t * B + b, c] - one.out.matrix[t, c]) <= 1e-6) }
                    for c in 0..<In { #expect(abs(all.dX.matrix[t * B + b, c] - one.dX.matrix[t, c]) <= 1e-5) }
                }
                for c in 0..<H {
                    #expect(abs(all.fh.matrix[b, c] - one.fh.matrix[0, c]) <= 1e-6)
                    #expect(abs(all.dH0.matrix[b, c] - one.dH0.matrix[0, c]) <= 1e-5)
                }
            }
        }
    }

    /// Forward values against torch.nn.GRU (float64) over lengths [4, 1, 3], T = 4.
    @Test(arguments: [false, true])
    func forwardMatchesTorch(reverse: Bool) {
        let In = 3, H = 9, T = 4, lengths = [4, 1, 3], B = 3
        let arena = ParameterArena()
        let gru = GRULayer(cell: GRUCell(arena, name: "ref", input: In, hidden: H), reverse: reverse)
        arena.allocate(seed: 0)
        let wih = arena.value(gru.cell.W_ih), whh = arena.value(gru.cell.W_hh)
        let bih = arena.value(gru.cell.b_ih), bhh = arena.value(gru.cell.b_hh)
        for r in 0..<(3 * H) {
            for c in 0..<In { wih[r, c] = Float(0.4 * sin(0.37 * Double(r * In + c) + 0.3)) }
            for c in 0..<H { whh[r, c] = Float(0.4 * cos(0.23 * Double(r * H + c) + 0.1)) }
            bih[0, r] = Float(0.2 * sin(0.71 * Double(r) + 0.5))
            bhh[0, r] = Float(0.2 * cos(0.53 * Double(r) + 0.2))
        }
        let x = Tensor([T * B, In]), h0 = Tensor([B, H])
        for row in 0..<(T * B) { for c in 0..<In { x.matrix[row, c] = Float(1.5 * sin(0.37 * Double(row * In + c))) } }
        for bb in 0..<B { for j in 0..<H { h0.matrix[bb, j] = Float(0.3 * sin(0.5 * Double(bb * H + j) + 1.0)) } }
        let out = Tensor([T * B, H]), fh = Tensor([B, H])
        gru.forward(arena, x: x.matrix, lengths: lengths, steps: T, initial: [reverse ? nil : h0.matrix],
                    outputs: out.matrix, final: [fh.matrix], cache: RecurrentCache())
        let e = reverse ? (Ref.revOutputs, Ref.revFinalH) : (Ref.fwdOutputs, Ref.fwdFinalH)
        #expect(maxRelativeDifference(out.array, e.0) < 1e-5)
        #expect(maxRelativeDifference(fh.array, e.1) < 1e-5)
    }

    /// Printed by scripts/reference/gru_sequence_reference.py.
    enum Ref {
        // torch 2.13.0+cpu
        static let fwdOutputs: [Float] = [0.45250475, 0.25426516, -0.077216791, 0.077985371, 0.08748991, 0.19880147, 0.19768856, -0.21689002, -0.46489606, 0.68195326, 0.073536861, -0.1396167, 0.076580675, 0.12460125, 0.69343544, 0.80013527, -0.36252482, -0.25153183, 0.38768477, 0.11432325, -0.26193632, -0.40795593, -0.17608848, 0.32526435, 0.41151276, 0.041715893, 0.025082971, 0.25948756, 0.19940372, 0.33102689, 0.48318268, -0.0054012934, -0.27080797, -0.017446232, -0.0058984572, 0.36797386, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0.095133503, 0.020570433, 0.037607044, 0.16988093, 0.0036672545, -0.051081452, 0.0048380593, -0.063672913, 0.31567535, 0.65138284, 0.087689838, 0.0041842781, 0.32532356, -0.016866487, 0.40678739, 0.57574443, -0.30450484, -0.081904527, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0.23410491, 0.13617873, 0.037890355, 0.051361729, -0.10361491, 0.015679105, 0.16523095, -0.024428852, 0.054744337, 0.48468329, 0.023801828, 0.44796066, 0.70880305, -0.17861212, -0.094389996, 0.35693313, -0.052973659, 0.6269859, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]
        static let fwdFinalH: [Float] = [0.48468329, 0.023801828, 0.44796066, 0.70880305, -0.17861212, -0.094389996, 0.35693313, -0.052973659, 0.6269859, 0.68195326, 0.073536861, -0.1396167, 0.076580675, 0.12460125, 0.69343544, 0.80013527, -0.36252482, -0.25153183, 0.23410491, 0.13617873, 0.037890355, 0.051361729, -0.10361491, 0.015679105, 0.16523095, -0.024428852, 0.054744337]
        static let revOutputs: [Float] = [0.53678707, -0.10897151, 0.15987907, 0.482487, -0.11633187, 0.24019717, 0.46006353, -0.32289896, 0.06296038, 0.73351673, 0.28922998, -0.23537491, -0.11644638, -0.029934822, 0.62339084, 0.74443804, -0.18910698, -0.27073473, 0.44636028, 0.23611787, -0.042724905, 0.10243499, -0.038243887, 0.2151624, 0.43871049, -0.067075416, -0.14679806, 0.34978388, -0.019529528, 0.41937111, 0.64867055, -0.22628625, -0.079230114, 0.27359641, -0.055715189, 0.52453763, 0, 0, 0, 0, 0, 0, 0, 0, 0, -0.03568483, 0.062424215, 0.19449218, 0.30938785, 0.069655031, -0.2450027, -0.1450326, -0.047862748, 0.25670656, 0.52031787, -0.014345779, 0.15535475, 0.41606895, -0.022217025, 0.38242425, 0.51945951, -0.31328149, 0.18181847, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0.16486218, 0.15590972, 0.010053758, -0.084848781, -0.076467617, 0.036517639, 0.13294017, 0.039726197, -0.097848408, -0.15930139, -0.011825483, 0.44680546, 0.63428265, -0.0033706121, -0.30666328, -0.21387831, 0.088931075, 0.65266131, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]
        static let revFinalH: [Float] = [0.53678707, -0.10897151, 0.15987907, 0.482487, -0.11633187, 0.24019717, 0.46006353, -0.32289896, 0.06296038, 0.73351673, 0.28922998, -0.23537491, -0.11644638, -0.029934822, 0.62339084, 0.74443804, -0.18910698, -0.27073473, 0.44636028, 0.23611787, -0.042724905, 0.10243499, -0.038243887, 0.2151624, 0.43871049, -0.067075416, -0.14679806]
    }
}
