// The decoder's state while decoding (beam search, greedy): R hypothesis rows over Bs sentences,
// each row's recurrent state, last context and attention weights, and the per-sentence encoder
// outputs and attention keys the rows share. Decoder.step advances it; `select` reorders rows.

import NMTLayers
import NMTTensor

/// Decoding state over R hypothesis rows. Keys and encoder states are stored once per sentence;
/// each row knows its sentence (`sentence[r]`), so beams share them.
public final class DecoderState {
    public let config: DecoderConfig
    public let batch: Int          // Bs sentences
    public let sourceSteps: Int    // Tx
    public internal(set) var rows = 0
    /// Sentence of each row (R).
    public internal(set) var sentence: [Int32] = []
    let srcLen: [Int]
    let encOut: Tensor             // (Tx·Bs, C)
    let keys: Tensor               // (Tx·Bs, A)
    private var hB = GrowBuffer(), cB = GrowBuffer(), aB = GrowBuffer()      // state (Ps·R, Hd), context, α
    private var hB2 = GrowBuffer(), cB2 = GrowBuffer(), aB2 = GrowBuffer()
    let xProjB = GrowBuffer(), recB = GrowBuffer(), gatesB = GrowBuffer(), qB = GrowBuffer(), oB = GrowBuffer()
    let lnB = GrowBuffer(), lnRstdB = GrowBuffer()   // layer norm's scratch (forward only)
    private var sentence2: [Int32] = []

    init(config: DecoderConfig, batch: Int, sourceSteps: Int, srcLengths: [Int]) {
        self.config = config; self.batch = batch; self.sourceSteps = sourceSteps; srcLen = srcLengths
        encOut = Tensor([sourceSteps * batch, config.context])
        keys = Tensor([sourceSteps * batch, config.attention])
    }

    /// The recurrent state (Ps·R, Hd): part p of row r at row p·R + r (part 0 = the hidden state).
    public var state: MatrixRef { hB.matrix(config.cell.stateParts * rows, config.hidden) }
    /// Hidden states s (R, Hd).
    public var hidden: MatrixRef { state.rows(0..<rows) }
    /// Last contexts c (R, C).
    public var context: MatrixRef { cB.matrix(rows, config.context) }
    /// Attention weights of the last step (R, Tx); exactly 0 beyond each row's source length.
    public var attentionWeights: MatrixRef { aB.matrix(rows, sourceSteps) }
    /// Source length of a row's sentence.
    public func sourceLength(row r: Int) -> Int { srcLen[Int(sentence[r])] }

    /// Keeps rows `indices` in that order (indices may repeat, e.g. to expand each sentence
    /// into K beams, or to follow beam back-pointers): new row i = old row indices[i].
    public func select(_ indices: [Int]) {
        let H = config.hidden, C = config.context, T = sourceSteps, n = indices.count, Ps = config.cell.stateParts
        let h = state, c = context, a = attentionWeights
        let h2 = hB2.matrix(Ps * n, H), c2 = cB2.matrix(n, C), a2 = aB2.matrix(n, T)
        sentence2.removeAll(keepingCapacity: true)
        for (i, r) in indices.enumerated() {
            precondition(r >= 0 && r < rows, "row \(r) outside 0..<\(rows)")
            for p in 0..<Ps { h2.row(p * n + i).update(from: h.row(p * rows + r), count: H) }
            c2.row(i).update(from: c.row(r), count: C)
            a2.row(i).update(from: a.row(r), count: T)
            sentence2.append(sentence[r])
        }
        swap(&hB, &hB2); swap(&cB, &cB2); swap(&aB, &aB2); swap(&sentence, &sentence2)
        rows = n
    }
}
