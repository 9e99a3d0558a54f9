// Row helpers on SIMD8<Float>: loads and stores, max, sum; elementwise exp / sigmoid / tanh over
// buffers and an in-place softmax, which run CKernels' 4/8/16-lane kernels at Kernels.path
// (VectorKernels.swift). The SIMD8 exp / sigmoid / tanh (FastMathSIMD.swift) serve the cells
// written in Swift.

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
    VectorKernels.exp(x, y, count: count)
}
/// y = sigmoid(x), elementwise (y may be x).
@inlinable public func vSigmoid(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, count: Int) {
    VectorKernels.sigmoid(x, y, count: count)
}
/// y = tanh(x), elementwise (y may be x).
@inlinable public func vTanh(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, count: Int) {
    VectorKernels.tanh(x, y, count: count)
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
    VectorKernels.softmax(row, count: count)
}
