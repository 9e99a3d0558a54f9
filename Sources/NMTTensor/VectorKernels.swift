// The elementwise kernels of CKernels (vec_kernels.h: 4, 8 or 16 lanes) at the level in use
// (Kernels.path), or at a given level (`at:`, for tests that compare the levels side by side).
// Not inlinable: one call per row or buffer, and the C module stays an implementation detail.

import CKernels

public enum VectorKernels {
    /// y = exp(x) / sigmoid(x) / tanh(x) elementwise (y may be x).
    public static func exp(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, count: Int, at path: KernelPath = Kernels.path) {
        nmt_v_exp(path.isa, x, y, Int64(count))
    }
    public static func sigmoid(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, count: Int, at path: KernelPath = Kernels.path) {
        nmt_v_sigmoid(path.isa, x, y, Int64(count))
    }
    public static func tanh(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, count: Int, at path: KernelPath = Kernels.path) {
        nmt_v_tanh(path.isa, x, y, Int64(count))
    }
    /// row ← softmax(row); returns log Σ exp(row) of the input (count > 0).
    @discardableResult
    public static func softmax(_ row: UnsafeMutablePointer<Float>, count: Int, at path: KernelPath = Kernels.path) -> Float {
        nmt_v_softmax(path.isa, row, Int64(count))
    }

    /// One LSTM row: see LSTMCell.forwardRow.
    public static func lstmForwardRow(hidden: Int, bias: UnsafePointer<Float>, gates: UnsafeMutablePointer<Float>,
                                      rec: UnsafePointer<Float>, c: UnsafePointer<Float>, cNew: UnsafeMutablePointer<Float>,
                                      cOut: UnsafeMutablePointer<Float>, tanhCOut: UnsafeMutablePointer<Float>,
                                      h: UnsafeMutablePointer<Float>, hOut: UnsafeMutablePointer<Float>,
                                      out: UnsafeMutablePointer<Float>, at path: KernelPath = Kernels.path) {
        nmt_lstm_forward_row(path.isa, Int64(hidden), bias, gates, rec, c, cNew, cOut, tanhCOut, h, hOut, out)
    }
    /// One LSTM row backward: see LSTMCell.backwardRow.
    public static func lstmBackwardRow(hidden: Int, gates: UnsafePointer<Float>, tanhC: UnsafePointer<Float>,
                                       cPrev: UnsafePointer<Float>, dOut: UnsafePointer<Float>?, dh: UnsafeMutablePointer<Float>,
                                       dc: UnsafeMutablePointer<Float>, dGates: UnsafeMutablePointer<Float>,
                                       at path: KernelPath = Kernels.path) {
        nmt_lstm_backward_row(path.isa, Int64(hidden), gates, tanhC, cPrev, dOut, dh, dc, dGates)
    }
    /// One GRU row: see GRUCell.forwardKernel.
    public static func gruForwardRow(hidden: Int, bHH: UnsafePointer<Float>, proj: UnsafePointer<Float>, rec: UnsafePointer<Float>,
                                     hPrev: UnsafePointer<Float>, hNext: UnsafeMutablePointer<Float>,
                                     hSaved: UnsafeMutablePointer<Float>, cache: UnsafeMutablePointer<Float>,
                                     out: UnsafeMutablePointer<Float>, at path: KernelPath = Kernels.path) {
        nmt_gru_forward_row(path.isa, Int64(hidden), bHH, proj, rec, hPrev, hNext, hSaved, cache, out)
    }
    /// One GRU row backward: see GRUCell.backwardKernel.
    public static func gruBackwardRow(hidden: Int, cache: UnsafePointer<Float>, hPrev: UnsafePointer<Float>,
                                      dOut: UnsafePointer<Float>?, dh: UnsafeMutablePointer<Float>,
                                      dx: UnsafeMutablePointer<Float>, dhp: UnsafeMutablePointer<Float>,
                                      at path: KernelPath = Kernels.path) {
        nmt_gru_backward_row(path.isa, Int64(hidden), cache, hPrev, dOut, dh, dx, dhp)
    }
    /// One row of the label-smoothed softmax cross-entropy: see SoftmaxCrossEntropy (Loss.swift).
    public static func crossEntropyRow(_ row: UnsafeMutablePointer<Float>, count: Int, gold: Int, offScaled: Float, scale: Float,
                                       goldExtra: Float, writeGradient: Bool, lse: UnsafeMutablePointer<Double>,
                                       sumZ: UnsafeMutablePointer<Double>, zY: UnsafeMutablePointer<Double>,
                                       at path: KernelPath = Kernels.path) {
        nmt_xent_row(path.isa, row, Int64(count), Int64(gold), offScaled, scale, goldExtra, writeGradient ? 1 : 0, lse, sumZ, zY)
    }
    /// One row of layer normalisation: see LayerNorm.forwardRow (b may be nil; y may be x).
    public static func layerNormRow(width G: Int, x: UnsafePointer<Float>, gain: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
                                    epsilon: Float, y: UnsafeMutablePointer<Float>, normalized: UnsafeMutablePointer<Float>,
                                    rstd: UnsafeMutablePointer<Float>, at path: KernelPath = Kernels.path) {
        nmt_layer_norm_row(path.isa, Int64(G), x, gain, bias, epsilon, y, normalized, rstd)
    }
    /// Its backward: see LayerNorm.backwardRow (db may be nil; dx may be dy).
    public static func layerNormBackwardRow(width G: Int, dy: UnsafePointer<Float>, gain: UnsafePointer<Float>,
                                            normalized: UnsafePointer<Float>, rstd: Float, dx: UnsafeMutablePointer<Float>,
                                            dGain: UnsafeMutablePointer<Float>, dBias: UnsafeMutablePointer<Float>?,
                                            at path: KernelPath = Kernels.path) {
        nmt_layer_norm_backward_row(path.isa, Int64(G), dy, gain, normalized, rstd, dx, dGain, dBias)
    }
    /// Additive attention scores: scores[j] = v · tanh(q + keys[j·keyStride ...]) for j < len.
    public static func attentionScores(width A: Int, v: UnsafePointer<Float>, q: UnsafePointer<Float>, keys: UnsafePointer<Float>,
                                       keyStride: Int, count len: Int, scores: UnsafeMutablePointer<Float>,
                                       at path: KernelPath = Kernels.path) {
        nmt_attention_scores(path.isa, Int64(A), v, q, keys, Int64(keyStride), Int64(len), scores)
    }
    /// Their backward given ds[j] = ∂L/∂score_j: dv, dq and dkeys[j] accumulate (+=).
    public static func attentionScoresBackward(width A: Int, v: UnsafePointer<Float>, q: UnsafePointer<Float>,
                                               keys: UnsafePointer<Float>, keyStride: Int, dKeys: UnsafeMutablePointer<Float>,
                                               dKeyStride: Int, count len: Int, ds: UnsafePointer<Float>,
                                               dv: UnsafeMutablePointer<Float>, dq: UnsafeMutablePointer<Float>,
                                               at path: KernelPath = Kernels.path) {
        nmt_attention_scores_backward(path.isa, Int64(A), v, q, keys, Int64(keyStride), dKeys, Int64(dKeyStride), Int64(len),
                                      ds, dv, dq)
    }
    /// out = Σ_j w[j] · rows[j·stride ..< j·stride + width], j < count.
    public static func weightedRowSum(width C: Int, count len: Int, weights w: UnsafePointer<Float>, rows: UnsafePointer<Float>,
                                      stride: Int, into out: UnsafeMutablePointer<Float>, at path: KernelPath = Kernels.path) {
        nmt_weighted_row_sum(path.isa, Int64(C), Int64(len), w, rows, Int64(stride), out)
    }
    /// out[j] = rows[j·stride ..< j·stride + width] · x, j < count.
    public static func rowDots(width C: Int, count len: Int, rows: UnsafePointer<Float>, stride: Int, x: UnsafePointer<Float>,
                               into out: UnsafeMutablePointer<Float>, at path: KernelPath = Kernels.path) {
        nmt_row_dots(path.isa, Int64(C), Int64(len), rows, Int64(stride), x, out)
    }
    /// row ← row − log Σ exp(row) (count > 0).
    public static func logSoftmax(_ row: UnsafeMutablePointer<Float>, count: Int, at path: KernelPath = Kernels.path) {
        nmt_log_softmax(path.isa, row, Int64(count))
    }
    /// One Adam update of `count` weights (Adam.swift has the formula); decay = 1 − lr·wd.
    public static func adam(weights: UnsafeMutablePointer<Float>, grads: UnsafePointer<Float>, m: UnsafeMutablePointer<Float>,
                            v: UnsafeMutablePointer<Float>, count: Int, beta1: Float, beta2: Float, stepSize: Float,
                            invSqrtBc2: Float, epsilon: Float, decay: Float, at path: KernelPath = Kernels.path) {
        nmt_adam(path.isa, weights, grads, m, v, Int64(count), beta1, beta2, stepSize, invSqrtBc2, epsilon, decay)
    }
}
