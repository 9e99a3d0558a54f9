// Vectorized exp, sigmoid and tanh on SIMD8<Float> (one AVX register), and the row-wise
// softmax helpers built on them. libm's expf/tanhf are scalar calls; these are polynomials.
//
// exp: x = n·ln2 + r with |r| ≤ ln2/2, exp(r) by its degree-7 Taylor polynomial (truncation
// error < 6e-9 relative), times 2^n built in the exponent bits. Inputs are clamped to
// [-87.3, 88.3], so results stay finite and normal. Accuracy (tested against libm over
// [-87, 88]): relative error < 4e-7. sigmoid(x) = 1 / (1 + exp(-x)) and
// tanh(x) = 2·sigmoid(2x) - 1 inherit it as absolute error < 3e-7.

#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif

public typealias Float8 = SIMD8<Float>

// The kernels themselves live in FastMathSIMD.swift (simdExp / simdSigmoid / simdTanh, which
// avoid float → int conversions that Swift 6.3 compiles to per-lane generic calls); the
// `fast*` names below are the same functions.

@inlinable @inline(__always)
public func fastExp(_ x: Float8) -> Float8 { simdExp(x) }

@inlinable @inline(__always)
public func fastSigmoid(_ x: Float8) -> Float8 { simdSigmoid(x) }

@inlinable @inline(__always)
public func fastTanh(_ x: Float8) -> Float8 { simdTanh(x) }

@inlinable @inline(__always)
public func fastExp(_ x: Float) -> Float { simdExp(x) }
@inlinable @inline(__always)
public func fastSigmoid(_ x: Float) -> Float { simdSigmoid(x) }
@inlinable @inline(__always)
public func fastTanh(_ x: Float) -> Float { simdTanh(x) }

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
        let e = fastExp(UnsafeRawPointer(row + i).loadUnaligned(as: Float8.self) - mv)
        UnsafeMutableRawPointer(row + i).storeBytes(of: e, as: Float8.self)
        s += e
        i += 8
    }
    var total = s.sum()
    while i < count { let e = fastExp(row[i] - m); row[i] = e; total += e; i += 1 }
    let inv = 1 / total
    i = 0
    while i < count { row[i] *= inv; i += 1 }
    return m + logf(total)
}
