// Row helpers on SIMD8<Float> (one AVX register): loads and stores, elementwise exp / sigmoid /
// tanh over buffers, max, sum and an in-place softmax. The exp / sigmoid / tanh kernels
// themselves are in FastMathSIMD.swift.

#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif

public typealias Float8 = SIMD8<Float>

// One-register loads and stores: `load8(p)` / `store8(v, p)` (value first, then where it goes),
// and `load8(p, n)` / `store8(v, p, n)` for the last n < 8 floats of a row.

@inlinable @inline(__always)
public func load8(_ p: UnsafePointer<Float>) -> Float8 { UnsafeRawPointer(p).loadUnaligned(as: Float8.self) }

@inlinable @inline(__always)
public func store8(_ v: Float8, _ p: UnsafeMutablePointer<Float>) {
    UnsafeMutableRawPointer(p).storeBytes(of: v, as: Float8.self)
}

@inlinable @inline(__always)
public func load8(_ p: UnsafePointer<Float>, _ n: Int) -> Float8 {
    if n >= 8 { return UnsafeRawPointer(p).loadUnaligned(as: Float8.self) }
    var v = Float8()
    for i in 0..<n { v[i] = p[i] }
    return v
}

@inlinable @inline(__always)
public func store8(_ v: Float8, _ p: UnsafeMutablePointer<Float>, _ n: Int) {
    if n >= 8 { UnsafeMutableRawPointer(p).storeBytes(of: v, as: Float8.self); return }
    for i in 0..<n { p[i] = v[i] }
}

/// y = exp(x), elementwise (y may be x).
@inlinable public func vExp(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, count: Int) {
    vSimdExp(x, y, count: count)
}
/// y = sigmoid(x), elementwise (y may be x).
@inlinable public func vSigmoid(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, count: Int) {
    vSimdSigmoid(x, y, count: count)
}
/// y = tanh(x), elementwise (y may be x).
@inlinable public func vTanh(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, count: Int) {
    vSimdTanh(x, y, count: count)
}

/// Largest of `count` floats (count > 0).
@inlinable public func vMax(_ x: UnsafePointer<Float>, count: Int) -> Float {
    var m = Float8(repeating: -.infinity)
    var i = 0
    while i + 8 <= count {
        m = pointwiseMax(m, UnsafeRawPointer(x + i).loadUnaligned(as: Float8.self))
        i += 8
    }
    var best = m.max()
    while i < count { best = Swift.max(best, x[i]); i += 1 }
    return best
}

/// Σ x
@inlinable public func vSum(_ x: UnsafePointer<Float>, count: Int) -> Float {
    var s = Float8()
    var i = 0
    while i + 8 <= count {
        s += UnsafeRawPointer(x + i).loadUnaligned(as: Float8.self)
        i += 8
    }
    var total = s.sum()
    while i < count { total += x[i]; i += 1 }
    return total
}

/// In place: row ← softmax(row); returns log Σ exp(row) of the input (the log-partition).
@discardableResult
@inlinable public func softmaxInPlace(_ row: UnsafeMutablePointer<Float>, count: Int) -> Float {
    let m = vMax(row, count: count)
    var i = 0
    var s = Float8()
    let mv = Float8(repeating: m)
    while i + 8 <= count {
        let e = simdExp(UnsafeRawPointer(row + i).loadUnaligned(as: Float8.self) - mv)
        UnsafeMutableRawPointer(row + i).storeBytes(of: e, as: Float8.self)
        s += e
        i += 8
    }
    var total = s.sum()
    while i < count { let e = simdExp(row[i] - m); row[i] = e; total += e; i += 1 }
    let inv = 1 / total
    i = 0
    while i < count { row[i] *= inv; i += 1 }
    return m + logf(total)
}
