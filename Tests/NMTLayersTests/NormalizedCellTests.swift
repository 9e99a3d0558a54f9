import Foundation
import NMTLayers
import NMTTensor
import NMTTestSupport
import Testing

/// Layer-normalised cells (RecurrentNorm) through the one sequence loop: the LSTM (shared gate
/// gradient) and the GRU (input bias after the normalisation, reset gate on the normalised
/// product) against PyTorch; every trained cell by central differences.
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
        let (x, h0, c0) = CellTests.referenceInputs(T: T, B: B, input: In, hidden: H)
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

    /// Central differences on every parameter (the gains included), the inputs and the initial
    /// state, through CellTests' check, for the five trained cells. Normalised products give small
    /// gradients, where Float central differences carry an absolute error of a few 1e-5 (truncation
    /// at eps 1e-2 and round-off balance there): relative errors are taken against at least 1e-2.
    /// The exact check is the PyTorch one above.
    @Test(arguments: CellKind.sequenceCells, [(false, false), (false, true), (true, false), (true, true)])
    func gradientsMatchCentralDifferences(cell: CellKind, directionAndState: (Bool, Bool)) {
        CellTests.centralDifferences(cell: cell, reverse: directionAndState.0, initialState: directionAndState.1,
                                     layerNorm: true, floor: 1e-2)
    }
}
