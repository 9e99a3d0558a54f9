// Row-major Float32 storage and strided matrix views.
//
// A `Tensor` owns one 64-byte-aligned block of Floats and a shape. Every computation works on
// `MatrixRef`s: (pointer, rows, cols, leading dimension) views into tensors, so a column block
// (one gate of a fused weight, one half of a concatenation) is a view, never a copy.

/// A strided row-major matrix view: element (r, c) is at `ptr[r * ld + c]`.
/// It does not own its memory; the tensor or arena it points into must outlive it.
@frozen
public struct MatrixRef {
    public let ptr: UnsafeMutablePointer<Float>
    public let rows: Int
    public let cols: Int
    /// Leading dimension: distance in Floats between the starts of two rows (>= cols).
    public let ld: Int

    @inlinable
    public init(_ ptr: UnsafeMutablePointer<Float>, rows: Int, cols: Int, ld: Int? = nil) {
        self.ptr = ptr
        self.rows = rows
        self.cols = cols
        self.ld = ld ?? cols
        precondition(self.ld >= cols, "leading dimension \(self.ld) < cols \(cols)")
    }

    @inlinable public var count: Int { rows * cols }
    /// True when rows follow each other with no gap, so the view is one flat block.
    @inlinable public var isContiguous: Bool { ld == cols || rows <= 1 }

    @inlinable
    public subscript(r: Int, c: Int) -> Float {
        get { ptr[r * ld + c] }
        nonmutating set { ptr[r * ld + c] = newValue }
    }

    @inlinable public func row(_ r: Int) -> UnsafeMutablePointer<Float> { ptr + r * ld }

    /// Rows `range` of this view.
    @inlinable
    public func rows(_ range: Range<Int>) -> MatrixRef {
        precondition(range.lowerBound >= 0 && range.upperBound <= rows, "row range \(range) outside 0..<\(rows)")
        return MatrixRef(ptr + range.lowerBound * ld, rows: range.count, cols: cols, ld: ld)
    }

    /// Columns `range` of this view (same leading dimension).
    @inlinable
    public func cols(_ range: Range<Int>) -> MatrixRef {
        precondition(range.lowerBound >= 0 && range.upperBound <= cols, "column range \(range) outside 0..<\(cols)")
        return MatrixRef(ptr + range.lowerBound, rows: rows, cols: range.count, ld: ld)
    }

    /// The same contiguous memory seen as (rows, cols) with rows * cols == self.count.
    @inlinable
    public func reshaped(rows r: Int, cols c: Int) -> MatrixRef {
        precondition(isContiguous && r * c == count, "cannot reshape (\(rows), \(cols)) ld \(ld) to (\(r), \(c))")
        return MatrixRef(ptr, rows: r, cols: c)
    }

    /// Sets every element to zero.
    @inlinable
    public func zero() {
        if isContiguous {
            ptr.update(repeating: 0, count: count)
        } else {
            for r in 0..<rows { row(r).update(repeating: 0, count: cols) }
        }
    }

    /// Sets every element to `value`.
    @inlinable
    public func fill(_ value: Float) {
        for r in 0..<rows { row(r).update(repeating: value, count: cols) }
    }

    /// Copies `other` (same shape) into this view.
    @inlinable
    public func copy(from other: MatrixRef) {
        precondition(other.rows == rows && other.cols == cols, "copy shape (\(other.rows), \(other.cols)) into (\(rows), \(cols))")
        if isContiguous && other.isContiguous {
            ptr.update(from: other.ptr, count: count)
        } else {
            for r in 0..<rows { row(r).update(from: other.row(r), count: cols) }
        }
    }

    /// The elements, row by row (for tests and debugging).
    public var array: [Float] {
        var out = [Float]()
        out.reserveCapacity(count)
        for r in 0..<rows { for c in 0..<cols { out.append(self[r, c]) } }
        return out
    }
}

/// Owned, zero-initialised, 64-byte-aligned Float32 storage with a shape (row-major).
public final class Tensor {
    public let shape: [Int]
    public let count: Int
    public let ptr: UnsafeMutablePointer<Float>

    public init(_ shape: [Int]) {
        precondition(shape.allSatisfy { $0 >= 0 }, "negative dimension in \(shape)")
        self.shape = shape
        self.count = shape.reduce(1, *)
        let raw = UnsafeMutableRawPointer.allocate(byteCount: max(count, 1) * MemoryLayout<Float>.stride, alignment: 64)
        self.ptr = raw.bindMemory(to: Float.self, capacity: max(count, 1))
        ptr.initialize(repeating: 0, count: max(count, 1))
    }

    public convenience init(_ shape: [Int], _ values: [Float]) {
        self.init(shape)
        precondition(values.count == count, "\(values.count) values for shape \(shape)")
        values.withUnsafeBufferPointer { ptr.update(from: $0.baseAddress!, count: count) }
    }

    deinit { ptr.deallocate() }

    /// All dimensions but the last folded into rows; the last is the columns.
    @inlinable public var matrix: MatrixRef {
        let cols = shape.last ?? 1
        return MatrixRef(ptr, rows: cols == 0 ? 0 : count / cols, cols: cols)
    }

    /// The tensor seen as a (rows, cols) matrix; rows * cols must equal count.
    @inlinable public func matrix(rows: Int, cols: Int) -> MatrixRef {
        precondition(rows * cols == count, "(\(rows), \(cols)) does not fit shape \(shape)")
        return MatrixRef(ptr, rows: rows, cols: cols)
    }

    @inlinable public var buffer: UnsafeMutableBufferPointer<Float> { UnsafeMutableBufferPointer(start: ptr, count: count) }

    @inlinable public subscript(i: Int) -> Float {
        get { ptr[i] }
        set { ptr[i] = newValue }
    }

    public func zero() { ptr.update(repeating: 0, count: count) }

    public var array: [Float] { Array(buffer) }
}
