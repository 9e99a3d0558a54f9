// One-direction, one-layer LSTM over a padded, time-major batch (forward and backward).
//
// Layout (docs/layers.md): x (T·B, In), row t·B + b is step t of sequence b; lengths[b] ≤ T.
// Weights in PyTorch's layout, gate order i, f, g, o:
//   W_ih (4H, In), W_hh (4H, H), b (4H)   (PyTorch's bias_ih = b, bias_hh = 0)
//   i = σ(x·W_iiᵀ + h·W_hiᵀ + b_i)   f = σ(…_f)   g = tanh(…_g)   o = σ(…_o)
//   c' = f ⊙ c + i ⊙ g               h' = o ⊙ tanh(c')
//
// Split like Marian: the input projection of all T·B rows is ONE gemm into the (T·B, 4H) gate
// buffer before the time loop; each step runs one gemm h·W_hhᵀ of (B, H)×(H, 4H) and a fused
// SIMD cell kernel that adds the bias, applies the activations in place (the buffer then holds
// the gates after activation, the cache backward needs) and updates c and h. Backward runs the
// cell kernels and one (B, 4H)×(4H, H) gemm per step, then dX, dW_ih, dW_hh and db as single
// gemms (column sum) over all T·B rows.
//
// Padding is exact and done without moving data: the rows active at step s are those with
// lengths[b] > s. Step s of sequence b is time t = s (forward) or t = lengths[b]-1-s
// (`reverse`, so each sequence starts at its own real end); everything is stored at row
// t·B + b, i.e. in the same time layout as x and the outputs. Inactive rows carry h and c
// unchanged, padded output rows are 0 and padded steps get zero gradient. When the lengths are
// sorted longest first (the usual bucketed batch) the per-step gemms run on the active prefix
// only.
//
// Final state: (finalH, finalC) (B, H) is each sequence's state after its last real step.

import NMTTensor

/// What an LSTM's backward needs from its forward, plus scratch. Owns its tensors and reuses
/// them for batches of the same (T, B, H) shape: no allocation in steady state.
public final class LSTMCache {
    public private(set) var steps = 0
    public private(set) var batch = 0
    public private(set) var hidden = 0
    public private(set) var lengths: [Int] = []
    /// active[s] = number of sequences with lengths[b] > s.
    var active: [Int] = []
    /// lengths are non-increasing: the active rows at each step are a prefix.
    var sortedDescending = false
    var hasInitialState = false

    var gates = Tensor([0])      // (T·B, 4H) input projection, then the gates after activation
    var c = Tensor([0])          // (T·B, H) cell state after each step (garbage at padded rows)
    var tanhC = Tensor([0])      // (T·B, H) tanh(c)
    var h = Tensor([0])          // (T·B, H) hidden state after each step, 0 at padded rows
    var stateH = Tensor([0])     // (B, H) running h
    var stateC = Tensor([0])     // (B, H) running c
    var h0 = Tensor([0])         // (B, H) initial h (zeros when none)
    var c0 = Tensor([0])         // (B, H) initial c (zeros when none)
    var stepG = Tensor([0])      // (B, 4H) h·W_hhᵀ of one step; in backward dGates of one step
    var dGates = Tensor([0])     // (T·B, 4H) gradient of the gate pre-activations
    var dh = Tensor([0])         // (B, H) running dL/dh
    var dc = Tensor([0])         // (B, H) running dL/dc

    public init() {}

    /// Bytes held by the cache's tensors.
    public var bytes: Int {
        [gates, c, tanhC, h, stateH, stateC, h0, c0, stepG, dGates, dh, dc].reduce(0) { $0 + $1.count * 4 }
    }

    func prepare(steps T: Int, lengths: [Int], hidden H: Int) {
        let B = lengths.count
        precondition(lengths.allSatisfy { $0 >= 0 && $0 <= T }, "LSTM: lengths \(lengths) must be in 0...\(T)")
        if T != steps || B != batch || H != hidden {
            gates = Tensor([T * B, 4 * H]); c = Tensor([T * B, H]); tanhC = Tensor([T * B, H])
            h = Tensor([T * B, H]); dGates = Tensor([T * B, 4 * H])
            stateH = Tensor([B, H]); stateC = Tensor([B, H]); h0 = Tensor([B, H]); c0 = Tensor([B, H])
            stepG = Tensor([B, 4 * H]); dh = Tensor([B, H]); dc = Tensor([B, H])
            steps = T; batch = B; hidden = H
        }
        self.lengths = lengths
        active = (0..<T).map { s in lengths.reduce(0) { $0 + ($1 > s ? 1 : 0) } }
        sortedDescending = zip(lengths, lengths.dropFirst()).allSatisfy { $0 >= $1 }
    }

    /// Rows that the per-step gemms must cover at step s.
    @inline(__always) func rowsAt(_ s: Int) -> Int { sortedDescending ? active[s] : batch }
}

public struct LSTM {
    public let W_ih: Param   // (4H, In)
    public let W_hh: Param   // (4H, H)
    public let b: Param      // (4H)
    public let input: Int
    public let hidden: Int
    public let reverse: Bool

    /// Registers "\(name).W_ih", "\(name).W_hh", "\(name).b".
    /// W_ih uniform ±1/sqrt(H) (PyTorch); W_hh uniform ±1/sqrt(H) or, with `orthogonalRecurrent`,
    /// an orthogonal (H, H) block per gate; b uniform ±1/sqrt(H). The forget-gate block of b
    /// is set to 1 by `initializeForgetBias(_:)`, which must be called once after
    /// `arena.allocate` (ParamInit has no per-block initialiser).
    public init(_ arena: ParameterArena, name: String, input: Int, hidden: Int, reverse: Bool = false,
                orthogonalRecurrent: Bool = false) {
        precondition(input > 0 && hidden > 0, "LSTM \(name): sizes must be positive")
        self.input = input
        self.hidden = hidden
        self.reverse = reverse
        let bound = 1 / Float(hidden).squareRoot()
        W_ih = arena.register("\(name).W_ih", shape: [4 * hidden, input], initializer: .uniform(bound))
        W_hh = arena.register("\(name).W_hh", shape: [4 * hidden, hidden],
                              initializer: orthogonalRecurrent ? .orthogonal(blockRows: hidden) : .uniform(bound))
        b = arena.register("\(name).b", shape: [4 * hidden], initializer: .uniform(bound))
    }

    /// Sets the forget-gate block b[H..<2H] to 1. Call once after `arena.allocate(seed:)`.
    public func initializeForgetBias(_ arena: ParameterArena) {
        arena.value(b).cols(hidden ..< 2 * hidden).fill(1)
    }

    /// x (T·B, In) → outputs (T·B, H) (0 at padded rows; may be a column view of a wider
    /// buffer); finalH / finalC (B, H) each sequence's state at its last real step.
    /// h0 / c0 (B, H): optional initial state (zeros when absent). B = lengths.count.
    public func forward(_ arena: ParameterArena, x: MatrixRef, lengths: [Int], steps T: Int,
                        h0: MatrixRef? = nil, c0: MatrixRef? = nil,
                        outputs: MatrixRef, finalH: MatrixRef? = nil, finalC: MatrixRef? = nil,
                        cache: LSTMCache) {
        let B = lengths.count, H = hidden
        precondition(x.rows == T * B && x.cols == input, "LSTM forward: x (\(x.rows), \(x.cols)) for T \(T), B \(B), In \(input)")
        precondition(outputs.rows == T * B && outputs.cols == H, "LSTM forward: outputs (\(outputs.rows), \(outputs.cols))")
        cache.prepare(steps: T, lengths: lengths, hidden: H)
        if B == 0 { return }
        // Initial state.
        cache.hasInitialState = h0 != nil || c0 != nil
        if let h0 { cache.h0.matrix.copy(from: h0) } else { cache.h0.zero() }
        if let c0 { cache.c0.matrix.copy(from: c0) } else { cache.c0.zero() }
        cache.stateH.matrix.copy(from: cache.h0.matrix)
        cache.stateC.matrix.copy(from: cache.c0.matrix)

        let gates = cache.gates.matrix                       // (T·B, 4H)
        gemm(x, arena.value(W_ih), transB: true, into: gates)
        let whh = arena.value(W_hh)                          // (4H, H)
        let bias = UnsafePointer(arena.value(b).ptr)         // (4H)
        let stateH = cache.stateH.matrix, stateC = cache.stateC.matrix   // (B, H)
        let stepG = cache.stepG.matrix                       // (B, 4H)
        let cC = cache.c.ptr, tcC = cache.tanhC.ptr, hC = cache.h.ptr
        let G4 = 4 * H

        for s in 0..<T {
            let n = cache.rowsAt(s)
            if n == 0 { continue }
            if s == 0 && !cache.hasInitialState {
                stepG.rows(0..<n).zero()
            } else {
                gemm(stateH.rows(0..<n), whh, transB: true, into: stepG.rows(0..<n))
            }
            for bb in 0..<n {
                let len = lengths[bb]
                if len <= s { continue }
                let t = reverse ? len - 1 - s : s
                let row = t * B + bb
                lstmCellForward(H: H, gates: gates.ptr + row * G4, rec: stepG.row(bb), bias: bias,
                                c: stateC.row(bb), h: stateH.row(bb),
                                cOut: cC + row * H, tanhCOut: tcC + row * H, hOut: hC + row * H,
                                out: outputs.row(row))
            }
        }
        // Padded rows: zero output (and zero in the cached h, which backward reads as h_prev).
        for bb in 0..<B where lengths[bb] < T {
            for t in lengths[bb]..<T {
                let row = t * B + bb
                outputs.row(row).update(repeating: 0, count: H)
                (hC + row * H).update(repeating: 0, count: H)
            }
        }
        if let finalH { finalH.copy(from: stateH) }
        if let finalC { finalC.copy(from: stateC) }
    }

    /// Backpropagation through time for the last `forward` with this cache.
    /// dOutputs (T·B, H) (rows at padded steps are ignored), optional dFinalH / dFinalC (B, H).
    /// Accumulates dW_ih, dW_hh, db; assigns dX (T·B, In) (adds when `accumulateDX`, for the
    /// two directions of a BiLSTM reading one input); assigns dH0 / dC0 (B, H) when given
    /// (the gradient of the initial state, zero-state included).
    public func backward(_ arena: ParameterArena, x: MatrixRef, dOutputs: MatrixRef?,
                         dFinalH: MatrixRef? = nil, dFinalC: MatrixRef? = nil,
                         dX: MatrixRef?, accumulateDX: Bool = false,
                         dH0: MatrixRef? = nil, dC0: MatrixRef? = nil, cache: LSTMCache) {
        let T = cache.steps, B = cache.batch, H = hidden, G4 = 4 * H
        let lengths = cache.lengths
        precondition(cache.hidden == H && x.rows == T * B && x.cols == input, "LSTM backward: cache/input shape mismatch")
        if let dOutputs { precondition(dOutputs.rows == T * B && dOutputs.cols == H, "LSTM backward: dOutputs shape") }
        if B == 0 || T == 0 {
            if let dX, !accumulateDX { dX.zero() }
            dH0?.zero(); dC0?.zero()
            return
        }
        let dh = cache.dh.matrix, dc = cache.dc.matrix       // (B, H)
        if let dFinalH { dh.copy(from: dFinalH) } else { dh.zero() }
        if let dFinalC { dc.copy(from: dFinalC) } else { dc.zero() }
        let dGates = cache.dGates.matrix                     // (T·B, 4H)
        for bb in 0..<B where lengths[bb] < T {
            for t in lengths[bb]..<T { dGates.row(t * B + bb).update(repeating: 0, count: G4) }
        }
        let stepD = cache.stepG.matrix                       // (B, 4H), reverse only
        if reverse { stepD.zero() }
        let whh = arena.value(W_hh)
        let gates = cache.gates.ptr, cC = cache.c.ptr, tcC = cache.tanhC.ptr, c0 = cache.c0.ptr
        let needInitialGrad = dH0 != nil

        for s in stride(from: T - 1, through: 0, by: -1) {
            let n = cache.rowsAt(s)
            if n == 0 { continue }
            for bb in 0..<n {
                let len = lengths[bb]
                if len <= s { continue }
                let t = reverse ? len - 1 - s : s
                let row = t * B + bb
                let cPrev: UnsafePointer<Float>
                if reverse {
                    cPrev = UnsafePointer(t + 1 < len ? cC + (row + B) * H : c0 + bb * H)
                } else {
                    cPrev = UnsafePointer(t > 0 ? cC + (row - B) * H : c0 + bb * H)
                }
                let dG = reverse ? stepD.row(bb) : dGates.row(row)
                lstmCellBackward(H: H, gates: gates + row * G4, tanhC: tcC + row * H, cPrev: cPrev,
                                 dOut: dOutputs.map { UnsafePointer($0.row(row)) },
                                 dh: dh.row(bb), dc: dc.row(bb), dGates: dG)
                if reverse { dGates.row(row).update(from: dG, count: G4) }
            }
            // dh_prev (active rows; they were zeroed by the kernel) += dG_s · W_hh.
            if s > 0 || needInitialGrad {
                let dGs = reverse ? stepD.rows(0..<n) : dGates.rows(s * B ..< s * B + n)
                gemm(dGs, whh, into: dh.rows(0..<n), beta: 1)
            }
        }
        if let dH0 { dH0.copy(from: dh) }
        if let dC0 { dC0.copy(from: dc) }

        // Parameter gradients and dX over all T·B rows at once.
        gemm(dGates, transA: true, x, into: arena.grad(W_ih), beta: 1)
        accumulateColumnSums(of: dGates, into: arena.grad(b).ptr)
        let hs = cache.h.matrix                              // (T·B, H), 0 at padded rows
        let gWhh = arena.grad(W_hh)
        if T > 1 {
            // h_prev of row (t, b) is h at (t∓1, b); where that is a padded row it reads 0, which
            // is right unless an initial state was given (added below).
            if reverse {
                gemm(dGates.rows(0 ..< (T - 1) * B), transA: true, hs.rows(B ..< T * B), into: gWhh, beta: 1)
            } else {
                gemm(dGates.rows(B ..< T * B), transA: true, hs.rows(0 ..< (T - 1) * B), into: gWhh, beta: 1)
            }
        }
        if cache.hasInitialState {
            // The first real step of each sequence read h0.
            let first: MatrixRef
            if reverse {
                first = stepD
                for bb in 0..<B {
                    let len = lengths[bb]
                    if len > 0 {
                        first.row(bb).update(from: dGates.row((len - 1) * B + bb), count: G4)
                    } else {
                        first.row(bb).update(repeating: 0, count: G4)
                    }
                }
            } else {
                first = dGates.rows(0..<B)
            }
            gemm(first, transA: true, cache.h0.matrix, into: gWhh, beta: 1)
        }
        if let dX {
            precondition(dX.rows == T * B && dX.cols == input, "LSTM backward: dX shape")
            gemm(dGates, arena.value(W_ih), into: dX, beta: accumulateDX ? 1 : 0)
        }
    }
}

// MARK: - Fused cell kernels

/// One row of the forward cell. gates (4H): the input projection on entry, the activated
/// gates on exit. rec (4H): h·W_hhᵀ. c, h (H): running state, updated. Also writes c, tanh(c)
/// and h to the caches and h to `out`.
@inline(__always)
func lstmCellForward(H: Int, gates: UnsafeMutablePointer<Float>, rec: UnsafePointer<Float>,
                     bias: UnsafePointer<Float>, c: UnsafeMutablePointer<Float>, h: UnsafeMutablePointer<Float>,
                     cOut: UnsafeMutablePointer<Float>, tanhCOut: UnsafeMutablePointer<Float>,
                     hOut: UnsafeMutablePointer<Float>, out: UnsafeMutablePointer<Float>) {
    let gi = gates, gf = gates + H, gg = gates + 2 * H, go = gates + 3 * H
    var j = 0
    while j + 8 <= H {
        let i = simdSigmoid(load8(gi + j) + load8(rec + j) + load8(bias + j))
        let f = simdSigmoid(load8(gf + j) + load8(rec + H + j) + load8(bias + H + j))
        let g = simdTanh(load8(gg + j) + load8(rec + 2 * H + j) + load8(bias + 2 * H + j))
        let o = simdSigmoid(load8(go + j) + load8(rec + 3 * H + j) + load8(bias + 3 * H + j))
        store8(i, gi + j); store8(f, gf + j); store8(g, gg + j); store8(o, go + j)
        let cn = f * load8(c + j) + i * g
        let tc = simdTanh(cn)
        let hn = o * tc
        store8(cn, c + j); store8(cn, cOut + j); store8(tc, tanhCOut + j)
        store8(hn, h + j); store8(hn, hOut + j); store8(hn, out + j)
        j += 8
    }
    while j < H {
        let i = simdSigmoid(gi[j] + rec[j] + bias[j])
        let f = simdSigmoid(gf[j] + rec[H + j] + bias[H + j])
        let g = simdTanh(gg[j] + rec[2 * H + j] + bias[2 * H + j])
        let o = simdSigmoid(go[j] + rec[3 * H + j] + bias[3 * H + j])
        gi[j] = i; gf[j] = f; gg[j] = g; go[j] = o
        let cn = f * c[j] + i * g
        let tc = simdTanh(cn)
        let hn = o * tc
        c[j] = cn; cOut[j] = cn; tanhCOut[j] = tc
        h[j] = hn; hOut[j] = hn; out[j] = hn
        j += 1
    }
}

/// One row of the backward cell. dh, dc (H): on entry dL/dh, dL/dc after this step (dh without
/// the output's own gradient, added here from dOut); on exit dh = 0 (the caller adds dG·W_hh)
/// and dc = dL/dc_prev. Writes the pre-activation gate gradients (4H) to dGates.
@inline(__always)
func lstmCellBackward(H: Int, gates: UnsafePointer<Float>, tanhC: UnsafePointer<Float>, cPrev: UnsafePointer<Float>,
                      dOut: UnsafePointer<Float>?, dh: UnsafeMutablePointer<Float>, dc: UnsafeMutablePointer<Float>,
                      dGates: UnsafeMutablePointer<Float>) {
    let gi = gates, gf = gates + H, gg = gates + 2 * H, go = gates + 3 * H
    let one = Float8(repeating: 1)
    var j = 0
    while j + 8 <= H {
        var dhv = load8(dh + j)
        if let dOut { dhv += load8(dOut + j) }
        let i = load8(gi + j), f = load8(gf + j), g = load8(gg + j), o = load8(go + j)
        let tc = load8(tanhC + j)
        let dct = load8(dc + j) + dhv * o * (one - tc * tc)
        store8(dct * g * i * (one - i), dGates + j)
        store8(dct * load8(cPrev + j) * f * (one - f), dGates + H + j)
        store8(dct * i * (one - g * g), dGates + 2 * H + j)
        store8(dhv * tc * o * (one - o), dGates + 3 * H + j)
        store8(dct * f, dc + j)
        store8(Float8(), dh + j)
        j += 8
    }
    while j < H {
        var dhv = dh[j]
        if let dOut { dhv += dOut[j] }
        let i = gi[j], f = gf[j], g = gg[j], o = go[j], tc = tanhC[j]
        let dct = dc[j] + dhv * o * (1 - tc * tc)
        dGates[j] = dct * g * i * (1 - i)
        dGates[H + j] = dct * cPrev[j] * f * (1 - f)
        dGates[2 * H + j] = dct * i * (1 - g * g)
        dGates[3 * H + j] = dhv * tc * o * (1 - o)
        dc[j] = dct * f
        dh[j] = 0
        j += 1
    }
}
