// Softmax cross-entropy with label smoothing and padding: gradient check, reference values,
// exact zero rows for padding, and agreement with plain NLL when ε = 0.

import Foundation
import NMTLayers
import NMTTensor
import NMTTestSupport
import Testing
@testable import NMTLayers

@Test func lossGradientsWithSmoothingAndPadding() {
    let N = 5, V = 19       // V = 19: two SIMD chunks and a tail
    let targets: [Int32] = [3, 0, 18, 7, 0]
    let logits = DecFixture.random([N, V], scale: 3, seed: 11)
    let eps: Float = 0.1, scale: Float = 0.7
    let work = Tensor([N, V])
    func loss() -> Double {
        work.matrix.copy(from: logits.matrix)
        return SoftmaxCrossEntropy.forwardBackward(logits: work.matrix, targets: targets, smoothing: eps,
                                                   writeGradient: false, paddingId: 0).loss
    }
    let grad = Tensor([N, V])
    grad.matrix.copy(from: logits.matrix)
    let r = SoftmaxCrossEntropy.forwardBackward(logits: grad.matrix, targets: targets, smoothing: eps, gradScale: scale, paddingId: 0)
    #expect(r.tokens == 3)
    #expect(abs(r.loss - loss()) < 1e-9)
    scaleBuffer(grad, 1 / scale)
    DecFixture.gradCheck("logits", values: logits.ptr, analytic: grad.ptr, count: logits.count, samples: 95,
                         eps: 1e-2, tol: 1e-2, loss: loss)
    // Padding rows: exactly zero gradient.
    for i in [1, 4] { #expect((0..<V).allSatisfy { grad.matrix[i, $0] == 0 }) }
}

private func scaleBuffer(_ t: Tensor, _ s: Float) { for i in 0..<t.count { t.ptr[i] *= s } }

@Test func lossWithoutSmoothingIsNLL() {
    let N = 4, V = 9
    let targets: [Int32] = [1, 8, 0, 5]
    let logits = DecFixture.random([N, V], scale: 5, seed: 12)
    let r = SoftmaxCrossEntropy.forwardBackward(logits: logits.matrix, targets: targets, smoothing: 0, writeGradient: false, paddingId: 0)
    #expect(abs(r.loss - r.nll) < 1e-9 && r.tokens == 3)
    // Independent: −log softmax in Double.
    var want = 0.0
    for (i, y) in targets.enumerated() where y != 0 {
        let row = (0..<V).map { Double(logits.matrix[i, $0]) }
        let m = row.max()!
        want += m + log(row.map { exp($0 - m) }.reduce(0, +)) - row[Int(y)]
    }
    #expect(abs(r.nll - want) < 1e-5 * max(1, want))
    // Stable for huge logits.
    let big = Tensor([1, V]); for k in 0..<V { big[k] = Float(k) * 1e4 }
    let rb = SoftmaxCrossEntropy.forwardBackward(logits: big.matrix, targets: [Int32(V - 1)], smoothing: 0.1, paddingId: 0)
    #expect(rb.loss.isFinite && rb.nll.isFinite && big.array.allSatisfy { $0.isFinite })
}

@Test func lossMatchesReference() {
    let logits = Tensor([3, 5])
    DecFixture.det(logits, k: 20, scale: 4)
    let r = SoftmaxCrossEntropy.forwardBackward(logits: logits.matrix, targets: [2, 0, 4], smoothing: 0.1, gradScale: 0.5, paddingId: 0)
    // python3 scripts/reference/gru_attention_reference.py → loss_sum, loss_nll, loss_tokens, loss_grad
    #expect(abs(r.loss - 2.4967001) < 1e-5)
    #expect(abs(r.nll - 2.30219401) < 1e-5)
    #expect(r.tokens == 2)
    DecFixture.expectClose(logits.array, [0.164891145, 0.135596775, -0.353296744, 0.0398204338, 0.0129883902,
                                          0, 0, 0, 0, 0,
                                          0.00598996208, 0.0189449196, 0.0495221238, 0.116919036, -0.191376041], "loss_grad")
}
