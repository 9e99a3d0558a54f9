// Embedding lookup: y[i] = table[ids[i]], with the padding id giving a zero row.
//
// Initialisation: normal(0, 1/sqrt(E)) — each embedding has expected squared norm 1, so the
// first LSTM layer's input pre-activations start at the scale its ±1/sqrt(H) weights expect.
// (PyTorch's nn.Embedding uses normal(0, 1); the scale only matters at initialisation.)
//
// Padding: the padding id (a parameter, SpecialIds.pad for the models) always produces a zero output row (the stored row 0 is never read) and its
// row never receives gradient, so the padding row's value is irrelevant and stays untouched.

import NMTTensor

public struct Embedding {
    public let table: Param           // (V, E)
    public let vocab: Int
    public let dim: Int
    /// The id whose rows are zero and get no gradient.
    public let paddingId: Int32

    /// Registers "\(name).weight" (V, E), normal(0, 1/sqrt(E)).
    public init(_ arena: ParameterArena, name: String, vocab: Int, dim: Int, paddingId: Int32) {
        precondition(vocab > 0 && dim > 0, "Embedding \(name): sizes must be positive")
        self.vocab = vocab
        self.dim = dim
        self.paddingId = paddingId
        table = arena.register("\(name).weight", shape: [vocab, dim], initializer: .normal(1 / Float(dim).squareRoot()))
    }

    /// y (ids.count, E): row i = table[ids[i]], or zeros for the padding id.
    @inlinable
    public func forward(_ arena: ParameterArena, ids: UnsafeBufferPointer<Int32>, into y: MatrixRef) {
        precondition(y.rows == ids.count && y.cols == dim, "Embedding forward: y (\(y.rows), \(y.cols)) for \(ids.count) ids, dim \(dim)")
        let t = arena.value(table)
        for i in 0..<ids.count {
            let id = Int(ids[i])
            precondition(id >= 0 && id < vocab, "Embedding: id \(id) outside vocabulary of \(vocab)")
            if id == Int(paddingId) {
                y.row(i).update(repeating: 0, count: dim)
            } else {
                y.row(i).update(from: t.row(id), count: dim)
            }
        }
    }

    /// table.grad[ids[i]] += dY[i] for every non-padding id (only rows in use are touched).
    @inlinable
    public func backward(_ arena: ParameterArena, ids: UnsafeBufferPointer<Int32>, dY: MatrixRef) {
        precondition(dY.rows == ids.count && dY.cols == dim, "Embedding backward: dY (\(dY.rows), \(dY.cols)) for \(ids.count) ids")
        let g = arena.grad(table)
        for i in 0..<ids.count {
            let id = Int(ids[i])
            if id == Int(paddingId) { continue }
            addInPlace(g.row(id), dY.row(i), count: dim)
        }
    }
}
