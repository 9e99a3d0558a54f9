// exp / sigmoid / tanh on SIMD8<Float> without any float → int conversion.
//
// exp: x = n·ln2 + r with |r| ≤ ln2/2 (Cody–Waite reduction), exp(r) by its degree-7 Taylor
// polynomial (truncation error < 6e-9 relative), times 2^n built in the exponent bits. Inputs
// are clamped to [-87.3, 88.3], so results stay finite and normal: relative error < 4e-7
// against libm over [-87, 88]. sigmoid(x) = 1 / (1 + exp(-x)) and tanh(x) = 2·sigmoid(2x) − 1
// inherit it as absolute error < 3e-7. n = round(x·log2 e) comes from the 1.5·2^23 "magic
// number" addition, its integer bits read straight from the float's bit pattern: Swift 6.3's
// `SIMD8<Int32>(n, rounding:)` and `.rounded(...)` compile to per-lane generic stdlib calls
// that would cost more than the rest of an LSTM cell. Tested against libm in
// Tests/NMTTensorTests/FastMathTests.swift.

@inlinable @inline(__always)
public func simdExp(_ xIn: SIMD8<Float>) -> SIMD8<Float> {
    let lo = SIMD8<Float>(repeating: -87.3), hi = SIMD8<Float>(repeating: 88.3)
    var x = xIn
    x.replace(with: lo, where: x .< lo)
    x.replace(with: hi, where: x .> hi)
    let magic = SIMD8<Float>(repeating: 12_582_912)            // 1.5 · 2^23
    let t = x * 1.442_695_04 + magic                             // n + magic, n = round(x·log2 e)
    let n = t - magic
    var r = x - n * 0.693_145_75
    r = r - n * 1.428_606_8e-6
    var p = SIMD8<Float>(repeating: 1.0 / 5040.0)
    p = p * r + 1.0 / 720.0
    p = p * r + 1.0 / 120.0
    p = p * r + 1.0 / 24.0
    p = p * r + 1.0 / 6.0
    p = p * r + 0.5
    p = p * r + 1.0
    p = p * r + 1.0
    // The low mantissa bits of t hold n (two's complement around 0x4B40_0000).
    let ni = unsafeBitCast(t, to: SIMD8<Int32>.self) &- 0x4B40_0000
    let pow2 = unsafeBitCast((ni &+ 127) &<< 23, to: SIMD8<Float>.self)
    return p * pow2
}

@inlinable @inline(__always)
public func simdSigmoid(_ x: SIMD8<Float>) -> SIMD8<Float> {
    1 / (1 + simdExp(-x))
}

@inlinable @inline(__always)
public func simdTanh(_ x: SIMD8<Float>) -> SIMD8<Float> {
    2 / (1 + simdExp(-2 * x)) - 1
}

@inlinable @inline(__always)
public func simdExp(_ x: Float) -> Float { simdExp(SIMD8<Float>(repeating: x))[0] }
@inlinable @inline(__always)
public func simdSigmoid(_ x: Float) -> Float { simdSigmoid(SIMD8<Float>(repeating: x))[0] }
@inlinable @inline(__always)
public func simdTanh(_ x: Float) -> Float { simdTanh(SIMD8<Float>(repeating: x))[0] }
