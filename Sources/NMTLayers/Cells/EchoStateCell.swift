// The echo state network's reservoir (Jaeger 2001) as a cell, forward and backward.
//
//   u  = tanh(W_ih·x + W_hh·h + b)          W_hh: a fixed, sparse random reservoir
//   h' = (1 − a)·h + a·u                     a: the leak rate (1 = no leak)
//
// Nothing here is trained: the language model never back-propagates into an echo-state layer
// (only its readout, a softmax layer, learns), so these weights keep their initial values. The
// backward kernel is still exact (a gradient check holds it), so the reservoir could be tuned.
//
// Initialisation (`ReservoirSettings`): W_hh has each entry nonzero with probability
// 1 − sparsity, uniform in ±1, then `scaleToSpectralRadius` rescales it to the wanted spectral
// radius ρ < 1 (found by power iteration), the usual sufficient condition in practice for the
// echo state property (the state forgets its start); W_ih uniform in ±inputScaling; b uniform in
// ±inputScaling/10.
//
// RecurrentCell: gate width H, state (h), per-row cache u (H), one gradient buffer (shared).

import NMTTensor
#if canImport(Glibc)
import Glibc
#endif

public struct ReservoirSettings: Codable, Sendable, Equatable {
    public var sparsity: Float = 0.9
    public var spectralRadius: Float = 0.9
    public var inputScaling: Float = 0.5
    public var leak: Float = 0.5
    public init(sparsity: Float = 0.9, spectralRadius: Float = 0.9, inputScaling: Float = 0.5, leak: Float = 0.5) {
        self.sparsity = sparsity; self.spectralRadius = spectralRadius; self.inputScaling = inputScaling; self.leak = leak
    }

    /// The settings' own error, or nil when they are valid.
    public var problem: String? {
        if !(sparsity >= 0 && sparsity < 1) { return "reservoir sparsity must be in [0, 1)" }
        if !(spectralRadius > 0 && spectralRadius < 1) { return "spectral radius must be in (0, 1)" }
        if !(inputScaling > 0) { return "input scaling must be positive" }
        if !(leak > 0 && leak <= 1) { return "leak rate must be in (0, 1]" }
        return nil
    }
}

public struct EchoStateCell: SingleBiasCell {
    public let W_ih: Param   // (H, In)
    public let W_hh: Param   // (H, H) the reservoir
    public let b: Param      // (H)
    public let input: Int
    public let hidden: Int
    public let settings: ReservoirSettings

    /// Registers "\(name).W_ih", "\(name).W_hh", "\(name).b". Call `scaleToSpectralRadius` once
    /// after `arena.allocate`.
    public init(_ arena: ParameterArena, name: String, input: Int, hidden: Int, settings: ReservoirSettings) {
        precondition(input > 0 && hidden > 0, "echo state \(name): sizes must be positive")
        precondition(settings.problem == nil, "echo state \(name): \(settings.problem ?? "")")
        self.input = input
        self.hidden = hidden
        self.settings = settings
        W_ih = arena.register("\(name).W_ih", shape: [hidden, input], initializer: .uniform(settings.inputScaling))
        W_hh = arena.register("\(name).W_hh", shape: [hidden, hidden],
                              initializer: .sparseUniform(1, density: 1 - settings.sparsity))
        b = arena.register("\(name).b", shape: [hidden], initializer: .uniform(settings.inputScaling / 10))
    }

    /// The spectral radius of a square matrix: the growth rate (‖Wᵏv‖/‖v‖)^(1/k) of power
    /// iteration from a fixed start, in Double (Gelfand's formula; complex dominant pairs too).
    public static func spectralRadius(_ w: MatrixRef, iterations: Int = 300) -> Double {
        let n = w.rows
        precondition(w.cols == n)
        var v = (0..<n).map { 1 + 0.1 * sin(Double($0)) }
        var norm = (v.reduce(0) { $0 + $1 * $1 }).squareRoot()
        v = v.map { $0 / norm }
        var logGrowth = 0.0, counted = 0
        let burnIn = iterations / 3
        for k in 0..<iterations {
            var u = [Double](repeating: 0, count: n)
            for r in 0..<n {
                let row = w.row(r)
                var s = 0.0
                for c in 0..<n where row[c] != 0 { s += Double(row[c]) * v[c] }
                u[r] = s
            }
            norm = (u.reduce(0) { $0 + $1 * $1 }).squareRoot()
            if norm == 0 { return 0 }
            if k >= burnIn { logGrowth += log(norm); counted += 1 }
            v = u.map { $0 / norm }
        }
        return exp(logGrowth / Double(counted))
    }

    /// Rescales the reservoir to `settings.spectralRadius`. Once, after `arena.allocate(seed:)`.
    public func scaleToSpectralRadius(_ arena: ParameterArena) {
        let w = arena.value(W_hh)
        let rho = EchoStateCell.spectralRadius(w)
        guard rho > 0 else { return }
        let f = Float(Double(settings.spectralRadius) / rho)
        for r in 0..<hidden { let row = w.row(r); for c in 0..<hidden { row[c] *= f } }
    }

    @inlinable public var gateWidth: Int { hidden }
    @inlinable public var cacheWidth: Int { hidden }
    @inlinable public static var stateParts: Int { 1 }
    @inlinable public static var sharedGateGradient: Bool { true }

    @inlinable @inline(__always)
    public func forwardRow(_ bias: UnsafePointer<Float>, step: Int, proj: UnsafeMutablePointer<Float>, rec: UnsafePointer<Float>,
                           prev: StateRow, next: StateRow, saved: StateRow, cache: UnsafeMutablePointer<Float>,
                           out: UnsafeMutablePointer<Float>) {
        let H = hidden, a = Float8(repeating: settings.leak)
        let h = next.part(0), hs = saved.part(0), hp = UnsafePointer(prev.part(0))
        var j = 0
        while j < H {
            let n = min(8, H - j)
            let u = simdTanh(load8(proj + j, n) + load8(rec + j, n) + load8(bias + j, n))
            let v = load8(hp + j, n) + a * (u - load8(hp + j, n))
            store8(u, cache + j, n)
            store8(v, h + j, n); store8(v, hs + j, n); store8(v, out + j, n)
            j += 8
        }
    }

    /// d = dh + dOut; dProj = d·a·(1 − u²); dh = d·(1 − a) (the caller adds dProj·W_hh).
    @inlinable @inline(__always)
    public func backwardRow(_ bias: UnsafePointer<Float>, step: Int, proj: UnsafePointer<Float>, cache: UnsafePointer<Float>,
                            prev: StateRow, dOut: UnsafePointer<Float>?, dState: StateRow,
                            dProj: UnsafeMutablePointer<Float>, dRec: UnsafeMutablePointer<Float>) {
        let H = hidden, a = Float8(repeating: settings.leak)
        let dh = dState.part(0)
        var j = 0
        while j < H {
            let n = min(8, H - j)
            var d = load8(dh + j, n)
            if let dOut { d += load8(dOut + j, n) }
            let u = load8(cache + j, n)
            store8(d * a * (1 - u * u), dProj + j, n)
            store8(d * (1 - a), dh + j, n)
            j += 8
        }
    }
}
