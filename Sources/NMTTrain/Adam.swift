// Adam with bias correction and optional decoupled weight decay (AdamW), one pass over the
// arena's flat buffers (CKernels' nmt_adam at Kernels.path), per weight:
//   m ← β1·m + (1 − β1)·g     v ← β2·v + (1 − β2)·g²
//   w ← w·(1 − lr·wd) − (lr / (1 − β1ᵗ))·m / (√v / √(1 − β2ᵗ) + ε)

import NMTLayers
import NMTTensor
#if canImport(Glibc)
import Glibc
#endif

public struct AdamConfig: Codable, Sendable, Equatable {
    public var learningRate: Float = 1e-3
    public var beta1: Float = 0.9
    public var beta2: Float = 0.999
    public var epsilon: Float = 1e-8
    /// Decoupled weight decay (AdamW): θ ← θ - lr·wd·θ before the Adam step. 0 disables it.
    public var weightDecay: Float = 0
    public init(learningRate: Float = 1e-3, beta1: Float = 0.9, beta2: Float = 0.999,
                epsilon: Float = 1e-8, weightDecay: Float = 0) {
        self.learningRate = learningRate; self.beta1 = beta1; self.beta2 = beta2
        self.epsilon = epsilon; self.weightDecay = weightDecay
    }
}

public struct Adam: Sendable {
    public var config: AdamConfig
    /// Number of updates taken so far (the t of bias correction).
    public var step: Int = 0

    public init(_ config: AdamConfig = AdamConfig()) { self.config = config }

    /// One update of every parameter from the arena's current gradients.
    public mutating func update(_ arena: ParameterArena) {
        step += 1
        let c = config
        let t = Float(step)
        let bc1 = 1 - powf(c.beta1, t)
        let bc2 = 1 - powf(c.beta2, t)
        let stepSize = c.learningRate / bc1
        let invSqrtBc2 = 1 / bc2.squareRoot()
        let decay = 1 - c.learningRate * c.weightDecay
        let w = arena.values, g = arena.grads, m = arena.adamM, v = arena.adamV
        let n = arena.count
        let d: Float = c.weightDecay != 0 ? decay : 1
        // Each weight on its own: chunks on both cores give the same numbers as one thread.
        Parallel.forEachChunk(n, chunk: 1 << 16) { r in
            VectorKernels.adam(weights: w + r.lowerBound, grads: g + r.lowerBound, m: m + r.lowerBound, v: v + r.lowerBound,
                               count: r.count, beta1: c.beta1, beta2: c.beta2, stepSize: stepSize, invSqrtBc2: invSqrtBc2,
                               epsilon: c.epsilon, decay: d)
        }
    }
}
