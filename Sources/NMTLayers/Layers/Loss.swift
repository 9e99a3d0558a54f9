// Fused, numerically stable softmax cross-entropy over the vocabulary, with label smoothing and a
// padding mask, over all target positions of a batch at once.
//
// Label smoothing (fairseq's `label_smoothed_cross_entropy` definition): the target distribution
// of a position with gold token y puts (1 − ε) on y and ε/(V − 1) on each of the V − 1 other
// tokens (the padding token included — it is just another column of the logits). So
//
//   loss_i = −(1 − ε)·log p_y − ε/(V−1)·Σ_{k≠y} log p_k
//          = lse − (1 − ε)·z_y − ε/(V−1)·(Σ_k z_k − z_y)          (lse = log Σ_k exp z_k)
//   ∂loss_i/∂z_k = p_k − q_k,   q_y = 1 − ε,  q_k = ε/(V−1) otherwise.
//
// With ε = 0 this is the plain NLL. Positions whose target is `paddingId` are padding: they add
// nothing to any sum and their gradient row is exactly zero.
//
// The gradient is written IN PLACE over the logits (the logits are destroyed), already multiplied
// by `gradScale` (e.g. 1/numTokens). Cost: three SIMD passes over each row (max and Σz; exp and Σ;
// gradient) in CKernels' nmt_xent_row, rows in parallel (Parallel.forEachChunk).

import NMTTensor
#if canImport(Glibc)
import Glibc
#endif

public struct LossResult: Sendable, Equatable {
    /// Σ over real tokens of the label-smoothed loss.
    public var loss: Double
    /// Σ over real tokens of −log p(gold) (no smoothing), for perplexity.
    public var nll: Double
    /// Number of real (non-padding) target tokens.
    public var tokens: Int
    public init(loss: Double = 0, nll: Double = 0, tokens: Int = 0) { self.loss = loss; self.nll = nll; self.tokens = tokens }
}

public enum SoftmaxCrossEntropy {
    /// logits (N, V) → loss sums; when `writeGradient`, logits ← gradScale·∂loss/∂logits.
    /// targets (N) gold ids, `paddingId` marks padding rows.
    public static func forwardBackward(logits: MatrixRef, targets: UnsafeBufferPointer<Int32>,
                                       smoothing eps: Float = 0, gradScale: Float = 1,
                                       writeGradient: Bool = true, paddingId: Int32) -> LossResult {
        let n = logits.rows, V = logits.cols
        precondition(targets.count == n, "\(targets.count) targets for \(n) logit rows")
        precondition(V >= 2 && eps >= 0 && eps < 1)
        let off = eps / Float(V - 1)           // q on non-gold tokens
        let offD = Double(eps) / Double(V - 1)
        // Per row: log Σ exp z, Σ z and z_y (CKernels' nmt_xent_row at Kernels.path), rows in
        // parallel chunks; the sums below run in row order, whatever the thread count.
        var lse = [Double](repeating: 0, count: n), sumZ = lse, zY = lse
        lse.withUnsafeMutableBufferPointer { lseB in sumZ.withUnsafeMutableBufferPointer { szB in zY.withUnsafeMutableBufferPointer { zyB in
            nonisolated(unsafe) let lp = lseB.baseAddress!, sp = szB.baseAddress!, zp = zyB.baseAddress!
            Parallel.forEachChunk(n, chunk: 32) { rows in
                for i in rows {
                    let row = logits.row(i)
                    let y = targets[i]
                    if y == paddingId {
                        if writeGradient { row.update(repeating: 0, count: V) }
                        continue
                    }
                    precondition(y >= 0 && Int(y) < V, "target \(y) outside vocabulary of \(V)")
                    VectorKernels.crossEntropyRow(row, count: V, gold: Int(y), offScaled: gradScale * off, scale: gradScale,
                                                  goldExtra: gradScale * (1 - eps - off), writeGradient: writeGradient,
                                                  lse: lp + i, sumZ: sp + i, zY: zp + i)
                }
            }
        } } }
        var result = LossResult()
        for i in 0..<n where targets[i] != paddingId {
            result.nll += lse[i] - zY[i]
            result.loss += lse[i] - (1 - Double(eps)) * zY[i] - offD * (sumZ[i] - zY[i])
            result.tokens += 1
        }
        return result
    }

    /// Array convenience.
    public static func forwardBackward(logits: MatrixRef, targets: [Int32], smoothing eps: Float = 0,
                                       gradScale: Float = 1, writeGradient: Bool = true, paddingId: Int32) -> LossResult {
        targets.withUnsafeBufferPointer {
            forwardBackward(logits: logits, targets: $0, smoothing: eps, gradScale: gradScale,
                            writeGradient: writeGradient, paddingId: paddingId)
        }
    }
}
