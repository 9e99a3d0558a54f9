import NMTText
import NMTTrain
import NMTLayers
import NMTModel
import NMTTensor
import NMTTestSupport
import Testing

/// Checks every parameter of a whole model: 12 sampled entries of each, analytic gradients from
/// `run(&rng, true)` (forward + backward, gradients accumulated) against central differences of
/// `run(&rng, false)` (the loss only), with the generator seeded alike each time so dropout masks
/// repeat. Embedding rows the batch never uses have zero gradient on both sides. Returns how
/// many entries were checked.
func checkParameterGradients(_ arena: ParameterArena, _ run: (inout RNG, Bool) -> Double) -> Int {
    func loss() -> Double {
        var rng = RNG(seed: 99)
        return run(&rng, false)
    }
    arena.zeroGrads()
    var rng = RNG(seed: 99)
    _ = run(&rng, true)
    var checked = 0
    for p in arena.params {
        let idx = sampleIndices(p.count, 12, seed: UInt64(p.offset + 1)).map { p.offset + $0 }
        let numeric = numericalGradient(of: loss, at: arena.values, count: arena.count, indices: idx, eps: 1e-2)
        let m = compareGradients(analytic: arena.grads, numeric: numeric, floor: 1e-3)
        #expect(m.worst < 3e-2, "\(p.name): \(m)")
        checked += idx.count
    }
    // The gradient is not trivially zero.
    #expect(arena.gradNorm() > 1e-3)
    return checked
}
