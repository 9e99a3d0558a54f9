// Turns tokenized sentence pairs into padded, time-major batches of about `batchTokens`
// target tokens each, drawn from length buckets, in an order fixed by (seed, epoch).
//
// The order of an epoch depends only on the seed and the epoch number, so a run that is
// stopped and resumed at (epoch, batch index) sees exactly the batches it would have seen.

import NMTTensor
import NMTText

/// One example: source and target ids without <s>/</s>.
public struct SentencePair: Sendable, Equatable {
    public var source: [Int32]
    public var target: [Int32]
    public init(source: [Int32], target: [Int32]) { self.source = source; self.target = target }
}

/// A padded batch, time-major: row t·B + b is step t of sentence b.
public struct Batch: Sendable {
    public var size: Int                 // B
    public var sourceSteps: Int          // Tx = longest source
    public var targetSteps: Int          // Ty = longest target + 1
    public var sourceIds: [Int32]        // (Tx·B)
    public var sourceLengths: [Int]      // (B)
    public var targetInput: [Int32]      // (Ty·B): <s> y1 … yn, padded with 0
    public var targetOutput: [Int32]     // (Ty·B): y1 … yn </s>, padded with 0
    public var targetLengths: [Int]      // (B): n + 1
    public var exampleIndices: [Int]     // which pairs of the corpus, in batch order
    public var targetTokens: Int { targetLengths.reduce(0, +) }

    public init(_ pairs: [SentencePair], indices: [Int]) {
        size = pairs.count
        sourceSteps = pairs.map(\.source.count).max() ?? 0
        targetSteps = (pairs.map(\.target.count).max() ?? 0) + 1
        sourceLengths = pairs.map(\.source.count)
        targetLengths = pairs.map { $0.target.count + 1 }
        exampleIndices = indices
        let b = size
        sourceIds = [Int32](repeating: SpecialIds.pad, count: sourceSteps * b)
        targetInput = [Int32](repeating: SpecialIds.pad, count: targetSteps * b)
        targetOutput = [Int32](repeating: SpecialIds.pad, count: targetSteps * b)
        for (j, p) in pairs.enumerated() {
            for (t, id) in p.source.enumerated() { sourceIds[t * b + j] = id }
            targetInput[j] = SpecialIds.bos
            for (t, id) in p.target.enumerated() {
                targetInput[(t + 1) * b + j] = id
                targetOutput[t * b + j] = id
            }
            targetOutput[p.target.count * b + j] = SpecialIds.eos
        }
    }
}

public struct Batcher: Sendable {
    public let pairs: [SentencePair]
    /// Upper bound on B · max(Tx, Ty) of a batch (padded tokens, the cost that matters).
    public let batchTokens: Int
    public let maxBatchSentences: Int

    public init(pairs: [SentencePair], batchTokens: Int, maxBatchSentences: Int = 512) {
        precondition(batchTokens > 0, "batchTokens must be positive")
        self.pairs = pairs
        self.batchTokens = batchTokens
        self.maxBatchSentences = maxBatchSentences
    }

    /// The batches of one epoch as lists of pair indices. Pairs are sorted by (target length,
    /// source length, a random key), cut into batches that fit the token budget, and the batch
    /// order is shuffled; everything is seeded by (seed, epoch).
    public func epochPlan(seed: UInt64, epoch: Int) -> [[Int]] {
        var rng = RNG(seed: seed &+ 0x5EED &* UInt64(epoch + 1))
        let keys = pairs.indices.map { _ in rng.next() }
        let order = pairs.indices.sorted {
            let a = pairs[$0], b = pairs[$1]
            if a.target.count != b.target.count { return a.target.count < b.target.count }
            if a.source.count != b.source.count { return a.source.count < b.source.count }
            return keys[$0] < keys[$1]
        }
        var batches: [[Int]] = []
        var current: [Int] = []
        var longest = 0
        for i in order {
            let len = max(pairs[i].source.count, pairs[i].target.count + 1)
            let newLongest = max(longest, len)
            if !current.isEmpty && (newLongest * (current.count + 1) > batchTokens || current.count >= maxBatchSentences) {
                batches.append(current)
                current = []
                longest = 0
            }
            current.append(i)
            longest = max(longest, len)
        }
        if !current.isEmpty { batches.append(current) }
        rng.shuffleInPlace(&batches)
        return batches
    }

    /// The batch of these pairs, longest source first (the encoder then runs its per-step
    /// products on a shrinking prefix of rows).
    public func batch(_ indices: [Int]) -> Batch {
        let ordered = indices.enumerated().sorted {
            let a = pairs[$0.element].source.count, b = pairs[$1.element].source.count
            return a != b ? a > b : $0.offset < $1.offset
        }.map(\.element)
        return Batch(ordered.map { pairs[$0] }, indices: ordered)
    }
}

extension RNG {
    /// Fisher–Yates with this generator (the standard library's shuffle is not specified to be
    /// stable across versions).
    public mutating func shuffleInPlace<T>(_ a: inout [T]) {
        guard a.count > 1 else { return }
        for i in stride(from: a.count - 1, to: 0, by: -1) {
            let j = int(below: i + 1)
            a.swapAt(i, j)
        }
    }
}
