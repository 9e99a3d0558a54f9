// What the sequence loop's backward needs from its forward, plus scratch, for any cell.
// Owns its tensors and reuses them for batches of the same shape: no allocation in steady state.
//
// With G = the cell's gate width, K = its per-row cache width, P = its number of state parts:
//   proj      (T·B, G)    input projection, then whatever the cell's forward kernel leaves there
//   history   (P·T·B, H)  state after each step, part p in rows p·T·B ..< (p+1)·T·B;
//                         part 0 (h) is 0 at padded rows (backward reads it as h_prev)
//   rowCache  (T·B, K)    the cell's per-row cache
//   state     (P·B, H)    running state, part p in rows p·B ..< (p+1)·B
//   initial   (P·B, H)    initial state (zeros when none)
//   stepRec   (B, G)      h·W_hhᵀ of one step; in backward dRec of one step (reverse direction)
//   dProj     (T·B, G)    gradient of the input projection
//   dRec      (T·B, G)    gradient of the recurrent product (the same tensor as dProj for a
//                         shared-gradient cell)
//   dState    (P·B, H)    running gradient of the state

import NMTTensor

public final class RecurrentCache {
    public private(set) var steps = 0
    public private(set) var batch = 0
    public private(set) var hidden = 0
    public private(set) var lengths: [Int] = []
    /// active[s] = number of sequences with lengths[b] > s.
    @usableFromInline var active: [Int] = []
    /// lengths are non-increasing: the active rows at each step are a prefix.
    @usableFromInline var sortedDescending = false
    @usableFromInline var hasInitialState = false
    /// The step number (reading order) of the first row of the last forward.
    @usableFromInline var firstStep = 0
    @usableFromInline var gateWidth = 0, cacheWidth = 0, parts = 0, shared = true

    @usableFromInline var proj = Tensor([0])       // (T·B, G)
    @usableFromInline var history = Tensor([0])    // (P·T·B, H)
    @usableFromInline var rowCache = Tensor([0])   // (T·B, K)
    @usableFromInline var state = Tensor([0])      // (P·B, H)
    @usableFromInline var initial = Tensor([0])    // (P·B, H)
    @usableFromInline var stepRec = Tensor([0])    // (B, G)
    @usableFromInline var dProj = Tensor([0])      // (T·B, G)
    @usableFromInline var dRec = Tensor([0])       // (T·B, G), === dProj when shared
    @usableFromInline var dState = Tensor([0])     // (P·B, H)
    // With layer normalisation (RecurrentNorm) only:
    @usableFromInline let lnInput = LayerNormCache()     // x̂ and rstd of the T·B projection rows
    @usableFromInline var lnRec = Tensor([0])      // (T·B, G) x̂ of each step's recurrent product
    @usableFromInline var lnRecRstd = Tensor([0])  // (T·B)
    @usableFromInline var dRecPre = Tensor([0])    // (T·B, G) dL/d(normalised recurrent product)
    @usableFromInline var dProjRaw = Tensor([0])   // (T·B, G) dL/d(projection before normalisation)

    public init() {}

    @usableFromInline
    func prepareNorm() {
        if lnRec.shape != [steps * batch, gateWidth] {
            lnRec = Tensor([steps * batch, gateWidth]); lnRecRstd = Tensor([steps * batch])
            dRecPre = Tensor([steps * batch, gateWidth]); dProjRaw = Tensor([steps * batch, gateWidth])
        }
    }

    /// Bytes held by the cache's tensors.
    public var bytes: Int {
        var all = [proj, history, rowCache, state, initial, stepRec, dProj, dState, lnRec, lnRecRstd, dRecPre, dProjRaw,
                   lnInput.normalized, lnInput.rstd]
        if !shared { all.append(dRec) }
        return all.reduce(0) { $0 + $1.count * 4 }
    }

    @usableFromInline
    func prepare(steps T: Int, lengths: [Int], hidden H: Int, gateWidth G: Int, cacheWidth K: Int, parts P: Int,
                 shared: Bool) {
        let B = lengths.count
        precondition(lengths.allSatisfy { $0 >= 0 && $0 <= T }, "recurrent layer: lengths \(lengths) must be in 0...\(T)")
        if T != steps || B != batch || H != hidden || G != gateWidth || K != cacheWidth || P != parts || shared != self.shared {
            proj = Tensor([T * B, G]); history = Tensor([P * T * B, H]); rowCache = Tensor([T * B, K])
            state = Tensor([P * B, H]); initial = Tensor([P * B, H]); stepRec = Tensor([B, G])
            dProj = Tensor([T * B, G]); dRec = shared ? dProj : Tensor([T * B, G]); dState = Tensor([P * B, H])
            steps = T; batch = B; hidden = H; gateWidth = G; cacheWidth = K; parts = P; self.shared = shared
        }
        self.lengths = lengths
        active = (0..<T).map { s in lengths.reduce(0) { $0 + ($1 > s ? 1 : 0) } }
        sortedDescending = zip(lengths, lengths.dropFirst()).allSatisfy { $0 >= $1 }
    }

    /// Rows that the per-step gemms must cover at step s.
    @inlinable @inline(__always) func rowsAt(_ s: Int) -> Int { sortedDescending ? active[s] : batch }
}
