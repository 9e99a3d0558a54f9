import Foundation
import NMTLayers
import NMTTensor
import NMTTestSupport
import Testing

/// Layer-normalised cells (RecurrentNorm) through the one sequence loop: central-difference
/// gradients of every parameter (the two gains included), the inputs and the initial state, with
/// padding, both directions; the LSTM (shared gate gradient) and the GRU (input bias after the
/// normalisation, reset gate on the normalised product).
@Suite struct NormalizedCellTests {
    /// Outputs and every gradient against PyTorch (float64, autograd; the cells written out from
    /// the paper's equations in scripts/reference/normalized_cells_reference.py), with padding
    /// (lengths [3, 1, 2]), forward from (h0, c0) and reverse from zeros.
    func checkReference<Cell: RecurrentCell>(_ make: (ParameterArena) -> Cell, _ name: String, reverse: Bool) throws {
        let In = 3, H = 9, T = 3, lengths = [3, 1, 2]
        let B = lengths.count, P = Cell.stateParts
        let arena = ParameterArena()
        let cell = make(arena)
        let layer = RecurrentLayer(cell: cell, reverse: reverse, norm: RecurrentNorm(arena, name: "ref", gateWidth: cell.gateWidth))
        arena.allocate(seed: 0)
        for p in arena.params {
            let v = arena.value(p)
            switch String(p.name.dropFirst("ref.".count)) {
            case "W_ih": for r in 0..<p.shape[0] { for c in 0..<In { v[r, c] = Float(0.4 * sin(0.37 * Double(r * In + c) + 0.3)) } }
            case "W_hh": for r in 0..<p.shape[0] { for c in 0..<H { v[r, c] = Float(0.4 * cos(0.23 * Double(r * H + c) + 0.1)) } }
            case "b", "b_ih": for r in 0..<p.count { v.ptr[r] = Float(0.2 * sin(0.71 * Double(r) + 0.5)) }
            case "b_hh": for r in 0..<p.count { v.ptr[r] = Float(0.2 * cos(0.53 * Double(r) + 0.2)) }
            case "ln_ih.g": for r in 0..<p.count { v.ptr[r] = Float(1 + 0.1 * sin(0.3 * Double(r))) }
            case "ln_hh.g": for r in 0..<p.count { v.ptr[r] = Float(1 + 0.1 * cos(0.4 * Double(r))) }
            default: Issue.record("unexpected tensor \(p.name)")
            }
        }
        let x = Tensor([T * B, In]), h0 = Tensor([B, H]), c0 = Tensor([B, H])
        for row in 0..<(T * B) { for c in 0..<In { x.matrix[row, c] = Float(1.5 * sin(0.37 * Double(row * In + c))) } }
        for bb in 0..<B {
            for j in 0..<H {
                h0.matrix[bb, j] = Float(0.3 * sin(0.5 * Double(bb * H + j) + 1.0))
                c0.matrix[bb, j] = Float(0.3 * cos(0.45 * Double(bb * H + j)))
            }
        }
        let wOut = Tensor([T * B, H])
        for row in 0..<(T * B) { for j in 0..<H { wOut.matrix[row, j] = Float(cos(0.29 * Double(row * H + j))) } }
        let wFinal = (0..<P).map { k -> Tensor in
            let t = Tensor([B, H])
            for bb in 0..<B { for j in 0..<H { t.matrix[bb, j] = Float(sin(0.31 * Double(bb * H + j) + Double(k))) } }
            return t
        }
        let out = Tensor([T * B, H]), finals = (0..<P).map { _ in Tensor([B, H]) }, cache = RecurrentCache()
        let initial: [MatrixRef?] = reverse ? [] : Array([h0.matrix, c0.matrix].prefix(P))
        layer.forward(arena, x: x.matrix, lengths: lengths, steps: T, initial: initial, outputs: out.matrix,
                      final: finals.map(\.matrix), cache: cache)
        let want = try #require(NormalizedCellReference.values[name]?[reverse ? "rev" : "fwd"])
        #expect(maxRelativeDifference(out.array, try #require(want["outputs"])) < 1e-5, "\(name) outputs")
        arena.zeroGrads()
        let dX = Tensor([T * B, In])
        layer.backward(arena, x: x.matrix, dOutputs: wOut.matrix, dFinal: wFinal.map(\.matrix), dX: dX.matrix,
                       accumulateDX: false, dInitial: [], cache: cache)
        #expect(maxRelativeDifference(dX.array, try #require(want["dX"])) < 1e-5, "\(name) dX")
        for p in arena.params {
            let key = String(p.name.dropFirst("ref.".count))
            let got = Array(UnsafeBufferPointer(start: arena.grad(p).ptr, count: p.count))
            #expect(maxRelativeDifference(got, try #require(want[key])) < 1e-5, "\(name) d\(key) reverse \(reverse)")
        }
    }

    @Test(arguments: [false, true])
    func lstmMatchesPyTorch(reverse: Bool) throws {
        try checkReference({ LSTMCell($0, name: "ref", input: 3, hidden: 9) }, "lstm", reverse: reverse)
    }

    @Test(arguments: [false, true])
    func gruMatchesPyTorch(reverse: Bool) throws {
        try checkReference({ GRUCell($0, name: "ref", input: 3, hidden: 9) }, "gru", reverse: reverse)
    }

    func check<Cell: RecurrentCell>(_ make: (ParameterArena) -> Cell, reverse: Bool, initialState: Bool, _ what: String) {
        let T = 3, lengths = [3, 1, 2]
        let B = lengths.count, P = Cell.stateParts
        let arena = ParameterArena()
        let cell = make(arena)
        let layer = RecurrentLayer(cell: cell, reverse: reverse, norm: RecurrentNorm(arena, name: "cell", gateWidth: cell.gateWidth))
        arena.allocate(seed: 21)
        fillUniform(arena.values, count: arena.count, scale: 0.6, seed: 4)
        for p in arena.params where p.name.contains(".ln_") {
            for j in 0..<p.count { arena.value(p).ptr[j] += 1 }     // gains around 1
        }
        let In = cell.input, H = cell.hidden
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
        let dX = Tensor([T * B, In])
        let dInitial = (0..<P).map { _ in Tensor([B, H]) }
        layer.backward(arena, x: x.matrix, dOutputs: wOut.matrix, dFinal: wFinal.map(\.matrix), dX: dX.matrix,
                       accumulateDX: false, dInitial: initialState ? dInitial.map(\.matrix) : [], cache: cache)
        // Normalised products give small gradients, where Float central differences carry an
        // absolute error of a few 1e-5 (truncation at eps 1e-2 and round-off balance there): the
        // relative error is taken against at least 1e-2. The exact check is the PyTorch one above.
        let tol = 2e-2, floor = 1e-2
        #expect(arena.params.filter { $0.name.contains(".ln_") }.count == 2)
        for p in arena.params {
            let num = numericalGradient(of: loss, at: arena.value(p).ptr, count: p.count,
                                        indices: sampleIndices(p.count, 60), eps: 1e-2)
            let m = compareGradients(analytic: arena.grad(p).ptr, numeric: num, floor: floor)
            #expect(m.worst < tol, "\(what) \(p.name) reverse \(reverse) initial \(initialState): \(m)")
        }
        let numX = numericalGradient(of: loss, at: x.ptr, count: x.count, eps: 1e-2)
        let mX = compareGradients(analytic: dX.ptr, numeric: numX, floor: floor)
        #expect(mX.worst < tol, "\(what) input: \(mX)")
        if initialState {
            for p in 0..<P {
                let num = numericalGradient(of: loss, at: initial[p].ptr, count: initial[p].count, eps: 1e-2)
                let m = compareGradients(analytic: dInitial[p].ptr, numeric: num, floor: floor)
                #expect(m.worst < tol, "\(what) initial state part \(p): \(m)")
            }
        }
    }

    @Test(arguments: [(false, false), (false, true), (true, false), (true, true)])
    func lstmGradients(directionAndState: (Bool, Bool)) {
        check({ LSTMCell($0, name: "cell", input: 4, hidden: 9) }, reverse: directionAndState.0, initialState: directionAndState.1, "lstm")
    }

    @Test(arguments: [(false, false), (false, true), (true, false), (true, true)])
    func gruGradients(directionAndState: (Bool, Bool)) {
        check({ GRUCell($0, name: "cell", input: 4, hidden: 9) }, reverse: directionAndState.0, initialState: directionAndState.1, "gru")
    }
}
