import NMTInference
import NMTStore
import NMTText
import Foundation
import NMTLayers
import NMTTensor
import NMTTestSupport
import NMTTrain
import Testing

@Suite struct AdamTests {
    /// Literals printed by scripts/reference/adam_reference.py (PyTorch's Adam and AdamW).
    @Test(arguments: [
        (Float(0), [-0.01154604, 0.364388585, 0.702845931, 0.922857702, 1.01824474, 0.976503789] as [Float]),
        (Float(0.1), [-0.0115220845, 0.363319486, 0.70079571, 0.920143306, 1.01523089, 0.973596096] as [Float]),
    ])
    func adamMatchesPyTorch(weightDecay: Float, expected: [Float]) {
        let arena = ParameterArena()
        let w = arena.register("w", shape: [6], initializer: .zeros)
        arena.allocate(seed: 0)
        for i in 0..<6 { arena.value(w)[0, i] = Float(sin(0.37 * Double(i))) }
        var adam = Adam(AdamConfig(learningRate: 0.01, weightDecay: weightDecay))
        for s in 1...3 {
            for i in 0..<6 { arena.grad(w)[0, i] = Float(cos(0.5 * Double(i) + Double(s)) + 0.1 * Double(s)) }
            adam.update(arena)
        }
        #expect(adam.step == 3)
        #expect(maxRelativeDifference(arena.value(w).array, expected) < 2e-6)
    }
}
