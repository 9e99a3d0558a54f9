import NMTLayers
import NMTTensor
import NMTTestSupport
import Testing

@Suite struct EmbeddingTests {
    @Test func lookupGivesRowsAndZeroForPadding() {
        let arena = ParameterArena()
        let emb = Embedding(arena, name: "emb", vocab: 6, dim: 4, paddingId: 0)
        arena.allocate(seed: 5)
        let ids: [Int32] = [3, 0, 5, 3]
        let y = Tensor([4, 4]); y.matrix.fill(9)
        ids.withUnsafeBufferPointer { emb.forward(arena, ids: $0, into: y.matrix) }
        let t = arena.value(emb.table)
        #expect(Array(y.array[0..<4]) == Array(t.array[12..<16]))
        #expect(Array(y.array[4..<8]) == [0, 0, 0, 0])
        #expect(Array(y.array[8..<12]) == Array(t.array[20..<24]))
    }

    /// Gradient check on the table; rows not used (and the padding row) get exactly zero.
    @Test func gradientGoesOnlyToUsedRows() {
        let arena = ParameterArena()
        let emb = Embedding(arena, name: "emb", vocab: 7, dim: 3, paddingId: 0)
        arena.allocate(seed: 5)
        let ids: [Int32] = [2, 0, 4, 2, 0]
        let w = Tensor([5, 3]); fillUniform(w.ptr, count: w.count, seed: 8)
        let y = Tensor([5, 3])
        func loss() -> Double {
            ids.withUnsafeBufferPointer { emb.forward(arena, ids: $0, into: y.matrix) }
            return projectedLoss(y.ptr, w.ptr, count: y.count)
        }
        arena.zeroGrads()
        _ = loss()
        ids.withUnsafeBufferPointer { emb.backward(arena, ids: $0, dY: w.matrix) }
        let num = numericalGradient(of: loss, at: arena.value(emb.table).ptr, count: emb.table.count, eps: 1e-2)
        let m = compareGradients(analytic: arena.grad(emb.table).ptr, numeric: num)
        #expect(m.worst < 1e-2, "\(m)")
        let g = arena.grad(emb.table)
        for row in [0, 1, 3, 5, 6] { #expect((0..<3).allSatisfy { g[row, $0] == 0 }, "row \(row)") }
        for c in 0..<3 { #expect(abs(g[2, c] - (w.matrix[0, c] + w.matrix[3, c])) < 1e-6) }
    }
}
