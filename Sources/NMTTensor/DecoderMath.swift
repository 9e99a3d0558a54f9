// exp / sigmoid / tanh on SIMD8<Float> for the decoder's hot kernels (GRU gates, attention
// scores, softmax cross-entropy).
//
// Same algorithm and accuracy as `fastExp` in FastMath.swift (x = n·ln2 + r, |r| ≤ ln2/2,
// degree-7 Taylor polynomial, 2^n built in the exponent bits, input clamped to [-87.3, 88.3]),
// but n is rounded and converted to integers with the 1.5·2^23 "magic number" trick, entirely
// in SIMD registers. `SIMD8<Int32>(_:rounding:)` (used by fastExp) is not specialized by the
// compiler here: it becomes a per-lane call of the generic `_convert(from:)` and took ~15 % of
// a decoder training step in a release-build profile.


@inlinable @inline(__always)
public func decExp(_ xIn: SIMD8<Float>) -> SIMD8<Float> {
    // Clamp with mask selects (`clamped(lowerBound:upperBound:)` is not inlined here either).
    let lo = SIMD8<Float>(repeating: -87.3), hi = SIMD8<Float>(repeating: 88.3)
    var x = xIn.replacing(with: lo, where: xIn .< lo)
    x.replace(with: hi, where: x .> hi)
    let magic = SIMD8<Float>(repeating: 12_582_912)            // 1.5·2^23: adding it rounds to an integer
    let shifted = x * 1.442_695_04 + magic                     // round-to-nearest-even of x·log2(e), in the low bits
    let n = shifted - magic
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
    // The integer n sits in the mantissa of `shifted`: bits(shifted) − bits(magic) = n.
    let ni = unsafeBitCast(shifted, to: SIMD8<Int32>.self) &- SIMD8<Int32>(repeating: 0x4B40_0000)
    let bits = (ni &+ SIMD8<Int32>(repeating: 127)) &<< SIMD8<Int32>(repeating: 23)
    return p * unsafeBitCast(bits, to: SIMD8<Float>.self)
}

@inlinable @inline(__always)
public func decSigmoid(_ x: SIMD8<Float>) -> SIMD8<Float> { 1 / (1 + decExp(-x)) }

@inlinable @inline(__always)
public func decTanh(_ x: SIMD8<Float>) -> SIMD8<Float> { 2 / (1 + decExp(-2 * x)) - 1 }

/// y = tanh(x) elementwise over `count` floats (y may be x).
@inlinable
public func decTanh(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, count: Int) {
    var i = 0
    while i + 8 <= count {
        let v = UnsafeRawPointer(x + i).loadUnaligned(as: SIMD8<Float>.self)
        UnsafeMutableRawPointer(y + i).storeBytes(of: decTanh(v), as: SIMD8<Float>.self)
        i += 8
    }
    if i < count {
        var v = SIMD8<Float>()
        for j in 0..<(count - i) { v[j] = x[i + j] }
        let r = decTanh(v)
        for j in 0..<(count - i) { y[i + j] = r[j] }
    }
}
