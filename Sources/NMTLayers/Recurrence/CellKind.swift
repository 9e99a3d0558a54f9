// The recurrent cells by name, and one sequence layer over whichever a model's config selects.
//
// Names (the flags --enc-cell, --dec-cell, --cell and the model config use them):
//   rnn        vanilla (Elman) RNN                 Cells/ElmanCell.swift
//   lstm       LSTM                                Cells/LSTMCell.swift
//   peephole   peephole LSTM (Gers & Schmidhuber)  Cells/PeepholeLSTMCell.swift
//   coupled    coupled input–forget LSTM           Cells/CoupledLSTMCell.swift
//   gru        GRU                                 Cells/GRUCell.swift
//   esn        echo state network (language models only)   Cells/EchoStateCell.swift
//   clockwork  clockwork RNN (language models only)        Cells/ClockworkCell.swift
//
// `SequenceLayer` dispatches once per sequence call (forward / backward over all T steps) to the
// sequence loop specialised for the cell: the per-row kernels still inline into their own loop.

import NMTTensor

public enum CellKind: String, CaseIterable, Codable, Sendable {
    case rnn, lstm, peephole, coupled, gru, esn, clockwork

    /// The cells a translation encoder or decoder may use.
    public static let sequenceCells: [CellKind] = [.rnn, .lstm, .peephole, .coupled, .gru]
    /// Every cell: what a language model may use.
    public static let languageModelCells: [CellKind] = allCases

    /// False for the echo state network, whose reservoir stays as initialised.
    public var isTrained: Bool { self != .esn }

    /// Parses a cell name among `allowed`; an unknown or unsupported name is an error that lists them.
    public static func parse(_ name: String, allowed: [CellKind] = sequenceCells, flag: String) throws -> CellKind {
        guard let kind = CellKind(rawValue: name), allowed.contains(kind) else {
            throw CellKindError(name: name, flag: flag, allowed: allowed)
        }
        return kind
    }

    /// The sequence cell whose tensors a weights file holds under `prefix` ("encoder.l0.fwd."),
    /// told apart by their names and by W_hh's gate rows per hidden unit; nil when none is there.
    public static func detect(prefix: String, shapes: [String: [Int]]) -> CellKind? {
        if shapes[prefix + "peephole"] != nil { return .peephole }
        if shapes[prefix + "b_ih"] != nil { return .gru }
        guard let w = shapes[prefix + "W_hh"], w.count == 2, w[1] > 0 else { return nil }
        switch w[0] / w[1] {
        case 1: return .rnn
        case 3: return .coupled
        case 4: return .lstm
        default: return nil
        }
    }

    /// State parts of width H: (h, c) for the LSTM family, (h) otherwise.
    public var stateParts: Int {
        switch self {
        case .lstm, .peephole, .coupled: return 2
        case .rnn, .gru, .esn, .clockwork: return 1
        }
    }
}

public struct CellKindError: Error, CustomStringConvertible, Equatable {
    public let name: String
    public let flag: String
    public let allowed: [CellKind]
    public var description: String {
        let known = CellKind(rawValue: name) != nil
        return "\(flag): \(known ? "cell \"\(name)\" is not available here" : "unknown cell \"\(name)\""); "
            + "choose one of: \(allowed.map(\.rawValue).joined(separator: " "))"
    }
}

/// The settings only some cells read.
public struct CellOptions: Codable, Sendable, Equatable {
    /// Clockwork RNN: the number of modules (periods 1, 2, 4, …).
    public var clockworkModules = 4
    /// Echo state network: the reservoir.
    public var reservoir = ReservoirSettings()
    public init(clockworkModules: Int = 4, reservoir: ReservoirSettings = ReservoirSettings()) {
        self.clockworkModules = clockworkModules; self.reservoir = reservoir
    }
}

/// One direction, one layer of any cell over a padded, time-major batch.
public enum SequenceLayer {
    case rnn(RecurrentLayer<ElmanCell>)
    case lstm(RecurrentLayer<LSTMCell>)
    case peephole(RecurrentLayer<PeepholeLSTMCell>)
    case coupled(RecurrentLayer<CoupledLSTMCell>)
    case gru(RecurrentLayer<GRUCell>)
    case esn(RecurrentLayer<EchoStateCell>)
    case clockwork(RecurrentLayer<ClockworkCell>)

    /// Registers the cell's parameters under `name` (see each cell's init). `orthogonalRecurrent`
    /// applies to the LSTM (the other cells' W_hh are orthogonal already). `layerNorm`: the
    /// loop normalises the cell's two products (RecurrentNorm; the five trained cells only).
    public init(_ kind: CellKind, _ arena: ParameterArena, name: String, input: Int, hidden: Int, reverse: Bool = false,
                orthogonalRecurrent: Bool = false, options: CellOptions = CellOptions(), layerNorm: Bool = false) {
        precondition(!layerNorm || !(kind == .esn || kind == .clockwork), "layer normalisation is for the trained cells, not \(kind.rawValue)")
        func norm(_ G: Int) -> RecurrentNorm? { layerNorm ? RecurrentNorm(arena, name: name, gateWidth: G) : nil }
        switch kind {
        case .rnn:
            let c = ElmanCell(arena, name: name, input: input, hidden: hidden)
            self = .rnn(RecurrentLayer(cell: c, reverse: reverse, norm: norm(c.gateWidth)))
        case .lstm:
            let c = LSTMCell(arena, name: name, input: input, hidden: hidden, orthogonalRecurrent: orthogonalRecurrent)
            self = .lstm(RecurrentLayer(cell: c, reverse: reverse, norm: norm(c.gateWidth)))
        case .peephole:
            let c = PeepholeLSTMCell(arena, name: name, input: input, hidden: hidden)
            self = .peephole(RecurrentLayer(cell: c, reverse: reverse, norm: norm(c.gateWidth)))
        case .coupled:
            let c = CoupledLSTMCell(arena, name: name, input: input, hidden: hidden)
            self = .coupled(RecurrentLayer(cell: c, reverse: reverse, norm: norm(c.gateWidth)))
        case .gru:
            let c = GRUCell(arena, name: name, input: input, hidden: hidden)
            self = .gru(RecurrentLayer(cell: c, reverse: reverse, norm: norm(c.gateWidth)))
        case .esn: self = .esn(RecurrentLayer(cell: EchoStateCell(arena, name: name, input: input, hidden: hidden,
                                                                 settings: options.reservoir), reverse: reverse))
        case .clockwork: self = .clockwork(RecurrentLayer(cell: ClockworkCell(arena, name: name, input: input, hidden: hidden,
                                                                              modules: options.clockworkModules), reverse: reverse))
        }
    }

    public var kind: CellKind {
        switch self {
        case .rnn: return .rnn
        case .lstm: return .lstm
        case .peephole: return .peephole
        case .coupled: return .coupled
        case .gru: return .gru
        case .esn: return .esn
        case .clockwork: return .clockwork
        }
    }

    public var hidden: Int {
        switch self {
        case .rnn(let l): return l.hidden
        case .lstm(let l): return l.hidden
        case .peephole(let l): return l.hidden
        case .coupled(let l): return l.hidden
        case .gru(let l): return l.hidden
        case .esn(let l): return l.hidden
        case .clockwork(let l): return l.hidden
        }
    }

    /// The cell's parameters in registration order (the normalisation's gains last).
    public var parameters: [Param] { cellParameters + normGains }

    var normGains: [Param] {
        let n: RecurrentNorm?
        switch self {
        case .rnn(let l): n = l.norm
        case .lstm(let l): n = l.norm
        case .peephole(let l): n = l.norm
        case .coupled(let l): n = l.norm
        case .gru(let l): n = l.norm
        case .esn(let l): n = l.norm
        case .clockwork(let l): n = l.norm
        }
        return n?.gains ?? []
    }

    var cellParameters: [Param] {
        switch self {
        case .rnn(let l): return [l.cell.W_ih, l.cell.W_hh, l.cell.b]
        case .lstm(let l): return [l.cell.W_ih, l.cell.W_hh, l.cell.b]
        case .peephole(let l): return [l.cell.W_ih, l.cell.W_hh, l.cell.b, l.cell.peephole]
        case .coupled(let l): return [l.cell.W_ih, l.cell.W_hh, l.cell.b]
        case .gru(let l): return [l.cell.W_ih, l.cell.W_hh, l.cell.b_ih, l.cell.b_hh]
        case .esn(let l): return [l.cell.W_ih, l.cell.W_hh, l.cell.b]
        case .clockwork(let l): return [l.cell.W_ih, l.cell.W_hh, l.cell.b]
        }
    }

    /// The cell's own start after `arena.allocate(seed:)` (once, for a new model): the LSTM
    /// family's forget gate, the clockwork mask, the reservoir's spectral radius.
    public func initializeWeights(_ arena: ParameterArena) {
        switch self {
        case .lstm(let l): l.cell.initializeForgetBias(arena)
        case .peephole(let l): l.cell.initializeForgetBias(arena)
        case .coupled(let l): l.cell.initializeForgetBias(arena)
        case .esn(let l): l.cell.scaleToSpectralRadius(arena)
        case .clockwork(let l): l.cell.applyMask(arena)
        case .rnn, .gru: break
        }
    }

    /// See `RecurrentLayer.forward`: initial / final list the state parts ((h, c) or (h)).
    public func forward(_ arena: ParameterArena, x: MatrixRef, lengths: [Int], steps T: Int, initial: [MatrixRef?] = [],
                        outputs: MatrixRef, final: [MatrixRef?], cache: RecurrentCache, firstStep: Int = 0) {
        switch self {
        case .rnn(let l): l.forward(arena, x: x, lengths: lengths, steps: T, initial: initial, outputs: outputs, final: final, cache: cache, firstStep: firstStep)
        case .lstm(let l): l.forward(arena, x: x, lengths: lengths, steps: T, initial: initial, outputs: outputs, final: final, cache: cache, firstStep: firstStep)
        case .peephole(let l): l.forward(arena, x: x, lengths: lengths, steps: T, initial: initial, outputs: outputs, final: final, cache: cache, firstStep: firstStep)
        case .coupled(let l): l.forward(arena, x: x, lengths: lengths, steps: T, initial: initial, outputs: outputs, final: final, cache: cache, firstStep: firstStep)
        case .gru(let l): l.forward(arena, x: x, lengths: lengths, steps: T, initial: initial, outputs: outputs, final: final, cache: cache, firstStep: firstStep)
        case .esn(let l): l.forward(arena, x: x, lengths: lengths, steps: T, initial: initial, outputs: outputs, final: final, cache: cache, firstStep: firstStep)
        case .clockwork(let l): l.forward(arena, x: x, lengths: lengths, steps: T, initial: initial, outputs: outputs, final: final, cache: cache, firstStep: firstStep)
        }
    }

    /// See `RecurrentLayer.backward`.
    public func backward(_ arena: ParameterArena, x: MatrixRef, dOutputs: MatrixRef?, dFinal: [MatrixRef?], dX: MatrixRef?,
                         accumulateDX: Bool, dInitial: [MatrixRef?] = [], cache: RecurrentCache) {
        switch self {
        case .rnn(let l): l.backward(arena, x: x, dOutputs: dOutputs, dFinal: dFinal, dX: dX, accumulateDX: accumulateDX, dInitial: dInitial, cache: cache)
        case .lstm(let l): l.backward(arena, x: x, dOutputs: dOutputs, dFinal: dFinal, dX: dX, accumulateDX: accumulateDX, dInitial: dInitial, cache: cache)
        case .peephole(let l): l.backward(arena, x: x, dOutputs: dOutputs, dFinal: dFinal, dX: dX, accumulateDX: accumulateDX, dInitial: dInitial, cache: cache)
        case .coupled(let l): l.backward(arena, x: x, dOutputs: dOutputs, dFinal: dFinal, dX: dX, accumulateDX: accumulateDX, dInitial: dInitial, cache: cache)
        case .gru(let l): l.backward(arena, x: x, dOutputs: dOutputs, dFinal: dFinal, dX: dX, accumulateDX: accumulateDX, dInitial: dInitial, cache: cache)
        case .esn(let l): l.backward(arena, x: x, dOutputs: dOutputs, dFinal: dFinal, dX: dX, accumulateDX: accumulateDX, dInitial: dInitial, cache: cache)
        case .clockwork(let l): l.backward(arena, x: x, dOutputs: dOutputs, dFinal: dFinal, dX: dX, accumulateDX: accumulateDX, dInitial: dInitial, cache: cache)
        }
    }
}
