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

    /// cells_reference.py's closed-form x (T·B, In), h0 and c0 (B, H).
    static func referenceInputs(T: Int, B: Int, input In: Int, hidden H: Int) -> (Tensor, Tensor, Tensor) {
        let x = Tensor([T * B, In]), h0 = Tensor([B, H]), c0 = Tensor([B, H])
        for row in 0..<(T * B) { for c in 0..<In { x.matrix[row, c] = Float(1.5 * sin(0.37 * Double(row * In + c))) } }
        for bb in 0..<B {
            for j in 0..<H {
                h0.matrix[bb, j] = Float(0.3 * sin(0.5 * Double(bb * H + j) + 1.0))
                c0.matrix[bb, j] = Float(0.3 * cos(0.45 * Double(bb * H + j)))
            }
        }
        return (x, h0, c0)
    }

    @Test(arguments: cells, [false, true])
    func forwardMatchesReference(cell: CellKind, reverse: Bool) throws {
        let In = 3, H = 9, T = 3, B = 3
        let arena = ParameterArena()
        let layer = SequenceLayer(cell, arena, name: "ref", input: In, hidden: H, reverse: reverse)
        arena.allocate(seed: 0)
        Self.setReferenceWeights(arena, layer, input: In)
        let (x, h0, c0) = Self.referenceInputs(T: T, B: B, input: In, hidden: H)
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
    @Test(arguments: cells + [.esn], [(false, false), (false, true), (true, false), (true, true)])
    func gradientsMatchCentralDifferences(cell: CellKind, directionAndState: (Bool, Bool)) {
        Self.centralDifferences(cell: cell, reverse: directionAndState.0, initialState: directionAndState.1)
    }

    /// The check above; with `layerNorm` the layer normalises its products (gains around 1), and
    /// relative errors are taken against at least `floor`.
    static func centralDifferences(cell: CellKind, reverse: Bool, initialState: Bool, layerNorm: Bool = false,
                                   floor: Double = 1e-3) {
        let In = 4, H = 9, T = 3
        let lengths = [3, 1, 2]
        let B = lengths.count, P = cell.stateParts
        let arena = ParameterArena()
        let layer = SequenceLayer(cell, arena, name: "cell", input: In, hidden: H, reverse: reverse, layerNorm: layerNorm)
        arena.allocate(seed: 21)
        fillUniform(arena.values, count: arena.count, scale: 0.6, seed: 4)
        for p in layer.parameters where p.name.contains(".ln_") {
            for j in 0..<p.count { arena.value(p).ptr[j] += 1 }
        }
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
            let m = compareGradients(analytic: arena.grad(p).ptr, numeric: num, floor: floor)
            #expect(m.worst < tol, "\(cell) \(p.name) reverse \(reverse) initial \(initialState) layerNorm \(layerNorm): \(m)")
        }
        let numX = numericalGradient(of: loss, at: x.ptr, count: x.count, eps: 1e-2)
        let mX = compareGradients(analytic: dX.ptr, numeric: numX, floor: floor)
        #expect(mX.worst < tol, "\(cell) input: \(mX)")
        for bb in 0..<B { for t in lengths[bb]..<T { #expect((0..<In).allSatisfy { dX.matrix[t * B + bb, $0] == 0 }) } }
        if initialState {
            for p in 0..<P {
                let num = numericalGradient(of: loss, at: initial[p].ptr, count: initial[p].count, eps: 1e-2)
                let m = compareGradients(analytic: dInitial[p].ptr, numeric: num, floor: floor)
                #expect(m.worst < tol, "\(cell) initial state part \(p): \(m)")
            }
        }
    }

    // MARK: padding

    /// Each sequence run alone (batch of one, T = its length) gives exactly the outputs, final
    /// state and parameter gradients it gets inside a padded batch of longer and shorter ones,
    /// in sorted and unsorted batch order.
    @Test(arguments: CellKind.allCases, [false, true])
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

    // MARK: clockwork

    /// Module i (periods 1, 2, 4, 8 over 12 units) changes its state exactly at the steps t with
    /// t mod 2^i = 0.
    @Test func clockworkModulesRunOnTheirSchedule() {
        let In = 3, H = 12, T = 9
        let arena = ParameterArena()
        let cell = ClockworkCell(arena, name: "cw", input: In, hidden: H, modules: 4)
        arena.allocate(seed: 5)
        cell.applyMask(arena)
        let layer = RecurrentLayer(cell: cell)
        let x = Tensor([T, In]); fillUniform(x.ptr, count: x.count, seed: 3)
        let h0 = Tensor([1, H]); fillUniform(h0.ptr, count: h0.count, seed: 4)
        let out = Tensor([T, H])
        layer.forward(arena, x: x.matrix, lengths: [T], steps: T, initial: [h0.matrix], outputs: out.matrix, final: [],
                      cache: RecurrentCache())
        #expect(cell.bounds == [0, 3, 6, 9, 12])
        for t in 0..<T {
            for i in 0..<4 {
                for j in cell.bounds[i]..<cell.bounds[i + 1] {
                    let before = t == 0 ? h0.matrix[0, j] : out.matrix[t - 1, j]
                    if t % (1 << i) == 0 { #expect(out.matrix[t, j] != before, "t \(t) unit \(j) should update") }
                    else { #expect(out.matrix[t, j] == before, "t \(t) unit \(j) should keep its state") }
                }
            }
        }
    }

    /// Central differences on every free weight (the masked W_hh blocks get exactly zero
    /// gradient), the inputs and the initial state, forward and reverse, with padding.
    @Test(arguments: [false, true])
    func clockworkGradientsMatchCentralDifferences(reverse: Bool) {
        let In = 3, H = 10, T = 6
        let lengths = [6, 2, 5]
        let B = lengths.count
        let arena = ParameterArena()
        let cell = ClockworkCell(arena, name: "cw", input: In, hidden: H, modules: 3)
        let layer = RecurrentLayer(cell: cell, reverse: reverse)
        arena.allocate(seed: 21)
        fillUniform(arena.values, count: arena.count, scale: 0.6, seed: 4)
        cell.applyMask(arena)
        let x = Tensor([T * B, In]); fillUniform(x.ptr, count: x.count, scale: 1, seed: 5)
        let h0 = Tensor([B, H]); fillUniform(h0.ptr, count: h0.count, scale: 0.5, seed: 6)
        let wOut = Tensor([T * B, H]); fillUniform(wOut.ptr, count: wOut.count, seed: 8)
        let out = Tensor([T * B, H]), cache = RecurrentCache()
        func loss() -> Double {
            layer.forward(arena, x: x.matrix, lengths: lengths, steps: T, initial: [h0.matrix], outputs: out.matrix, final: [],
                          cache: cache)
            return projectedLoss(out.ptr, wOut.ptr, count: out.count)
        }
        arena.zeroGrads()
        _ = loss()
        let dX = Tensor([T * B, In]), dH0 = Tensor([B, H])
        layer.backward(arena, x: x.matrix, dOutputs: wOut.matrix, dFinal: [], dX: dX.matrix, accumulateDX: false,
                       dInitial: [dH0.matrix], cache: cache)
        let whh = arena.value(cell.W_hh), gWhh = arena.grad(cell.W_hh)
        var free: [Int] = []
        for i in 0..<3 {
            for r in cell.bounds[i]..<cell.bounds[i + 1] {
                for c in 0..<H {
                    if c < cell.bounds[i] { #expect(whh[r, c] == 0 && gWhh[r, c] == 0, "masked (\(r), \(c))") }
                    else { free.append(r * H + c) }
                }
            }
        }
        for (p, indices) in [(cell.W_ih, Array(0..<cell.W_ih.count)), (cell.W_hh, free), (cell.b, Array(0..<H))] {
            let num = numericalGradient(of: loss, at: arena.value(p).ptr, count: p.count, indices: indices, eps: 1e-2)
            let m = compareGradients(analytic: arena.grad(p).ptr, numeric: num)
            #expect(m.worst < 2e-2, "\(p.name) reverse \(reverse): \(m)")
        }
        for (v, d, name) in [(x, dX, "input"), (h0, dH0, "initial state")] {
            let num = numericalGradient(of: loss, at: v.ptr, count: v.count, eps: 1e-2)
            let m = compareGradients(analytic: d.ptr, numeric: num)
            #expect(m.worst < 2e-2, "\(name) reverse \(reverse): \(m)")
        }
    }

    // MARK: echo state network

    /// The reservoir is scaled to the wanted spectral radius, and it has the echo state property:
    /// two different initial states driven by the same input converge.
    @Test func echoStateReservoirForgetsItsStart() {
        let In = 4, H = 60, T = 200
        let arena = ParameterArena()
        let settings = ReservoirSettings(sparsity: 0.8, spectralRadius: 0.8, inputScaling: 0.5, leak: 0.7)
        let cell = EchoStateCell(arena, name: "esn", input: In, hidden: H, settings: settings)
        arena.allocate(seed: 13)
        let whh = arena.value(cell.W_hh)
        let zeros = (0..<(H * H)).filter { whh.ptr[$0] == 0 }.count
        #expect(Double(zeros) / Double(H * H) > 0.7 && Double(zeros) / Double(H * H) < 0.9, "sparsity \(zeros)")
        cell.scaleToSpectralRadius(arena)
        #expect(abs(EchoStateCell.spectralRadius(whh) - 0.8) < 0.01)
        let layer = RecurrentLayer(cell: cell)
        let x = Tensor([T, In]); fillUniform(x.ptr, count: x.count, seed: 2)
        func run(_ h0: Tensor) -> Tensor {
            let out = Tensor([T, H])
            layer.forward(arena, x: x.matrix, lengths: [T], steps: T, initial: [h0.matrix], outputs: out.matrix, final: [],
                          cache: RecurrentCache())
            return out
        }
        let a = Tensor([1, H]), b = Tensor([1, H])
        fillUniform(a.ptr, count: H, scale: 1, seed: 7); fillUniform(b.ptr, count: H, scale: 1, seed: 8)
        let oa = run(a), ob = run(b)
        func distance(_ t: Int) -> Float {
            (0..<H).reduce(0) { $0 + (oa.matrix[t, $1] - ob.matrix[t, $1]) * (oa.matrix[t, $1] - ob.matrix[t, $1]) }.squareRoot()
        }
        #expect(distance(0) > 0.1)
        #expect(distance(T - 1) < 1e-4 * distance(0), "start \(distance(0)), end \(distance(T - 1))")
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
        for l in layers { l.initializeWeights(arena) }
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
