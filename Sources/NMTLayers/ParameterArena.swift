// One arena for every parameter of a model: values, gradients and Adam's two moments are four
// flat Float buffers of equal length (the last three allocated on first use, so inference holds
// the values only). Zero-grad, clipping and the Adam update are single loops
// over them; a layer holds `Param` handles (name, offset, shape) into the arena.
//
// Use in two phases: layers `register` their parameters while the model is built, then
// `allocate(seed:)` creates the buffers and initialises every parameter in registration order
// from one seeded generator (so the same seed gives the same model, bit for bit).

import NMTTensor

/// How a parameter starts.
public enum ParamInit: Sendable, Equatable {
    case zeros
    case constant(Float)
    /// Uniform in [-bound, bound].
    case uniform(Float)
    /// Each `block` rows × cols square block orthogonal (QR of a Gaussian matrix); used for
    /// recurrent matrices with fused gates, where each gate's (H, H) block is orthogonal.
    case orthogonal(blockRows: Int)
    /// A normal distribution with this standard deviation.
    case normal(Float)
    /// Each entry nonzero with probability `density`, then uniform in [-bound, bound].
    case sparseUniform(Float, density: Float)
}

/// A handle to one parameter tensor in an arena.
public struct Param: Sendable, Equatable {
    public let name: String
    public let offset: Int
    public let rows: Int
    public let cols: Int
    public var count: Int { rows * cols }
    /// The shape as stored on disk: (rows, cols), or (cols) for a vector registered with rows 1.
    public let shape: [Int]
}

public final class ParameterArena {
    public private(set) var params: [Param] = []
    private var inits: [ParamInit] = []
    private var byName: [String: Int] = [:]
    public private(set) var count = 0
    public private(set) var isAllocated = false

    public private(set) var values: UnsafeMutablePointer<Float>
    // The training buffers are allocated (zeroed) on first use: a model loaded for inference
    // never touches them, so it holds its weights only.
    @usableFromInline var gradsStorage: UnsafeMutablePointer<Float>?
    var adamMStorage: UnsafeMutablePointer<Float>?
    var adamVStorage: UnsafeMutablePointer<Float>?

    public init() {
        values = .allocate(capacity: 1)
    }

    /// Gradients, one per value (allocated and zeroed on first use).
    @inlinable public var grads: UnsafeMutablePointer<Float> {
        if let g = gradsStorage { return g }
        let g = newZeroedBuffer()
        gradsStorage = g
        return g
    }

    /// Adam's first moments (allocated and zeroed on first use).
    public var adamM: UnsafeMutablePointer<Float> {
        if let m = adamMStorage { return m }
        let m = newZeroedBuffer()
        adamMStorage = m
        return m
    }

    /// Adam's second moments (allocated and zeroed on first use).
    public var adamV: UnsafeMutablePointer<Float> {
        if let v = adamVStorage { return v }
        let v = newZeroedBuffer()
        adamVStorage = v
        return v
    }

    /// Bytes held by the buffers allocated so far (values, and the training buffers in use).
    public var allocatedBytes: Int {
        let buffers = [gradsStorage, adamMStorage, adamVStorage, average].filter { $0 != nil }.count
        return (1 + buffers) * max(count, 1) * MemoryLayout<Float>.stride
    }

    @usableFromInline func newZeroedBuffer() -> UnsafeMutablePointer<Float> {
        precondition(isAllocated, "training buffers requested before allocate")
        let n = max(count, 1)
        let p = UnsafeMutablePointer<Float>.allocate(capacity: n)
        p.initialize(repeating: 0, count: n)
        return p
    }

    /// An exponential moving average of the values (Polyak averaging), when enabled.
    public private(set) var average: UnsafeMutablePointer<Float>?

    deinit {
        values.deallocate()
        gradsStorage?.deallocate(); adamMStorage?.deallocate(); adamVStorage?.deallocate()
        average?.deallocate()
    }

    /// Starts the moving average as a copy of the current values (no-op when it exists).
    public func enableAverage() {
        precondition(isAllocated, "enableAverage before allocate")
        guard average == nil else { return }
        let a = UnsafeMutablePointer<Float>.allocate(capacity: max(count, 1))
        a.initialize(from: values, count: count)
        average = a
    }

    /// average ← decay·average + (1 − decay)·values.
    public func updateAverage(decay: Float) {
        guard let a = average else { return }
        let w = values, n = count
        let d8 = SIMD8<Float>(repeating: decay), od8 = SIMD8<Float>(repeating: 1 - decay)
        var i = 0
        while i + 8 <= n {
            let ai = UnsafeRawPointer(a + i).loadUnaligned(as: SIMD8<Float>.self)
            let wi = UnsafeRawPointer(w + i).loadUnaligned(as: SIMD8<Float>.self)
            UnsafeMutableRawPointer(a + i).storeBytes(of: d8 * ai + od8 * wi, as: SIMD8<Float>.self)
            i += 8
        }
        while i < n { a[i] = decay * a[i] + (1 - decay) * w[i]; i += 1 }
    }

    /// Exchanges the values and the moving average in place (call twice to undo): the model
    /// then computes with the averaged weights.
    public func swapAverage() {
        guard let a = average else { return }
        for i in 0..<count { let t = values[i]; values[i] = a[i]; a[i] = t }
    }

    /// Registers a (rows, cols) parameter under a stable, unique name like `encoder.l0.fwd.W_ih`.
    /// A vector is registered with `shape: [n]` (stored as one row).
    public func register(_ name: String, shape: [Int], initializer: ParamInit) -> Param {
        precondition(!isAllocated, "register \(name) after allocate")
        precondition(byName[name] == nil, "parameter \(name) registered twice")
        precondition(shape.count == 1 || shape.count == 2, "parameter \(name) must be 1-D or 2-D")
        let rows = shape.count == 2 ? shape[0] : 1
        let cols = shape.last!
        let p = Param(name: name, offset: count, rows: rows, cols: cols, shape: shape)
        byName[name] = params.count
        params.append(p)
        inits.append(initializer)
        count += rows * cols
        return p
    }

    /// Allocates the values (zeroed) and initialises them from `seed`; with a nil seed they
    /// stay zero (for a model about to be loaded from a file). Gradients and Adam's moments
    /// come on first use.
    public func allocate(seed: UInt64?) {
        precondition(!isAllocated, "allocate called twice")
        values.deallocate()
        let n = max(count, 1)
        values = .allocate(capacity: n); values.initialize(repeating: 0, count: n)
        isAllocated = true
        guard let seed else { return }
        var rng = RNG(seed: seed)
        for (p, how) in zip(params, inits) { initialize(p, how, &rng) }
    }

    public func param(named name: String) -> Param? { byName[name].map { params[$0] } }

    @inlinable public func value(_ p: Param) -> MatrixRef { MatrixRef(values + p.offset, rows: p.rows, cols: p.cols) }
    @inlinable public func grad(_ p: Param) -> MatrixRef { MatrixRef(grads + p.offset, rows: p.rows, cols: p.cols) }

    public func zeroGrads() { grads.update(repeating: 0, count: count) }

    /// Global L2 norm of all gradients (accumulated in Double).
    public func gradNorm() -> Double {
        var s = 0.0
        var i = 0
        let g = grads
        while i + 8 <= count {
            let v = UnsafeRawPointer(g + i).loadUnaligned(as: SIMD8<Float>.self)
            s += Double((v * v).sum())
            i += 8
        }
        while i < count { s += Double(g[i]) * Double(g[i]); i += 1 }
        return s.squareRoot()
    }

    /// True when every gradient is finite.
    /// Multiplies every gradient by `alpha`.
    public func scaleGrads(by alpha: Float) { scale(grads, count: count, by: alpha) }

    public func gradsAreFinite() -> Bool {
        for i in 0..<count where !grads[i].isFinite { return false }
        return true
    }

    /// Scales gradients so their global norm is at most `maxNorm`; returns the norm before clipping.
    @discardableResult
    public func clipGradNorm(_ maxNorm: Double) -> Double {
        let norm = gradNorm()
        if maxNorm > 0 && norm > maxNorm {
            scale(grads, count: count, by: Float(maxNorm / (norm + 1e-6)))
        }
        return norm
    }

    private func initialize(_ p: Param, _ how: ParamInit, _ rng: inout RNG) {
        let v = value(p)
        switch how {
        case .zeros: v.zero()
        case .constant(let c): v.fill(c)
        case .uniform(let bound):
            for i in 0..<p.count { v.ptr[i] = rng.uniform(-bound, bound) }
        case .normal(let std):
            for i in 0..<p.count { v.ptr[i] = std * rng.normal() }
        case .sparseUniform(let bound, let density):
            for i in 0..<p.count { v.ptr[i] = rng.nextFloat() < density ? rng.uniform(-bound, bound) : 0 }
        case .orthogonal(let blockRows):
            precondition(p.rows % blockRows == 0, "\(p.name): \(p.rows) rows not a multiple of \(blockRows)")
            for b in 0..<(p.rows / blockRows) {
                orthogonalBlock(v.rows(b * blockRows ..< (b + 1) * blockRows), &rng)
            }
        }
    }
}

/// Fills `m` with a (semi-)orthogonal matrix: Gram–Schmidt on Gaussian rows (or columns,
/// whichever are fewer), in Double.
func orthogonalBlock(_ m: MatrixRef, _ rng: inout RNG) {
    let transposed = m.rows > m.cols
    let n = transposed ? m.cols : m.rows   // number of vectors
    let d = transposed ? m.rows : m.cols   // their length
    var vecs = [[Double]](repeating: [Double](repeating: 0, count: d), count: n)
    for i in 0..<n {
        for k in 0..<d { vecs[i][k] = Double(rng.normal()) }
        for j in 0..<i {
            var proj = 0.0
            for k in 0..<d { proj += vecs[i][k] * vecs[j][k] }
            for k in 0..<d { vecs[i][k] -= proj * vecs[j][k] }
        }
        var norm = 0.0
        for k in 0..<d { norm += vecs[i][k] * vecs[i][k] }
        norm = max(norm.squareRoot(), 1e-12)
        for k in 0..<d { vecs[i][k] /= norm }
    }
    for i in 0..<n {
        for k in 0..<d {
            if transposed { m[k, i] = Float(vecs[i][k]) } else { m[i, k] = Float(vecs[i][k]) }
        }
    }
}
