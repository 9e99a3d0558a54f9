// Small SIMD elementwise helpers on raw pointers (eight floats at a time, scalar tail).

/// y += x
@inlinable
public func addInPlace(_ y: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, count: Int) {
    var i = 0
    while i + 8 <= count {
        let a = UnsafeRawPointer(y + i).loadUnaligned(as: SIMD8<Float>.self)
        let b = UnsafeRawPointer(x + i).loadUnaligned(as: SIMD8<Float>.self)
        UnsafeMutableRawPointer(y + i).storeBytes(of: a + b, as: SIMD8<Float>.self)
        i += 8
    }
    while i < count { y[i] += x[i]; i += 1 }
}

/// y *= x (elementwise)
@inlinable
public func multiplyInPlace(_ y: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, count: Int) {
    var i = 0
    while i + 8 <= count {
        let a = UnsafeRawPointer(y + i).loadUnaligned(as: SIMD8<Float>.self)
        let b = UnsafeRawPointer(x + i).loadUnaligned(as: SIMD8<Float>.self)
        UnsafeMutableRawPointer(y + i).storeBytes(of: a * b, as: SIMD8<Float>.self)
        i += 8
    }
    while i < count { y[i] *= x[i]; i += 1 }
}
