// One-direction, one-layer LSTM over a padded, time-major batch: the shared sequence loop
// (Recurrence/SequenceLoop.swift: padding, reverse direction, active prefix, batched input
// projection, BPTT) specialised with the LSTM cell (Cells/LSTMCell.swift: equations, layout,
// kernels). This file keeps the LSTM's own names for the state parts (h0/c0, finalH/finalC, ...).
//
// Final state: (finalH, finalC) (B, H) is each sequence's state after its last real step.

import NMTTensor

public typealias LSTM = RecurrentLayer<LSTMCell>
public typealias LSTMCache = RecurrentCache

extension RecurrentLayer where Cell == LSTMCell {
    public var W_ih: Param { cell.W_ih }   // (4H, In)
    public var W_hh: Param { cell.W_hh }   // (4H, H)
    public var b: Param { cell.b }         // (4H)

    /// Registers "\(name).W_ih", "\(name).W_hh", "\(name).b" (see LSTMCell.init).
    /// Call `initializeForgetBias(_:)` once after `arena.allocate`.
    public init(_ arena: ParameterArena, name: String, input: Int, hidden: Int, reverse: Bool = false,
                orthogonalRecurrent: Bool = false) {
        self.init(cell: LSTMCell(arena, name: name, input: input, hidden: hidden, orthogonalRecurrent: orthogonalRecurrent),
                  reverse: reverse)
    }

    /// Sets the forget-gate block b[H..<2H] to 1. Call once after `arena.allocate(seed:)`.
    public func initializeForgetBias(_ arena: ParameterArena) { cell.initializeForgetBias(arena) }

    /// x (T·B, In) → outputs (T·B, H) (0 at padded rows; may be a column view of a wider
    /// buffer); finalH / finalC (B, H) each sequence's state at its last real step.
    /// h0 / c0 (B, H): optional initial state (zeros when absent). B = lengths.count.
    public func forward(_ arena: ParameterArena, x: MatrixRef, lengths: [Int], steps T: Int,
                        h0: MatrixRef? = nil, c0: MatrixRef? = nil,
                        outputs: MatrixRef, finalH: MatrixRef? = nil, finalC: MatrixRef? = nil,
                        cache: LSTMCache) {
        forward(arena, x: x, lengths: lengths, steps: T, initial: [h0, c0], outputs: outputs,
                final: [finalH, finalC], cache: cache)
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
        backward(arena, x: x, dOutputs: dOutputs, dFinal: [dFinalH, dFinalC], dX: dX, accumulateDX: accumulateDX,
                 dInitial: [dH0, dC0], cache: cache)
    }
}
