import Foundation
import NMTDecode

/// A scorer defined by a function of (sentence id, prefix) -> log-probabilities over V.
/// It records how many rows each step saw, to check that rows leave the active set.
struct FunctionScorer: StepScorer {
    struct Row { var sentence: Int; var prefix: [Int32]; var started = false }
    typealias State = [Row]

    let vocabSize: Int
    /// Sentence ids of the batch rows handed to `initialState` (position i = sentence i).
    var sentenceIDs: [Int]
    /// Source lengths by sentence id (for the toy attention).
    var sourceLengths: [Int: Int] = [:]
    let logProbs: (Int, [Int32]) -> [Float]
    var rowsPerStep: [Int] = []

    init(vocabSize: Int, sentenceIDs: [Int] = [0], logProbs: @escaping (Int, [Int32]) -> [Float]) {
        self.vocabSize = vocabSize
        self.sentenceIDs = sentenceIDs
        self.logProbs = logProbs
    }

    mutating func initialState(batchSize: Int) -> State {
        precondition(batchSize == sentenceIDs.count)
        return sentenceIDs.map { Row(sentence: $0, prefix: []) }
    }

    mutating func step(lastTokens: [Int32], state: inout State, out: UnsafeMutablePointer<Float>) {
        precondition(lastTokens.count == state.count)
        rowsPerStep.append(state.count)
        for i in state.indices {
            if state[i].started { state[i].prefix.append(lastTokens[i]) } else { state[i].started = true }
            let lp = logProbs(state[i].sentence, state[i].prefix)
            precondition(lp.count == vocabSize)
            for v in 0..<vocabSize { out[i * vocabSize + v] = lp[v] }
        }
    }

    mutating func reorder(state: inout State, rows: [Int32]) {
        state = rows.map { state[Int($0)] }
    }

    /// Toy attention: position (prefix length + sentence id) mod source length.
    mutating func attentionArgmax(state: State) -> [Int32]? {
        guard !sourceLengths.isEmpty else { return nil }
        return state.map { Int32(($0.prefix.count + $0.sentence) % max(1, sourceLengths[$0.sentence]!)) }
    }
}

/// Deterministic pseudo-random log-softmax distribution for (seed, sentence, prefix).
func randomLogProbs(vocab: Int, seed: UInt64, sentence: Int, prefix: [Int32], temperature: Float = 2) -> [Float] {
    var h: UInt64 = 0x9E37_79B9_7F4A_7C15 ^ seed
    func mix(_ x: UInt64) {
        h = (h ^ x) &* 0xBF58_476D_1CE4_E5B9
        h ^= h >> 31
    }
    mix(UInt64(sentence) &+ 77)
    for t in prefix { mix(UInt64(UInt32(bitPattern: t)) &+ 1) }
    mix(UInt64(prefix.count) &+ 1_000_003)
    var logits = [Float](repeating: 0, count: vocab)
    for v in 0..<vocab {
        h = h &* 6364136223846793005 &+ 1442695040888963407
        var z = h
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        z ^= z >> 31
        logits[v] = Float(Double(z >> 11) / Double(1 << 53)) * temperature * 2 - temperature
    }
    let m = logits.max()!
    var sum: Float = 0
    for v in logits { sum += expf(v - m) }
    let lse = m + logf(sum)
    return logits.map { $0 - lse }
}

/// A scorer given by a table prefix -> log-probs, with a default row for unlisted prefixes.
func tableScorer(vocab: Int, table: [[Int32]: [Float]], default def: [Float]) -> FunctionScorer {
    FunctionScorer(vocabSize: vocab) { _, prefix in table[prefix] ?? def }
}
