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

@inlinable @inline(__always)
public func fastExp(_ xIn: Float8) -> Float8 {
    let x = xIn.clamped(lowerBound: Float8(repeating: -87.3), upperBound: Float8(repeating: 88.3))
    let n = (x * 1.442_695_04).rounded(.toNearestOrEven)
    // r = x - n·ln2 in two parts (Cody–Waite) to keep r exact.
    var r = x - n * 0.693_145_75
    r = r - n * 1.428_606_8e-6
    var p = Float8(repeating: 1.0 / 5040.0)
    p = p * r + 1.0 / 720.0
    p = p * r + 1.0 / 120.0
    p = p * r + 1.0 / 24.0
    p = p * r + 1.0 / 6.0
    p = p * r + 0.5
    p = p * r + 1.0
    p = p * r + 1.0
    let ni = SIMD8<Int32>(n, rounding: .towardZero)
    let bits = (ni &+ 127) &<< 23
    let pow2 = unsafeBitCast(bits, to: Float8.self)
    return p * pow2
}

@inlinable @inline(__always)
public func fastSigmoid(_ x: Float8) -> Float8 {
    1 / (1 + fastExp(-x))
}

@inlinable @inline(__always)
public func fastTanh(_ x: Float8) -> Float8 {
    2 / (1 + fastExp(-2 * x)) - 1
}

@inlinable @inline(__always)
public func fastExp(_ x: Float) -> Float { fastExp(Float8(repeating: x))[0] }
@inlinable @inline(__always)
public func fastSigmoid(_ x: Float) -> Float { 1 / (1 + fastExp(-x)) }
@inlinable @inline(__always)
public func fastTanh(_ x: Float) -> Float { 2 / (1 + fastExp(-2 * x)) - 1 }

/// Applies `f` to `count` floats from `x` into `y` (which may equal `x`), eight at a time.
@inlinable @inline(__always)
func mapSIMD(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ count: Int, _ f: (Float8) -> Float8) {
    var i = 0
    while i + 8 <= count {
        let v = UnsafeRawPointer(x + i).loadUnaligned(as: Float8.self)
        UnsafeMutableRawPointer(y + i).storeBytes(of: f(v), as: Float8.self)
        i += 8
    }
    if i < count {
        var v = Float8()
        for j in 0..<(count - i) { v[j] = x[i + j] }
        let r = f(v)
        for j in 0..<(count - i) { y[i + j] = r[j] }
    }
}

/// y = exp(x), elementwise (y may be x).
@inlinable public func vExp(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, count: Int) {
    mapSIMD(x, y, count, fastExp)
}
/// y = sigmoid(x), elementwise (y may be x).
@inlinable public func vSigmoid(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, count: Int) {
    mapSIMD(x, y, count, fastSigmoid)
}
/// y = tanh(x), elementwise (y may be x).
@inlinable public func vTanh(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, count: Int) {
    mapSIMD(x, y, count, fastTanh)
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
