// Layer normalisation over the columns of each row (Ba, Kiros & Hinton 2016; torch.nn.LayerNorm
// over the last dimension, ε = 1e-5, the biased variance):
//
//   x̂ = (x − mean(x)) · rstd,  rstd = 1 / sqrt(var(x) + ε)      per row of width G
//   y  = g ⊙ x̂ (+ b)
//
// Backward, per row, with dx̂ = dy ⊙ g:
//   dx = rstd · (dx̂ − mean(dx̂) − x̂ · mean(dx̂ ⊙ x̂))      dg += Σ_rows dy ⊙ x̂      db += Σ_rows dy
//
// Used by the sequence loop's RecurrentNorm (layer-normalised cells: the input projection and the
// recurrent product normalised apart, Marian's --layer-normalization), whole matrices or one row
// at a time. y may alias x (in place); the cache keeps x̂ and rstd, so backward needs neither x
// nor y. The row kernels are CKernels' (vec_kernels.h, every instruction-set level): sums in
// vector lanes, the lanes added in double; the variance in a second pass over x − mean.

import NMTTensor

/// What `LayerNorm.backward` reads: x̂ (rows, G) and rstd (rows) of the last forward.
public final class LayerNormCache {
    public internal(set) var normalized = Tensor([0])
    public internal(set) var rstd = Tensor([0])
    public internal(set) var rows = 0
    public init() {}

    func prepare(rows n: Int, width G: Int) {
        if normalized.count < n * G { normalized = Tensor([n * G]) }
        if rstd.count < n { rstd = Tensor([n]) }
        rows = n
    }
}

public struct LayerNorm {
    public let gain: Param     // (G), initialised to 1
    public let bias: Param?    // (G), initialised to 0
    public let width: Int
    public let epsilon: Float

    /// Registers "\(name).g" (and "\(name).b" when `bias`).
    public init(_ arena: ParameterArena, name: String, width: Int, bias: Bool = true, epsilon: Float = 1e-5) {
        precondition(width > 0, "LayerNorm \(name): width must be positive")
        self.width = width
        self.epsilon = epsilon
        gain = arena.register("\(name).g", shape: [width], initializer: .constant(1))
        self.bias = bias ? arena.register("\(name).b", shape: [width], initializer: .zeros) : nil
    }

    /// y (N, G) = LN(x (N, G)); y may be x.
    public func forward(_ arena: ParameterArena, _ x: MatrixRef, into y: MatrixRef, cache: LayerNormCache) {
        let G = width
        precondition(x.cols == G && y.cols == G && y.rows == x.rows, "LayerNorm forward: x (\(x.rows), \(x.cols)) -> y (\(y.rows), \(y.cols)), width \(G)")
        cache.prepare(rows: x.rows, width: G)
        let w = weights(arena)
        for r in 0..<x.rows {
            forwardRow(w, x.row(r), into: y.row(r), normalized: cache.normalized.ptr + r * G, rstd: cache.rstd.ptr + r)
        }
    }

    /// From dY (N, G) of the last forward: dg (+ db) accumulate; dX (N, G) is assigned (may be dY).
    public func backward(_ arena: ParameterArena, dY: MatrixRef, dX: MatrixRef, cache: LayerNormCache) {
        let G = width, n = cache.rows
        precondition(dY.rows == n && dY.cols == G && dX.rows == n && dX.cols == G, "LayerNorm backward: dY (\(dY.rows), \(dY.cols)), dX (\(dX.rows), \(dX.cols)) for \(n) rows of \(G)")
        let w = weights(arena)
        for r in 0..<n {
            backwardRow(w, dY.row(r), into: dX.row(r), normalized: cache.normalized.ptr + r * G, rstd: cache.rstd.ptr[r])
        }
    }

    /// The arena pointers the row kernels read and write: g, b (nil when there is none) and
    /// their gradients.
    public struct Weights {
        public let g: UnsafeMutablePointer<Float>, b: UnsafeMutablePointer<Float>?
        public let dg: UnsafeMutablePointer<Float>, db: UnsafeMutablePointer<Float>?
    }

    public func weights(_ arena: ParameterArena) -> Weights {
        Weights(g: arena.value(gain).ptr, b: bias.map { arena.value($0).ptr },
                dg: arena.grad(gain).ptr, db: bias.map { arena.grad($0).ptr })
    }

    /// One row (width G): y = g ⊙ x̂ (+ b); x̂ into `normalized` (G), rstd into `rstd`. y may be x.
    @inlinable
    public func forwardRow(_ w: Weights, _ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>,
                           normalized nr: UnsafeMutablePointer<Float>, rstd: UnsafeMutablePointer<Float>) {
        VectorKernels.layerNormRow(width: width, x: x, gain: w.g, bias: w.b.map { UnsafePointer($0) }, epsilon: epsilon, y: y,
                                   normalized: nr, rstd: rstd)
    }

    /// One row: dx from dy (dx may be dy); dg (and db) accumulate.
    @inlinable
    public func backwardRow(_ w: Weights, _ dy: UnsafePointer<Float>, into dx: UnsafeMutablePointer<Float>,
                            normalized nr: UnsafePointer<Float>, rstd: Float) {
        VectorKernels.layerNormBackwardRow(width: width, dy: dy, gain: w.g, normalized: nr, rstd: rstd, dx: dx, dGain: w.dg,
                                           dBias: w.db)
    }
}
