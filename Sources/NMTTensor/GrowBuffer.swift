// The one reusable scratch buffer of the code base: a Float buffer that only grows, handing
// out views of any shape that fits, so batches of varying shape allocate nothing once the
// largest has been seen. Its contents are stale from the previous use.

public final class GrowBuffer {
    public private(set) var tensor = Tensor([0])
    public init() {}

    /// A (rows, cols) view, growing the buffer when it is too small.
    @inline(__always) public func matrix(_ rows: Int, _ cols: Int) -> MatrixRef {
        if tensor.count < rows * cols { tensor = Tensor([rows * cols]) }
        return MatrixRef(tensor.ptr, rows: rows, cols: cols)
    }

    /// The underlying tensor, grown to at least `count` floats (dropout masks take a tensor).
    public func tensorFor(_ count: Int) -> Tensor {
        _ = matrix(1, count)
        return tensor
    }
}
