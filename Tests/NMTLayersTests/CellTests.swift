import Foundation
import NMTLayers
import NMTTensor
import NMTTestSupport
import Testing

/// Every sequence cell through the one sequence loop: values against PyTorch / numpy
/// (scripts/reference/cells_reference.py), central-difference gradients, padding invariance.
@Suite struct CellTests {
    static let cells = CellKind.sequenceCells

    // MARK: reference values

    /// The closed-form weights of cells_reference.py, set by tensor name.
    static func setReferenceWeights(_ arena: ParameterArena, _ layer: SequenceLayer, input In: Int) {
        let H = layer.hidden
        for p in layer.parameters {
            let v = arena.value(p)
            let name = p.name.split(separator: ".").last!
            switch name {
            case "W_ih":
                for r in 0..<p.shape[0] { for c in 0..<In { v[r, c] = Float(0.4 * sin(0.37 * Double(r * In + c) + 0.3)) } }
            case "W_hh":
                for r in 0..<p.shape[0] { for c in 0..<H { v[r, c] = Float(0.4 * cos(0.23 * Double(r * H + c) + 0.1)) } }
            case "b", "b_ih":
                for r in 0..<p.count { v.ptr[r] = Float(0.2 * sin(0.71 * Double(r) + 0.5)) }
            case "b_hh":
                for r in 0..<p.count { v.ptr[r] = Float(0.2 * cos(0.53 * Double(r) + 0.2)) }
            case "peephole":
                for r in 0..<p.count { v.ptr[r] = Float(0.3 * sin(0.61 * Double(r) + 0.4)) }
            default:
                Issue.record("unexpected tensor \(p.name)")
            }
        }
    }

    @Test(arguments: cells, [false, true])
    func forwardMatchesReference(cell: CellKind, reverse: Bool) throws {
        let In = 3, H = 9, T = 3, B = 3
        let arena = ParameterArena()
        let layer = SequenceLayer(cell, arena, name: "ref", input: In, hidden: H, reverse: reverse)
        arena.allocate(seed: 0)
        Self.setReferenceWeights(arena, layer, input: In)
        let x = Tensor([T * B, In]), h0 = Tensor([B, H]), c0 = Tensor([B, H])
        for row in 0..<(T * B) { for c in 0..<In { x.matrix[row, c] = Float(1.5 * sin(0.37 * Double(row * In + c))) } }
        for bb in 0..<B {
            for j in 0..<H {
                h0.matrix[bb, j] = Float(0.3 * sin(0.5 * Double(bb * H + j) + 1.0))
                c0.matrix[bb, j] = Float(0.3 * cos(0.45 * Double(bb * H + j)))
            }
        }
        let parts = cell.stateParts
        let out = Tensor([T * B, H]), finals = (0..<parts).map { _ in Tensor([B, H]) }
        let initial: [MatrixRef?] = reverse ? [] : Array([h0.matrix, c0.matrix].prefix(parts))
        layer.forward(arena, x: x.matrix, lengths: [3, 1, 2], steps: T, initial: initial, outputs: out.matrix,
                      final: finals.map(\.matrix), cache: RecurrentCache())
        let expected = try #require(CellReference.values[cell.rawValue]?[reverse ? "rev" : "fwd"])
        #expect(expected.count == 1 + parts)
        #expect(maxRelativeDifference(out.array, expected[0]) < 1e-5, "\(cell) outputs")
        for p in 0..<parts { #expect(maxRelativeDifference(finals[p].array, expected[1 + p]) < 1e-5, "\(cell) final part \(p)") }
    }

    // MARK: gradients

    /// Central differences on every parameter, the inputs and the initial state, with padding
    /// (lengths [3, 1, 2]) and H = 9 (a SIMD block plus a tail). Loss: fixed projections of the
    /// outputs and of every final state part.
    @Test(arguments: cells, [(false, false), (false, true), (true, false), (true, true)])
    func gradientsMatchCentralDifferences(cell: CellKind, directionAndState: (Bool, Bool)) {
        let (reverse, initialState) = directionAndState
        let In = 4, H = 9, T = 3
        let lengths = [3, 1, 2]
        let B = lengths.count, P = cell.stateParts
        let arena = ParameterArena()
        let layer = SequenceLayer(cell, arena, name: "cell", input: In, hidden: H, reverse: reverse)
        arena.allocate(seed: 21)
        fillUniform(arena.values, count: arena.count, scale: 0.6, seed: 4)
        let x = Tensor([T * B, In]); fillUniform(x.ptr, count: x.count, scale: 1, seed: 5)
        let initial = (0..<P).map { p -> Tensor in
            let t = Tensor([B, H]); fillUniform(t.ptr, count: t.count, scale: 0.5, seed: UInt64(6 + p)); return t
        }
        let wOut = Tensor([T * B, H]); fillUniform(wOut.ptr, count: wOut.count, seed: 8)
        let wFinal = (0..<P).map { p -> Tensor in
            let t = Tensor([B, H]); fillUniform(t.ptr, count: t.count, seed: UInt64(9 + p)); return t
        }
        let out = Tensor([T * B, H]), finals = (0..<P).map { _ in Tensor([B, H]) }
        let cache = RecurrentCache()
        func loss() -> Double {
            layer.forward(arena, x: x.matrix, lengths: lengths, steps: T, initial: initialState ? initial.map(\.matrix) : [],
                          outputs: out.matrix, final: finals.map(\.matrix), cache: cache)
            var l = projectedLoss(out.ptr, wOut.ptr, count: out.count)
            for p in 0..<P { l += projectedLoss(finals[p].ptr, wFinal[p].ptr, count: finals[p].count) }
            return l
        }
        arena.zeroGrads()
        _ = loss()
        for bb in 0..<B { for t in lengths[bb]..<T { #expect((0..<H).allSatisfy { out.matrix[t * B + bb, $0] == 0 }) } }
        let dX = Tensor([T * B, In]); dX.matrix.fill(7)
        let dInitial = (0..<P).map { _ in Tensor([B, H]) }
        layer.backward(arena, x: x.matrix, dOutputs: wOut.matrix, dFinal: wFinal.map(\.matrix), dX: dX.matrix,
                       accumulateDX: false, dInitial: dInitial.map(\.matrix), cache: cache)
        let tol = 2e-2
        for p in layer.parameters {
            let num = numericalGradient(of: loss, at: arena.value(p).ptr, count: p.count,
                                        indices: sampleIndices(p.count, 60), eps: 1e-2)
            let m = compareGradients(analytic: arena.grad(p).ptr, numeric: num)
            #expect(m.worst < tol, "\(cell) \(p.name) reverse \(reverse) initial \(initialState): \(m)")
        }
        let numX = numericalGradient(of: loss, at: x.ptr, count: x.count, eps: 1e-2)
        let mX = compareGradients(analytic: dX.ptr, numeric: numX)
        #expect(mX.worst < tol, "\(cell) input: \(mX)")
        for bb in 0..<B { for t in lengths[bb]..<T { #expect((0..<In).allSatisfy { dX.matrix[t * B + bb, $0] == 0 }) } }
        if initialState {
            for p in 0..<P {
                let num = numericalGradient(of: loss, at: initial[p].ptr, count: initial[p].count, eps: 1e-2)
                let m = compareGradients(analytic: dInitial[p].ptr, numeric: num)
                #expect(m.worst < tol, "\(cell) initial state part \(p): \(m)")
            }
        }
    }

    // MARK: padding

    /// Each sequence run alone (batch of one, T = its length) gives exactly the outputs, final
    /// state and parameter gradients it gets inside a padded batch of longer and shorter ones,
    /// in sorted and unsorted batch order.
    @Test(arguments: cells, [false, true])
    func paddingInvariance(cell: CellKind, reverse: Bool) {
        let In = 5, H = 11, T = 5
        let lens = [5, 2, 3, 1]
        let arena = ParameterArena()
        let layer = SequenceLayer(cell, arena, name: "p", input: In, hidden: H, reverse: reverse)
        arena.allocate(seed: 9)
        let seqs = lens.indices.map { k in (0..<(T * In)).map { Float(sin(Double($0) * 0.29 + Double(k) * 1.3)) } }
        let dSeqs = lens.indices.map { k in (0..<(T * H)).map { Float(cos(Double($0) * 0.17 + Double(k))) } }
        // Runs the given sequences in the given order; the loss reads only sequence `only`.
        func run(order: [Int], steps: Int, only: Int) -> (out: [Float], final: [Float], grads: [Float]) {
            let B = order.count
            let x = Tensor([steps * B, In]), dOut = Tensor([steps * B, H])
            for (bb, k) in order.enumerated() {
                for t in 0..<lens[k] {
                    for c in 0..<In { x.matrix[t * B + bb, c] = seqs[k][t * In + c] }
                    if k == only { for j in 0..<H { dOut.matrix[t * B + bb, j] = dSeqs[k][t * H + j] } }
                }
            }
            let out = Tensor([steps * B, H]), fh = Tensor([B, H]), cache = RecurrentCache()
            layer.forward(arena, x: x.matrix, lengths: order.map { lens[$0] }, steps: steps, outputs: out.matrix,
                          final: [fh.matrix], cache: cache)
            arena.zeroGrads()
            layer.backward(arena, x: x.matrix, dOutputs: dOut.matrix, dFinal: [], dX: nil, accumulateDX: false, cache: cache)
            let bb = order.firstIndex(of: only)!
            var outs = [Float]()
            for t in 0..<lens[only] { outs += Array(UnsafeBufferPointer(start: out.matrix.row(t * B + bb), count: H)) }
            let grads = layer.parameters.flatMap { arena.grad($0).array }
            return (outs, Array(UnsafeBufferPointer(start: fh.matrix.row(bb), count: H)), grads)
        }
        for k in lens.indices {
            let alone = run(order: [k], steps: lens[k], only: k)
            for order in [[0, 2, 1, 3], [1, 3, 0, 2]] {
                let batched = run(order: order, steps: T, only: k)
                #expect(maxRelativeDifference(alone.out, batched.out) < 1e-6, "\(cell) seq \(k) outputs, order \(order)")
                #expect(maxRelativeDifference(alone.final, batched.final) < 1e-6, "\(cell) seq \(k) final h")
                #expect(maxRelativeDifference(alone.grads, batched.grads) < 1e-5, "\(cell) seq \(k) gradients")
            }
        }
    }

    // MARK: names

    @Test func parameterNamesAndShapes() {
        let arena = ParameterArena()
        let In = 3, H = 2
        let expected: [CellKind: [(String, [Int])]] = [
            .rnn: [("W_ih", [H, In]), ("W_hh", [H, H]), ("b", [H])],
            .lstm: [("W_ih", [4 * H, In]), ("W_hh", [4 * H, H]), ("b", [4 * H])],
            .peephole: [("W_ih", [4 * H, In]), ("W_hh", [4 * H, H]), ("b", [4 * H]), ("peephole", [3 * H])],
            .coupled: [("W_ih", [3 * H, In]), ("W_hh", [3 * H, H]), ("b", [3 * H])],
            .gru: [("W_ih", [3 * H, In]), ("W_hh", [3 * H, H]), ("b_ih", [3 * H]), ("b_hh", [3 * H])],
        ]
        for cell in Self.cells {
            let layer = SequenceLayer(cell, arena, name: cell.rawValue, input: In, hidden: H)
            #expect(layer.kind == cell)
            #expect(layer.parameters.map(\.name) == expected[cell]!.map { "\(cell.rawValue).\($0.0)" })
            #expect(layer.parameters.map(\.shape) == expected[cell]!.map(\.1))
        }
    }

    @Test func forgetGateStarts() {
        let arena = ParameterArena()
        let layers = [CellKind.lstm, .peephole, .coupled].map { SequenceLayer($0, arena, name: $0.rawValue, input: 2, hidden: 3) }
        arena.allocate(seed: 1)
        for l in layers { l.initializeForgetBias(arena) }
        #expect(arena.value(layers[0].parameters[2]).array[3..<6].allSatisfy { $0 == 1 })
        #expect(arena.value(layers[1].parameters[2]).array[3..<6].allSatisfy { $0 == 1 })
        #expect(arena.value(layers[2].parameters[2]).array[0..<3].allSatisfy { $0 == -1 })
    }

    @Test func unknownCellNamesListTheValidOnes() throws {
        #expect(throws: CellKindError.self) { try CellKind.parse("lstmm", flag: "--enc-cell") }
        do {
            _ = try CellKind.parse("lstmm", flag: "--enc-cell")
        } catch {
            #expect("\(error)" == "--enc-cell: unknown cell \"lstmm\"; choose one of: rnn lstm peephole coupled gru")
        }
        do {
            _ = try CellKind.parse("esn", flag: "--enc-cell")
        } catch {
            #expect("\(error)" == "--enc-cell: cell \"esn\" is not available here; choose one of: rnn lstm peephole coupled gru")
        }
        #expect(try CellKind.parse("peephole", flag: "--enc-cell") == .peephole)
        #expect(CellKind.allCases.map(\.rawValue) == ["rnn", "lstm", "peephole", "coupled", "gru", "esn", "clockwork"])
    }
}
