// Stacked bidirectional recurrent encoder (LSTM by default, any sequence cell: CellKind).
//
// L layers; layer k has a forward layer `encoder.l{k}.fwd` and a reverse layer `encoder.l{k}.bwd`
// (each with hidden size H, parameters named as their cell names them). Both write straight into their column block of one (T·B, 2H)
// buffer per layer — forward into columns 0..<H, reverse into H..<2H — so the concatenation
// costs no copy. Layer 0 reads the embeddings x (T·B, E); layer k > 0 reads layer k-1's
// (T·B, 2H) output after inverted dropout (applied in place: the layer caches keep their own
// copy of h, so nothing backward needs is overwritten). No dropout after the top layer.
//
// Returns the top layer's outputs (T·B, 2H) (0 at padded rows) and final states
// [h_fwd ; h_bwd] and, for cells with a cell state (the LSTM family), [c_fwd ; c_bwd] (B, 2H):
// h_fwd is the forward layer's state after the sequence's last real token, h_bwd the reverse
// layer's state after reading back to token 0.
//
// Backward takes dOutputs (T·B, 2H) and optional dFinalH / dFinalC (B, 2H) of the top layer,
// accumulates every parameter gradient, and assigns dX (T·B, E). The two directions of a layer
// read the same input, so the forward layer assigns dX and the reverse one adds to it.

import NMTTensor

public final class StackedEncoderCache {
    var fwd: [RecurrentCache] = []
    var bwd: [RecurrentCache] = []
    var outputs: [Tensor] = []   // per layer (T·B, 2H); below the top: after dropout (next layer's input)
    var masks: [Tensor] = []     // per layer below the top: (T·B·2H) dropout mask
    var dOut: [Tensor] = []      // per layer below the top: (T·B, 2H) gradient of its output
    var finalH = Tensor([0])     // (B, 2H)
    var finalC = Tensor([0])     // (B, 2H)
    var training = false
    var steps = 0
    var batch = 0

    public init() {}

    public var bytes: Int {
        (fwd + bwd).reduce(0) { $0 + $1.bytes } + (outputs + masks + dOut + [finalH, finalC]).reduce(0) { $0 + $1.count * 4 }
    }

    func prepare(layers L: Int, steps T: Int, batch B: Int, hidden H: Int) {
        if fwd.count != L {
            fwd = (0..<L).map { _ in RecurrentCache() }
            bwd = (0..<L).map { _ in RecurrentCache() }
            outputs = (0..<L).map { _ in Tensor([0]) }
            masks = (0..<L).map { _ in Tensor([0]) }
            dOut = (0..<L).map { _ in Tensor([0]) }
            steps = -1
        }
        if steps != T || batch != B || finalH.shape != [B, 2 * H] {
            for k in 0..<L {
                outputs[k] = Tensor([T * B, 2 * H])
                if k < L - 1 { masks[k] = Tensor([T * B * 2 * H]); dOut[k] = Tensor([T * B, 2 * H]) }
            }
            finalH = Tensor([B, 2 * H]); finalC = Tensor([B, 2 * H])
            steps = T; batch = B
        }
    }
}

public struct StackedEncoder {
    public struct Layer {
        public let fwd: SequenceLayer
        public let bwd: SequenceLayer
    }

    public let cell: CellKind
    public let layers: [Layer]
    public let input: Int
    public let hidden: Int
    public var dropout: Dropout

    /// Registers `\(name).l{k}.{fwd,bwd}.<the cell's tensors>` for k in 0..<layers (LSTM:
    /// W_ih, W_hh, b; with `layerNorm` also ln_ih.g and ln_hh.g). Call `initializeForgetBias(_:)`
    /// once after `arena.allocate`.
    public init(_ arena: ParameterArena, name: String = "encoder", cell: CellKind = .lstm, input: Int, hidden: Int,
                layers: Int, dropout: Float = 0, orthogonalRecurrent: Bool = false, layerNorm: Bool = false) {
        precondition(layers >= 1, "encoder needs at least one layer")
        self.cell = cell
        self.input = input
        self.hidden = hidden
        self.dropout = Dropout(p: dropout)
        self.layers = (0..<layers).map { k in
            let inSize = k == 0 ? input : 2 * hidden
            return Layer(
                fwd: SequenceLayer(cell, arena, name: "\(name).l\(k).fwd", input: inSize, hidden: hidden, reverse: false,
                                   orthogonalRecurrent: orthogonalRecurrent, layerNorm: layerNorm),
                bwd: SequenceLayer(cell, arena, name: "\(name).l\(k).bwd", input: inSize, hidden: hidden, reverse: true,
                                   orthogonalRecurrent: orthogonalRecurrent, layerNorm: layerNorm))
        }
    }

    /// The forget-gate start of every layer of the LSTM family (once, after `arena.allocate`).
    public func initializeForgetBias(_ arena: ParameterArena) {
        for l in layers { l.fwd.initializeWeights(arena); l.bwd.initializeWeights(arena) }
    }

    /// x (T·B, E) → outputs (T·B, 2H), finalH / finalC (B, 2H): views into `cache`, valid until
    /// its next forward; finalC is nil for a cell without a cell state. `rng` draws the dropout masks between layers when `training`.
    @discardableResult
    public func forward(_ arena: ParameterArena, x: MatrixRef, lengths: [Int], steps T: Int,
                        cache: StackedEncoderCache, rng: inout RNG, training: Bool)
        -> (outputs: MatrixRef, finalH: MatrixRef, finalC: MatrixRef?) {
        let B = lengths.count, H = hidden, L = layers.count
        precondition(x.rows == T * B && x.cols == input, "encoder forward: x (\(x.rows), \(x.cols)) for T \(T), B \(B), E \(input)")
        cache.prepare(layers: L, steps: T, batch: B, hidden: H)
        cache.training = training
        var layerInput = x
        for k in 0..<L {
            let out = cache.outputs[k].matrix                // (T·B, 2H)
            let top = k == L - 1
            let fh = top ? cache.finalH.matrix.cols(0..<H) : nil
            let hasC = cell.stateParts > 1
            let fc = top && hasC ? cache.finalC.matrix.cols(0..<H) : nil
            let bh = top ? cache.finalH.matrix.cols(H ..< 2 * H) : nil
            let bc = top && hasC ? cache.finalC.matrix.cols(H ..< 2 * H) : nil
            layers[k].fwd.forward(arena, x: layerInput, lengths: lengths, steps: T,
                                  outputs: out.cols(0..<H), final: Array([fh, fc].prefix(cell.stateParts)), cache: cache.fwd[k])
            layers[k].bwd.forward(arena, x: layerInput, lengths: lengths, steps: T,
                                  outputs: out.cols(H ..< 2 * H), final: Array([bh, bc].prefix(cell.stateParts)), cache: cache.bwd[k])
            if !top { dropout.forward(out, mask: cache.masks[k], rng: &rng, training: training) }
            layerInput = out
        }
        return (cache.outputs[L - 1].matrix, cache.finalH.matrix, cell.stateParts > 1 ? cache.finalC.matrix : nil)
    }

    /// dOutputs (T·B, 2H), dFinalH / dFinalC (B, 2H) optional (dFinalC only for a cell with a cell
    /// state) → dX (T·B, E) assigned (when given);
    /// parameter gradients accumulated. `x` is the forward's input.
    public func backward(_ arena: ParameterArena, x: MatrixRef, dOutputs: MatrixRef?,
                         dFinalH: MatrixRef? = nil, dFinalC: MatrixRef? = nil, dX: MatrixRef?,
                         cache: StackedEncoderCache) {
        let H = hidden, L = layers.count, P = cell.stateParts
        var dTop = dOutputs
        for k in stride(from: L - 1, through: 0, by: -1) {
            let top = k == L - 1
            let layerInput = k == 0 ? x : cache.outputs[k - 1].matrix
            let dIn: MatrixRef? = k == 0 ? dX : cache.dOut[k - 1].matrix
            layers[k].fwd.backward(arena, x: layerInput, dOutputs: dTop?.cols(0..<H),
                                   dFinal: top ? Array([dFinalH?.cols(0..<H), dFinalC?.cols(0..<H)].prefix(P)) : [],
                                   dX: dIn, accumulateDX: false, cache: cache.fwd[k])
            layers[k].bwd.backward(arena, x: layerInput, dOutputs: dTop?.cols(H ..< 2 * H),
                                   dFinal: top ? Array([dFinalH?.cols(H ..< 2 * H), dFinalC?.cols(H ..< 2 * H)].prefix(P)) : [],
                                   dX: dIn, accumulateDX: true, cache: cache.bwd[k])
            if k > 0 {
                let d = cache.dOut[k - 1].matrix
                dropout.backward(d, mask: cache.masks[k - 1], training: cache.training)
                dTop = d
            }
        }
    }
}
