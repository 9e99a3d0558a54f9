// How far back a language model's gradient reaches: for a sentence of T outputs and the loss
// L = −ln p(</s>) at its last step, the norm of ∂L/∂s_t, the gradient with respect to the top
// layer's whole recurrent state after step t ((h, c) for the LSTM family, h otherwise), against the
// distance d = T − 1 − t. The vanishing-gradient story of RNN textbooks, measured.
//
// Exact and simple: s_t comes from running the top layer over steps 0…t; ∂L/∂s_t from running it
// again over steps t+1…T−1 from s_t (the layers below give the same inputs: they do not read the
// top layer) and back-propagating with the initial state's gradient requested. At d = 0 the
// gradient is the output layer's: Wᵀ(softmax − e_</s>) on h (and 0 on c). No dropout.

import NMTLayers
import NMTTensor
import NMTText
#if canImport(Glibc)
import Glibc
#endif

extension LanguageModel {
    /// ‖∂L/∂s_t‖ for t = 0 … T−1, indexed by the distance d = T − 1 − t, for one sentence (word
    /// ids without <s>/</s>; T = its length + 1).
    public func stateGradientNorms(sentence: [Int32]) -> [Double] {
        let batch = LMBatch(sentences: [sentence])
        let T = batch.steps, H = config.hidden, E = config.embedding, V = config.vocab
        let P = config.cell.stateParts, top = layers.count - 1
        // Inputs of the top layer: the embeddings, or the layer below's outputs (no dropout).
        let x = Tensor([T, E])
        batch.input.withUnsafeBufferPointer { embedding.forward(arena, ids: $0, into: x.matrix) }
        var input = x
        for k in 0..<top {
            let out = Tensor([T, H])
            layers[k].forward(arena, x: input.matrix, lengths: [T], steps: T, outputs: out.matrix, final: [], cache: RecurrentCache())
            input = out
        }
        let In = input.shape[1]
        // dL/dh_{T−1} from the output layer: Wᵀ(softmax(z) − e_</s>).
        let full = Tensor([T, H])
        layers[top].forward(arena, x: input.matrix, lengths: [T], steps: T, outputs: full.matrix, final: [], cache: RecurrentCache())
        let logits = Tensor([1, V])
        generator.forward(arena, full.matrix.rows(T - 1 ..< T), into: logits.matrix)
        var m = -Float.infinity
        for j in 0..<V { m = max(m, logits.ptr[j]) }
        var sum = 0.0
        for j in 0..<V { sum += exp(Double(logits.ptr[j] - m)) }
        for j in 0..<V { logits.ptr[j] = Float(exp(Double(logits.ptr[j] - m)) / sum) }
        logits.ptr[Int(SpecialIds.eos)] -= 1
        let dLast = Tensor([1, H])
        gemm(logits.matrix, arena.value(generator.weight), into: dLast.matrix)   // (1, V)·(V, H)
        var norms = [Double](repeating: 0, count: T)
        norms[0] = Double((0..<H).reduce(Float(0)) { $0 + dLast.ptr[$1] * dLast.ptr[$1] }.squareRoot())
        guard T > 1 else { withExtendedLifetime((x, input, full, logits, dLast)) {}; return norms }
        let cache = RecurrentCache()
        for t in 0..<(T - 1) {
            // s_t: the state after steps 0…t.
            let state = (0..<P).map { _ in Tensor([1, H]) }
            let prefixOut = Tensor([t + 1, H])
            layers[top].forward(arena, x: input.matrix.rows(0 ..< t + 1), lengths: [t + 1], steps: t + 1,
                                outputs: prefixOut.matrix, final: state.map(\.matrix), cache: cache)
            // Steps t+1 … T−1 from s_t, loss at the last one; the initial state's gradient.
            let n = T - 1 - t
            let suffix = Tensor([n, In])
            suffix.matrix.copy(from: input.matrix.rows(t + 1 ..< T))
            let out = Tensor([n, H]), dOut = Tensor([n, H])
            dOut.matrix.rows(n - 1 ..< n).copy(from: dLast.matrix)
            layers[top].forward(arena, x: suffix.matrix, lengths: [n], steps: n, initial: state.map(\.matrix),
                                outputs: out.matrix, final: [], cache: cache, firstStep: t + 1)
            let dState = (0..<P).map { _ in Tensor([1, H]) }
            layers[top].backward(arena, x: suffix.matrix, dOutputs: dOut.matrix, dFinal: [], dX: nil, accumulateDX: false,
                                 dInitial: dState.map(\.matrix), cache: cache)
            var sq = 0.0
            for d in dState { for j in 0..<H { sq += Double(d.ptr[j]) * Double(d.ptr[j]) } }
            norms[n] = sq.squareRoot()
            // The views above point into these tensors: keep them alive until here.
            withExtendedLifetime((state, prefixOut, suffix, out, dOut, dState)) {}
        }
        withExtendedLifetime((x, input, full, logits, dLast)) {}
        return norms
    }
}
