// Ensemble decoding: several Seq2Seq models read the same source and vote at every step with the
// mean of their log-softmax outputs (log-linear, as Marian and OpenNMT-py combine models), inside
// the one beam search. Every member keeps its own decoder state; the search's row operations go to
// all of them. Attention (alignments, --replace-unk, the attention picture) is the first model's.
// With one member the member's own scores pass through untouched.

import NMTDecode
import NMTModel

public final class EnsembleScorer: StepScorer {
    public typealias State = [DecoderState]

    public let members: [Seq2SeqScorer]
    public var vocabSize: Int { members[0].vocabSize }
    private var scratch: [Float] = []

    /// Members must share the target vocabulary (the caller checks; sizes are checked here).
    public init(members: [Seq2SeqScorer]) {
        precondition(!members.isEmpty && members.allSatisfy { $0.vocabSize == members[0].vocabSize },
                     "EnsembleScorer: members need one target vocabulary")
        self.members = members
    }

    /// Encodes the batch with every member.
    public func encode(_ sources: [[Int32]]) {
        for m in members { m.encode(sources) }
    }

    public func initialState(batchSize: Int) -> [DecoderState] {
        members.map { $0.initialState(batchSize: batchSize) }
    }

    /// out ← (1/M) Σ_m log P_m(· | row): the first member writes into `out`, each other one into
    /// scratch space that is added; one scaling at the end (exact for a model with itself).
    public func step(lastTokens: [Int32], state: inout [DecoderState], out: UnsafeMutablePointer<Float>) {
        members[0].step(lastTokens: lastTokens, state: &state[0], out: out)
        guard members.count > 1 else { return }
        let n = lastTokens.count * vocabSize
        if scratch.count < n { scratch = [Float](repeating: 0, count: n) }
        scratch.withUnsafeMutableBufferPointer { s in
            for m in 1..<members.count {
                members[m].step(lastTokens: lastTokens, state: &state[m], out: s.baseAddress!)
                for i in 0..<n { out[i] += s[i] }
            }
        }
        let scale = 1 / Float(members.count)
        for i in 0..<n { out[i] *= scale }
    }

    public func reorder(state: inout [DecoderState], rows: [Int32]) {
        for m in members.indices { members[m].reorder(state: &state[m], rows: rows) }
    }

    public func attentionArgmax(state: [DecoderState]) -> [Int32]? {
        members[0].attentionArgmax(state: state[0])
    }
}
