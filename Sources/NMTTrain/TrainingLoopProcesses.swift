// The training loop's side of data-parallel training (NMTDistributed runs it over MPI): one
// update's gradients summed over the processes, overlapped with backward; every rank's dropout
// generator gathered for last/; each rank's share of an update's batches; the weights compared
// across ranks. With one process (Collective = SingleProcess) every sum is the identity.

import Foundation
import NMTLayers
import NMTTensor

extension TrainingLoop {
    /// One update over `batches` (this rank's share; possibly none): the gradients of their summed
    /// losses, summed over all ranks and divided by the global target-token count. The last
    /// batch's backward starts each gradient segment's sum as soon as it is final; whatever it
    /// has not started goes after it, in the same order on every rank. The losses, the token
    /// count and the stop votes (a signal, `timeIsUp`) are summed too: `stop` is the agreed
    /// reason to stop after this update, if any.
    func summedUpdate(_ batches: [[Int]], rng: inout RNG, timeIsUp: Bool) throws -> (result: LossResult, stop: String?) {
        var result = LossResult()
        let segments = gradientSegments
        var started = 0
        let collective = self.collective, grads = arena.grads
        func startThrough(_ i: Int) {
            while started <= min(i, segments.count - 1) {
                collective.startSum(grads + segments[started].lowerBound, count: segments[started].count)
                started += 1
            }
        }
        for (j, b) in batches.enumerated() {
            if j == batches.count - 1 && collective.size > 1 { setGradientHook { startThrough($0) } }
            let r = trainStep(b, rng: &rng, gradScale: 1)
            result.loss += r.loss; result.nll += r.nll; result.tokens += r.tokens
        }
        setGradientHook(nil)
        startThrough(segments.count - 1)
        try collective.finishSums()
        var sums: [Double] = [result.loss, result.nll, Double(result.tokens), stopRequested.isSet ? 1 : 0, timeIsUp ? 1 : 0]
        try collective.sum(&sums)
        arena.scaleGrads(by: 1 / Float(max(Int(sums[2]), 1)))
        let stop = sums[3] > 0 ? "stop requested" : sums[4] > 0 ? "time budget" : nil
        return (LossResult(loss: sums[0], nll: sums[1], tokens: Int(sums[2])), stop)
    }

    /// With several processes: every rank's dropout generator into state.rankRNG (on all ranks).
    func gatherRankRNG() throws {
        guard collective.size > 1 else { return }
        let mine = state.rng.map { UInt64($0, radix: 16)! }
        var words = [UInt64](repeating: 0, count: collective.size * mine.count)
        for (i, w) in mine.enumerated() { words[collective.rank * mine.count + i] = w }
        try collective.sum(&words)
        state.rankRNG = (0..<collective.size).map { r in
            words[(r * mine.count)..<((r + 1) * mine.count)].map { String($0, radix: 16) }
        }
    }

    /// Rank `rank`'s batches among `group` (an update's consecutive batches of the plan):
    /// `accum` consecutive ones, rank 0 first; fewer, or none, at the end of an epoch.
    static func share(_ group: Range<Int>, rank: Int, accum: Int) -> [Int] {
        let lo = min(group.lowerBound + rank * accum, group.upperBound)
        return Array(lo..<min(lo + accum, group.upperBound))
    }

    /// Compares a hash of the weights (and of the moving average) across ranks; throws if any differs.
    func checkSync() throws {
        var h: UInt64 = 0xCBF2_9CE4_8422_2325
        func mix(_ p: UnsafeMutablePointer<Float>) {
            UnsafeRawPointer(p).withMemoryRebound(to: UInt32.self, capacity: arena.count) { w in
                for i in 0..<arena.count { h = (h ^ UInt64(w[i])) &* 0x0000_0100_0000_01B3 }
            }
        }
        mix(arena.values)
        if let a = arena.average { mix(a) }
        var all = [UInt64](repeating: 0, count: collective.size)
        all[collective.rank] = h
        try collective.sum(&all)
        let differ = all.indices.filter { all[$0] != all[0] }
        guard differ.isEmpty else { throw CollectiveError.outOfSync(step: state.step, ranks: differ) }
    }
}
