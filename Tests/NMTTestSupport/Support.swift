// Shared helpers for the numeric tests: central-difference gradient checks and closeness checks.

import NMTTensor

/// Central-difference derivative of `loss` with respect to each of `count` floats at `ptr`
/// (only the indices in `indices`, or all when nil). The loss is computed in Double; each
/// float is perturbed by ±eps and restored.
public func numericalGradient(of loss: () -> Double, at ptr: UnsafeMutablePointer<Float>, count: Int,
                              indices: [Int]? = nil, eps: Float = 1e-2) -> [Int: Double] {
    var out: [Int: Double] = [:]
    for i in indices ?? Array(0..<count) {
        let saved = ptr[i]
        ptr[i] = saved + eps
        let plus = loss()
        ptr[i] = saved - eps
        let minus = loss()
        ptr[i] = saved
        // The perturbation actually applied, in Float arithmetic.
        let h = Double(saved + eps) - Double(saved - eps)
        out[i] = (plus - minus) / h
    }
    return out
}

/// The worst mismatch between an analytic gradient and a numerical one, as
/// |a - n| / max(|a| + |n|, floor): small relative error where gradients are large,
/// absolute error (over 2·floor) where they are near zero.
public struct GradientMismatch: CustomStringConvertible {
    public var worst: Double = 0
    public var index = -1
    public var analytic = 0.0
    public var numeric = 0.0
    public var description: String { "worst \(worst) at \(index): analytic \(analytic) numeric \(numeric)" }
}

public func compareGradients(analytic: UnsafePointer<Float>, numeric: [Int: Double],
                             floor: Double = 1e-3) -> GradientMismatch {
    var m = GradientMismatch()
    for (i, n) in numeric {
        let a = Double(analytic[i])
        let err = abs(a - n) / max(abs(a) + abs(n), floor)
        if err > m.worst { m = GradientMismatch(worst: err, index: i, analytic: a, numeric: n) }
    }
    return m
}

/// Picks up to `n` distinct indices in 0..<count, deterministically.
public func sampleIndices(_ count: Int, _ n: Int, seed: UInt64 = 7) -> [Int] {
    if count <= n { return Array(0..<count) }
    var rng = RNG(seed: seed)
    var chosen = Set<Int>()
    while chosen.count < n { chosen.insert(rng.int(below: count)) }
    return chosen.sorted()
}

/// Fills a buffer with uniform values in [-scale, scale].
public func fillUniform(_ ptr: UnsafeMutablePointer<Float>, count: Int, scale: Float = 1, seed: UInt64) {
    var rng = RNG(seed: seed)
    for i in 0..<count { ptr[i] = rng.uniform(-scale, scale) }
}

/// Largest |a[i] - b[i]| / max(1, |b[i]|).
public func maxRelativeDifference(_ a: [Float], _ b: [Float]) -> Float {
    precondition(a.count == b.count, "\(a.count) vs \(b.count) values")
    var worst: Float = 0
    for (x, y) in zip(a, b) { worst = max(worst, abs(x - y) / max(1, abs(y))) }
    return worst
}

/// Σ w_i · x_i in Double: a fixed random projection of an output, the usual scalar loss of a
/// gradient check (every output element gets a distinct gradient).
public func projectedLoss(_ x: UnsafePointer<Float>, _ w: UnsafePointer<Float>, count: Int) -> Double {
    var s = 0.0
    for i in 0..<count { s += Double(x[i]) * Double(w[i]) }
    return s
}
