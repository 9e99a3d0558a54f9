// BLAS wrappers: the only place that calls OpenBLAS.
//
// `gemm` computes C = alpha * op(A) * op(B) + beta * C on MatrixRef views and switches to sgemv
// when op(A) has a single row (OpenBLAS 0.3.21 does not do that itself: 6 vs 24 GFLOP/s).

import COpenBLAS

/// C = alpha · op(A) · op(B) + beta · C, where op(X) = Xᵀ when the matching flag is set.
@inlinable
public func gemm(_ a: MatrixRef, transA: Bool = false, _ b: MatrixRef, transB: Bool = false,
                 into c: MatrixRef, alpha: Float = 1, beta: Float = 0) {
    let m = transA ? a.cols : a.rows
    let k = transA ? a.rows : a.cols
    let kb = transB ? b.cols : b.rows
    let n = transB ? b.rows : b.cols
    precondition(k == kb && c.rows == m && c.cols == n,
                 "gemm shapes: op(A) (\(m), \(k)) · op(B) (\(kb), \(n)) -> C (\(c.rows), \(c.cols))")
    if m == 0 || n == 0 { return }
    if k == 0 {
        if beta == 0 { c.zero() } else if beta != 1 { for r in 0..<c.rows { scale(c.row(r), count: c.cols, by: beta) } }
        return
    }
    if m == 1 {
        // y (n) = alpha · op(B)ᵀ · x + beta · y, with x the single row of op(A).
        let incX = transA ? a.ld : 1
        cblas_sgemv(CblasRowMajor, transB ? CblasNoTrans : CblasTrans,
                    Int32(b.rows), Int32(b.cols), alpha, b.ptr, Int32(b.ld),
                    a.ptr, Int32(incX), beta, c.ptr, 1)
        return
    }
    cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
                Int32(m), Int32(n), Int32(k), alpha, a.ptr, Int32(a.ld), b.ptr, Int32(b.ld),
                beta, c.ptr, Int32(c.ld))
}

/// y = alpha · op(A) · x + beta · y for contiguous vectors.
@inlinable
public func gemv(_ a: MatrixRef, trans: Bool = false, x: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>,
                 alpha: Float = 1, beta: Float = 0) {
    cblas_sgemv(CblasRowMajor, trans ? CblasTrans : CblasNoTrans, Int32(a.rows), Int32(a.cols), alpha,
                a.ptr, Int32(a.ld), x, 1, beta, y, 1)
}

/// y += alpha · x
@inlinable
public func axpy(_ alpha: Float, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, count: Int) {
    cblas_saxpy(Int32(count), alpha, x, 1, y, 1)
}

/// x *= alpha
@inlinable
public func scale(_ x: UnsafeMutablePointer<Float>, count: Int, by alpha: Float) {
    cblas_sscal(Int32(count), alpha, x, 1)
}

/// Σ x·y
@inlinable
public func dot(_ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, count: Int) -> Float {
    cblas_sdot(Int32(count), x, 1, y, 1)
}

/// Adds each row of `bias` (1, cols) to every row of `m`.
@inlinable
public func addRowVector(_ bias: UnsafePointer<Float>, to m: MatrixRef) {
    for r in 0..<m.rows {
        let row = m.row(r)
        for c in 0..<m.cols { row[c] += bias[c] }
    }
}

/// db (cols) += Σ_rows m   (the gradient of a broadcast bias)
@inlinable
public func accumulateColumnSums(of m: MatrixRef, into db: UnsafeMutablePointer<Float>) {
    for r in 0..<m.rows {
        let row = m.row(r)
        for c in 0..<m.cols { db[c] += row[c] }
    }
}

/// OpenBLAS thread control. Our own parallel loops and OpenBLAS threads never run at once.
public enum BLASThreads {
    public static func set(_ n: Int) { openblas_set_num_threads(Int32(max(1, n))) }
    public static var count: Int { Int(openblas_get_num_threads()) }
}
