// Adam with bias correction and optional decoupled weight decay (AdamW), one pass over the
// arena's flat buffers.

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
        // Eight lanes at a time, then a scalar tail; each lane does exactly the scalar arithmetic.
        let b1 = SIMD8<Float>(repeating: c.beta1), b2 = SIMD8<Float>(repeating: c.beta2)
        let ob1 = SIMD8<Float>(repeating: 1 - c.beta1), ob2 = SIMD8<Float>(repeating: 1 - c.beta2)
        let step8 = SIMD8<Float>(repeating: stepSize), inv8 = SIMD8<Float>(repeating: invSqrtBc2)
        let eps8 = SIMD8<Float>(repeating: c.epsilon), decay8 = SIMD8<Float>(repeating: decay)
        let useDecay = c.weightDecay != 0
        var i = 0
        while i + 8 <= n {
            let gi = UnsafeRawPointer(g + i).loadUnaligned(as: SIMD8<Float>.self)
            let mi = b1 * UnsafeRawPointer(m + i).loadUnaligned(as: SIMD8<Float>.self) + ob1 * gi
            let vi = b2 * UnsafeRawPointer(v + i).loadUnaligned(as: SIMD8<Float>.self) + ob2 * gi * gi
            UnsafeMutableRawPointer(m + i).storeBytes(of: mi, as: SIMD8<Float>.self)
            UnsafeMutableRawPointer(v + i).storeBytes(of: vi, as: SIMD8<Float>.self)
            var wi = UnsafeRawPointer(w + i).loadUnaligned(as: SIMD8<Float>.self)
            if useDecay { wi *= decay8 }
            wi = wi - step8 * mi / (vi.squareRoot() * inv8 + eps8)
            UnsafeMutableRawPointer(w + i).storeBytes(of: wi, as: SIMD8<Float>.self)
            i += 8
        }
        while i < n {
            let gi = g[i]
            let mi = c.beta1 * m[i] + (1 - c.beta1) * gi
            let vi = c.beta2 * v[i] + (1 - c.beta2) * gi * gi
            m[i] = mi
            v[i] = vi
            var wi = w[i]
            if useDecay { wi *= decay }
            w[i] = wi - stepSize * mi / (vi.squareRoot() * invSqrtBc2 + c.epsilon)
            i += 1
        }
    }
}
