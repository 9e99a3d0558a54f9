// GRU cell (PyTorch layout and gate order r, z, n), batched over rows, forward and backward.
//
//   r  = σ(W_ir·x + b_ir + W_hr·h + b_hr)
//   z  = σ(W_iz·x + b_iz + W_hz·h + b_hz)
//   n  = tanh(W_in·x + b_in + r ⊙ (W_hn·h + b_hn))      reset applied AFTER the recurrent product
//   h' = (1 − z) ⊙ n + z ⊙ h
//
// Parameters: W_ih (3H, In), W_hh (3H, H), b_ih (3H), b_hh (3H), rows in gate order r | z | n,
// exactly torch.nn.GRU's weight_ih_l0 / weight_hh_l0 / bias_ih_l0 / bias_hh_l0.
//
// Because the reset gate multiplies the *finished* recurrent product, the recurrent products of
// all three gates are ONE gemm (B, H)·(H, 3H) per step. The input projection x·W_ihᵀ + b_ih does
// not depend on the recurrence, so callers compute it for many steps at once (`projectInput`)
// and pass one step's rows (B, 3H) to `gateForward`.
//
// Per-step cache `gates` (B, 4H) = [ r | z | n | hn ] with hn = W_hn·h + b_hn (needed for ∂r).
// Inactive rows (padding: `active[row] == 0`) carry the state through: h' = h, and their gates are
// stored as r = 0, z = 1, n = 0, hn = 0, which makes the backward kernel give ∂h = ∂h' and
// exactly zero gradient to every parameter and input without any mask in the backward pass.

import NMTTensor

public struct GRU {
    public let input: Int
    public let hidden: Int
    public let W_ih: Param   // (3H, In)
    public let W_hh: Param   // (3H, H)
    public let b_ih: Param   // (3H)
    public let b_hh: Param   // (3H)

    /// Registers `<name>.W_ih`, `<name>.W_hh`, `<name>.b_ih`, `<name>.b_hh`.
    /// Init: W_ih uniform ±1/√H (PyTorch's), W_hh orthogonal per (H, H) gate block, biases zero.
    public init(_ arena: ParameterArena, name: String, input: Int, hidden: Int) {
        self.input = input
        self.hidden = hidden
        let bound = 1 / Float(hidden).squareRoot()
        W_ih = arena.register("\(name).W_ih", shape: [3 * hidden, input], initializer: .uniform(bound))
        W_hh = arena.register("\(name).W_hh", shape: [3 * hidden, hidden], initializer: .orthogonal(blockRows: hidden))
        b_ih = arena.register("\(name).b_ih", shape: [3 * hidden], initializer: .zeros)
        b_hh = arena.register("\(name).b_hh", shape: [3 * hidden], initializer: .zeros)
    }

    // MARK: building blocks (used by the decoder over all time steps)

    /// xProj (N, 3H) = x (N, In')·W_ih[:, cols]ᵀ (+ b_ih if `addBias`) (+ xProj if `accumulate`).
    /// `cols` selects the input columns x corresponds to (input feeding splits [emb ; context]).
    public func projectInput(_ arena: ParameterArena, _ x: MatrixRef, columns: Range<Int>? = nil,
                             into xProj: MatrixRef, addBias: Bool = true, accumulate: Bool = false) {
        let w = arena.value(W_ih).cols(columns ?? 0..<input)     // (3H, In')
        gemm(x, w, transB: true, into: xProj, beta: accumulate ? 1 : 0)
        if addBias { addRowVector(arena.value(b_ih).ptr, to: xProj) }
    }

    /// gates[:, 0..<3H] = hPrev (B, H)·W_hhᵀ   (the one recurrent gemm of a step; b_hh is added
    /// inside the gate kernel).
    @inlinable
    public func recurrent(_ arena: ParameterArena, hPrev: MatrixRef, gates: MatrixRef) {
        gemm(hPrev, arena.value(W_hh), transB: true, into: gates.cols(0..<3 * hidden))
    }

    /// One step: `recurrent` + `gateForward`. xProj (B, 3H) includes b_ih; gates (B, 4H) out;
    /// hNew (B, H) out. `active` (B) optional per-row flags (0 = padded row, carry h through).
    @inlinable
    public func step(_ arena: ParameterArena, xProj: MatrixRef, hPrev: MatrixRef, gates: MatrixRef,
                     hNew: MatrixRef, active: UnsafePointer<UInt8>? = nil) {
        recurrent(arena, hPrev: hPrev, gates: gates)
        GRU.gateForward(xProj: xProj, gates: gates, bHH: UnsafePointer(arena.value(b_hh).ptr),
                        hPrev: hPrev, hNew: hNew, active: active)
    }

    /// The fused gate kernel. On entry gates[:, 0..<3H] holds hPrev·W_hhᵀ (no bias); on exit
    /// gates = [r | z | n | hn] (B, 4H) and hNew (B, H) = (1−z)⊙n + z⊙hPrev.
    @inlinable
    public static func gateForward(xProj: MatrixRef, gates: MatrixRef, bHH: UnsafePointer<Float>,
                                   hPrev: MatrixRef, hNew: MatrixRef, active: UnsafePointer<UInt8>?) {
        let H = hNew.cols
        precondition(xProj.cols == 3 * H && gates.cols == 4 * H && hPrev.cols == H)
        precondition(xProj.rows == hNew.rows && gates.rows == hNew.rows && hPrev.rows == hNew.rows)
        for row in 0..<hNew.rows {
            let xp = UnsafePointer(xProj.row(row)), g = gates.row(row)
            let hp = UnsafePointer(hPrev.row(row)), hn = hNew.row(row)
            if let a = active, a[row] == 0 {
                g.update(repeating: 0, count: H)
                (g + H).update(repeating: 1, count: H)
                (g + 2 * H).update(repeating: 0, count: 2 * H)
                if hn != UnsafeMutablePointer(mutating: hp) { hn.update(from: hp, count: H) }
                continue
            }
            var j = 0
            while j < H {
                let n = min(8, H - j)
                let r = simdSigmoid(load8(xp + j, n) + load8(g + j, n) + load8(bHH + j, n))
                let z = simdSigmoid(load8(xp + H + j, n) + load8(g + H + j, n) + load8(bHH + H + j, n))
                let hnv = load8(g + 2 * H + j, n) + load8(bHH + 2 * H + j, n)
                let nn = simdTanh(load8(xp + 2 * H + j, n) + r * hnv)
                let h = load8(hp + j, n)
                store8(nn + z * (h - nn), hn + j, n)
                store8(r, g + j, n)
                store8(z, g + H + j, n)
                store8(nn, g + 2 * H + j, n)
                store8(hnv, g + 3 * H + j, n)
                j += 8
            }
        }
    }

    /// The fused backward gate kernel. dH (B, H) = ∂L/∂h' (total); writes
    ///   dXProj (B, 3H) = ∂L/∂(x·W_ihᵀ + b_ih)   = [da_r | da_z | da_n]
    ///   dHProj (B, 3H) = ∂L/∂(h·W_hhᵀ + b_hh)   = [da_r | da_z | da_n ⊙ r]
    ///   dHPrev (B, H)  = dH ⊙ z   (the direct path; the caller adds dHProj·W_hh)
    /// (all assigned). dHPrev may alias dH.
    @inlinable
    public static func gateBackward(dH: MatrixRef, hPrev: MatrixRef, gates: MatrixRef,
                                    dXProj: MatrixRef, dHProj: MatrixRef, dHPrev: MatrixRef) {
        let H = dH.cols
        precondition(gates.cols == 4 * H && dXProj.cols == 3 * H && dHProj.cols == 3 * H && dHPrev.cols == H)
        for row in 0..<dH.rows {
            let dh = UnsafePointer(dH.row(row)), hp = UnsafePointer(hPrev.row(row))
            let g = UnsafePointer(gates.row(row))
            let dx = dXProj.row(row), dhp = dHProj.row(row), dprev = dHPrev.row(row)
            var j = 0
            while j < H {
                let n = min(8, H - j)
                let d = load8(dh + j, n)
                let r = load8(g + j, n), z = load8(g + H + j, n)
                let nn = load8(g + 2 * H + j, n), hnv = load8(g + 3 * H + j, n)
                let h = load8(hp + j, n)
                let dan = d * (1 - z) * (1 - nn * nn)
                let dar = dan * hnv * r * (1 - r)
                let daz = d * (h - nn) * z * (1 - z)
                store8(dar, dx + j, n); store8(daz, dx + H + j, n); store8(dan, dx + 2 * H + j, n)
                store8(dar, dhp + j, n); store8(daz, dhp + H + j, n); store8(dan * r, dhp + 2 * H + j, n)
                store8(d * z, dprev + j, n)
                j += 8
            }
        }
    }

    // MARK: a self-contained step (forward + backward), for tests and simple callers

    /// Forward of one step on x (B, In), hPrev (B, H) → cache.hNew (B, H).
    @discardableResult
    public func forward(_ arena: ParameterArena, x: MatrixRef, hPrev: MatrixRef, cache: GRUStepCache) -> MatrixRef {
        cache.prepare(rows: x.rows, hidden: hidden)
        let xProj = cache.xProj.matrix, gates = cache.gates.matrix, hNew = cache.hNew.matrix
        projectInput(arena, x, into: xProj)
        step(arena, xProj: xProj, hPrev: hPrev, gates: gates, hNew: hNew)
        return hNew
    }

    /// Backward of one `forward`: grads of W_ih, W_hh, b_ih, b_hh (+=); dX (B, In) (=, optional);
    /// dHPrev (B, H) (=).
    public func backward(_ arena: ParameterArena, x: MatrixRef, hPrev: MatrixRef, dHNew: MatrixRef,
                         cache: GRUStepCache, dX: MatrixRef?, dHPrev: MatrixRef) {
        let dXProj = cache.dXProj.matrix, dHProj = cache.dHProj.matrix
        GRU.gateBackward(dH: dHNew, hPrev: hPrev, gates: cache.gates.matrix,
                         dXProj: dXProj, dHProj: dHProj, dHPrev: dHPrev)
        gemm(dHProj, transA: true, hPrev, into: arena.grad(W_hh), beta: 1)
        accumulateColumnSums(of: dHProj, into: arena.grad(b_hh).ptr)
        gemm(dHProj, arena.value(W_hh), into: dHPrev, beta: 1)
        gemm(dXProj, transA: true, x, into: arena.grad(W_ih), beta: 1)
        accumulateColumnSums(of: dXProj, into: arena.grad(b_ih).ptr)
        if let dX { gemm(dXProj, arena.value(W_ih), into: dX) }
    }
}

/// Buffers of one GRU step, reused while the batch size stays the same.
public final class GRUStepCache {
    public private(set) var xProj = Tensor([0, 0])    // (B, 3H)
    public private(set) var gates = Tensor([0, 0])    // (B, 4H)  [r | z | n | hn]
    public private(set) var hNew = Tensor([0, 0])     // (B, H)
    public private(set) var dXProj = Tensor([0, 0])   // (B, 3H)
    public private(set) var dHProj = Tensor([0, 0])   // (B, 3H)
    public init() {}

    func prepare(rows: Int, hidden H: Int) {
        if hNew.shape == [rows, H] { return }
        xProj = Tensor([rows, 3 * H]); gates = Tensor([rows, 4 * H]); hNew = Tensor([rows, H])
        dXProj = Tensor([rows, 3 * H]); dHProj = Tensor([rows, 3 * H])
    }
}
