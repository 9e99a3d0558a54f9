// The interface between a model and the search. The search knows nothing of the model:
// it only asks for next-token log-probabilities of the live hypothesis rows and tells the
// scorer which rows survive.

/// A batched next-token scorer (e.g. an attentional RNN decoder over a batch of sources).
///
/// Row protocol (the whole contract):
/// 1. `initialState(batchSize: B)` — one row per sentence, rows 0..<B in sentence order.
/// 2. `step(lastTokens:state:out:)` — for each current row r, writes log P(· | row r) into
///    `out[r * vocabSize ..< (r + 1) * vocabSize]`. `lastTokens.count` is the number of rows;
///    the first step gets BOS for every row. All rows of the batch are scored in one call, so a
///    neural scorer computes one (rows × vocab) matrix per step.
/// 3. `reorder(state:rows:)` — the new row i is a copy of the old row `rows[i]` (indices may
///    repeat, e.g. one source row fanned out to K beams; rows not listed — finished hypotheses,
///    finished sentences — leave the active set). The next `step` sees `rows.count` rows.
///    The search groups rows by sentence, in sentence order, so per-sentence data (encoder
///    states, source masks) can be gathered with the same indices.
///
/// Rows handed to `step` never contain finished hypotheses, so a scorer never computes
/// anything for dead rows.
public protocol StepScorer {
    associatedtype State

    /// Vocabulary size V (the width of each row written by `step`).
    var vocabSize: Int { get }

    /// Starts decoding a batch of `batchSize` sentences; returns the state with one row per sentence.
    mutating func initialState(batchSize: Int) -> State

    /// Log-probabilities (rows × vocabSize, row-major, written into `out`) of the next token for
    /// each live row, given the last token of each row.
    mutating func step(lastTokens: [Int32], state: inout State, out: UnsafeMutablePointer<Float>)

    /// Keeps only these rows (indices into the current rows, may repeat), in this order.
    mutating func reorder(state: inout State, rows: [Int32])

    /// Optional alignment hook, asked right after `step` when
    /// `BeamSearchOptions.collectAlignments` is on: for each row of the last `step`, the source
    /// position with the highest attention weight when that token distribution was computed.
    /// Return nil (the default) if the scorer has no attention.
    mutating func attentionArgmax(state: State) -> [Int32]?
}

extension StepScorer {
    public mutating func attentionArgmax(state: State) -> [Int32]? { nil }
}
