// BLAS wrappers: the only place that calls the matrix-product engines.
//
// `gemm` computes C = alpha * op(A) * op(B) + beta * C on MatrixRef views with the engine
// Kernels.engine chooses for the shape (Kernels.swift); on OpenBLAS a single row of op(A) goes
// to sgemv (OpenBLAS 0.3.21 does not do that itself: 6 vs 24 GFLOP/s). Level-1 stays on OpenBLAS.

import CKernels
import COpenBLAS

/// C = alpha · op(A) · op(B) + beta · C, where op(X) = Xᵀ when the matching flag is set; `engine`
/// overrides the choice by shape (tests, benchmarks).
@inlinable
public func gemm(_ a: MatrixRef, transA: Bool = false, _ b: MatrixRef, transB: Bool = false,
                 into c: MatrixRef, alpha: Float = 1, beta: Float = 0, engine: GemmEngine? = nil) {
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
    nmt_sgemm((engine ?? Kernels.engine(m: m, n: n, k: k, transA: transA)).c, transA ? 1 : 0, transB ? 1 : 0, Int64(m), Int64(n), Int64(k), alpha,
              a.ptr, Int64(a.ld), b.ptr, Int64(b.ld), beta, c.ptr, Int64(c.ld))
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

/// The engines' thread count (OpenBLAS's threads and oneDNN's OpenMP team). Our own parallel
/// loops and the engines' threads never run at once.
public enum BLASThreads {
    public static func set(_ n: Int) { _ = Kernels.path; nmt_set_threads(Int32(max(1, n))) }
    public static var count: Int { Int(nmt_get_threads()) }
    /// The count for this thread only (a decoding worker): oneDNN's team for the products it calls
    /// (the OpenMP runtime gives a new thread the machine's default, not `set`'s) and `count` there;
    /// OpenBLAS's count stays the process's.
    public static func setForThisThread(_ n: Int) { _ = Kernels.path; nmt_set_threads_for_this_thread(Int32(max(1, n))) }
}
