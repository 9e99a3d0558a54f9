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
// gradient), exp by `simdExp` (FastMathSIMD.swift).

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
        var result = LossResult()
        for i in 0..<n {
            let row = logits.row(i)
            let y = targets[i]
            if y == paddingId {
                if writeGradient { row.update(repeating: 0, count: V) }
                continue
            }
            precondition(y >= 0 && Int(y) < V, "target \(y) outside vocabulary of \(V)")
            // Pass 1: max and Σ z.
            var mv = Float8(repeating: -.infinity), sv = Float8()
            var k = 0
            while k + 8 <= V {
                let z = UnsafeRawPointer(row + k).loadUnaligned(as: Float8.self)
                mv = pointwiseMax(mv, z); sv += z
                k += 8
            }
            var m = mv.max(), sumZ = Double(sv.sum())
            while k < V { m = max(m, row[k]); sumZ += Double(row[k]); k += 1 }
            let zy = row[Int(y)]
            // Pass 2: exp(z − m) in place and its sum.
            let mb = Float8(repeating: m)
            var ev = Float8()
            k = 0
            while k + 8 <= V {
                let e = simdExp(UnsafeRawPointer(row + k).loadUnaligned(as: Float8.self) - mb)
                if writeGradient { UnsafeMutableRawPointer(row + k).storeBytes(of: e, as: Float8.self) }
                ev += e
                k += 8
            }
            var total = ev.sum()
            while k < V {
                let e = simdExp(Float8(repeating: row[k] - m))[0]
                if writeGradient { row[k] = e }
                total += e
                k += 1
            }
            let lse = Double(m) + log(Double(total))
            let nll = lse - Double(zy)
            result.nll += nll
            result.loss += lse - (1 - Double(eps)) * Double(zy) - offD * (sumZ - Double(zy))
            result.tokens += 1
            guard writeGradient else { continue }
            // Pass 3: g = scale·(p − q).
            let a = Float8(repeating: gradScale / total), bq = Float8(repeating: gradScale * off)
            k = 0
            while k + 8 <= V {
                let e = UnsafeRawPointer(row + k).loadUnaligned(as: Float8.self)
                UnsafeMutableRawPointer(row + k).storeBytes(of: e * a - bq, as: Float8.self)
                k += 8
            }
            let af = gradScale / total, bf = gradScale * off
            while k < V { row[k] = row[k] * af - bf; k += 1 }
            row[Int(y)] -= gradScale * (1 - eps - off)
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
