// nmt-bench: layer micro-benchmarks at the training shape (release build: scripts/bench_layers.sh).
//
//   nmt-bench layers [--reps N] [--threads N]
//   nmt-bench train [--steps N] [--warmup N] [--threads N] [--enc-layers N] [--layer-norm]   (TrainBench.swift)
//
// Prints a markdown table: forward ms, forward+backward ms and achieved GFLOP/s per layer, after
// the sgemm ceiling measured in the same run. FLOPs count a multiply-add as 2 and only the
// matrix products (elementwise work is the overhead the GFLOP/s figure exposes). Times are the
// best of N repetitions after two warm-up runs (the least disturbed by other processes on a
// shared 2-core machine; compare rows with the ceiling measured in the same run).

import ArgumentParser
import NMTLayers
import NMTModel
import NMTTensor
import NMTText
#if canImport(Glibc)
import Glibc
#endif

func now() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
}

/// Best wall time in milliseconds of `body` over `reps` runs (after 2 warm-ups).
func timeMs(_ reps: Int, _ body: () -> Void) -> Double {
    body(); body()
    var times = [Double]()
    for _ in 0..<reps {
        let t0 = now()
        body()
        times.append((now() - t0) * 1e3)
    }
    return times.min()!
}

func fill(_ t: Tensor, seed: UInt64, scale: Float = 1) {
    var rng = RNG(seed: seed)
    for i in 0..<t.count { t.ptr[i] = rng.uniform(-scale, scale) }
}

struct Row {
    var name: String
    var fwdMs: Double?
    var fwdBwdMs: Double?
    var fwdFlop: Double      // FLOP of the forward pass
    var fwdBwdFlop: Double   // FLOP of forward + backward
    var formula: String
}

func fmt(_ x: Double?, _ digits: Int = 2) -> String {
    guard let x else { return "—" }
    var s = String(Int((x * pow(10, Double(digits))).rounded()))
    while s.count <= digits { s = "0" + s }
    let i = s.index(s.endIndex, offsetBy: -digits)
    return digits == 0 ? s : s[..<i] + "." + s[i...]
}

func gflops(_ flop: Double, _ ms: Double?) -> String {
    guard let ms, flop > 0 else { return "—" }
    return fmt(flop / (ms * 1e-3) / 1e9, 1)
}

func benchLayers(reps: Int, threads: Int) {
    // Training shape.
    let B = 64, T = 14, E = 256, H = 256, Hd = 512, V = 6000
    let N = T * B
    print("# nmt-bench layers  (batch \(B), length \(T), embedding \(E), encoder \(H)/direction, decoder \(Hd), vocabulary \(V); best of \(reps))\n")

    // sgemm ceiling: (64×1024)·(1024×8000).
    let a = Tensor([64, 1024]), bm = Tensor([1024, 8000]), c = Tensor([64, 8000])
    fill(a, seed: 1); fill(bm, seed: 2)
    let gemmFlop = 2.0 * 64 * 1024 * 8000
    var ceiling: [Int: Double] = [:]
    for th in [1, 2] {
        BLASThreads.set(th)
        ceiling[th] = timeMs(reps) { gemm(a.matrix, bm.matrix, into: c.matrix) }
    }
    print("| sgemm (64×1024)·(1024×8000) | threads | ms | GFLOP/s |")
    print("| --- | ---: | ---: | ---: |")
    for th in [1, 2] { print("| ceiling | \(th) | \(fmt(ceiling[th])) | \(gflops(gemmFlop, ceiling[th])) |") }
    print("")
    BLASThreads.set(threads)

    var rows: [Row] = []

    // Linear 512 → 6000 over all N target positions.
    do {
        let arena = ParameterArena()
        let lin = Linear(arena, name: "out", input: Hd, output: V)
        arena.allocate(seed: 1)
        let x = Tensor([N, Hd]), y = Tensor([N, V]), dX = Tensor([N, Hd])
        fill(x, seed: 3)
        let f = timeMs(reps) { lin.forward(arena, x.matrix, into: y.matrix) }
        let fb = timeMs(reps) {
            lin.forward(arena, x.matrix, into: y.matrix)
            lin.backward(arena, x: x.matrix, dY: y.matrix, dX: dX.matrix)
        }
        let flop = 2.0 * Double(N * Hd * V)
        rows.append(Row(name: "Linear 512→6000 (N = T·B = \(N))", fwdMs: f, fwdBwdMs: fb, fwdFlop: flop, fwdBwdFlop: 3 * flop,
                        formula: "fwd 2·N·In·Out; +bwd dW, dX: ×3"))
    }

    // Embedding lookup (no FLOPs: memory-bound copy / scatter-add).
    do {
        let arena = ParameterArena()
        let emb = Embedding(arena, name: "emb", vocab: V, dim: E, paddingId: SpecialIds.pad)
        arena.allocate(seed: 1)
        var rng = RNG(seed: 4)
        let ids = (0..<N).map { _ in Int32(SpecialIds.count + rng.int(below: V - SpecialIds.count)) }   // ordinary words
        let y = Tensor([N, E])
        let (f, fb) = ids.withUnsafeBufferPointer { idp in
            (timeMs(reps) { emb.forward(arena, ids: idp, into: y.matrix) },
             timeMs(reps) {
                emb.forward(arena, ids: idp, into: y.matrix)
                emb.backward(arena, ids: idp, dY: y.matrix)
             })
        }
        rows.append(Row(name: "Embedding 6000×256 (\(N) ids)", fwdMs: f, fwdBwdMs: fb, fwdFlop: 0, fwdBwdFlop: 0,
                        formula: "no FLOPs (row copies / scatter-add)"))
    }

    // Dropout p = 0.3 on (N, 2H).
    do {
        let d = Dropout(p: 0.3)
        let x = Tensor([N, 2 * H]), mask = Tensor([N * 2 * H])
        fill(x, seed: 5)
        var rng = RNG(seed: 6)
        let f = timeMs(reps) { d.forward(x.matrix, mask: mask, rng: &rng, training: true) }
        let fb = timeMs(reps) {
            d.forward(x.matrix, mask: mask, rng: &rng, training: true)
            d.backward(x.matrix, mask: mask, training: true)
        }
        rows.append(Row(name: "Dropout p=0.3 on (\(N), 512)", fwdMs: f, fwdBwdMs: fb, fwdFlop: 0, fwdBwdFlop: 0,
                        formula: "no FLOPs"))
    }

    let lengths = [Int](repeating: T, count: B)

    // LSTM, one direction, 256 → 256.
    do {
        let arena = ParameterArena()
        let lstm = LSTM(arena, name: "lstm", input: E, hidden: H)
        arena.allocate(seed: 1)
        lstm.initializeForgetBias(arena)
        let x = Tensor([N, E]), out = Tensor([N, H]), dOut = Tensor([N, H]), dX = Tensor([N, E])
        let fh = Tensor([B, H])
        fill(x, seed: 7); fill(dOut, seed: 8, scale: 0.01)
        let cache = LSTMCache()
        let f = timeMs(reps) {
            lstm.forward(arena, x: x.matrix, lengths: lengths, steps: T, outputs: out.matrix, finalH: fh.matrix, cache: cache)
        }
        let fb = timeMs(reps) {
            lstm.forward(arena, x: x.matrix, lengths: lengths, steps: T, outputs: out.matrix, finalH: fh.matrix, cache: cache)
            lstm.backward(arena, x: x.matrix, dOutputs: dOut.matrix, dFinalH: fh.matrix, dX: dX.matrix, cache: cache)
        }
        let flop = 2.0 * Double(N * 4 * H * (E + H))
        rows.append(Row(name: "LSTM 1 direction 256→256", fwdMs: f, fwdBwdMs: fb, fwdFlop: flop, fwdBwdFlop: 3 * flop,
                        formula: "fwd 2·T·B·4H·(In+H); bwd 2× fwd"))

        // The same gemms alone (no cell kernels): what the LSTM would cost if the kernels were free.
        let g = Tensor([N, 4 * H]), sg = Tensor([B, 4 * H]), hs = Tensor([B, H])
        let wih = arena.value(lstm.W_ih), whh = arena.value(lstm.W_hh)
        let gf = timeMs(reps) {
            gemm(x.matrix, wih, transB: true, into: g.matrix)
            for _ in 0..<T { gemm(hs.matrix, whh, transB: true, into: sg.matrix) }
        }
        let gfb = timeMs(reps) {
            gemm(x.matrix, wih, transB: true, into: g.matrix)
            for _ in 0..<T { gemm(hs.matrix, whh, transB: true, into: sg.matrix) }
            for _ in 0..<T { gemm(sg.matrix, whh, into: hs.matrix, beta: 1) }
            gemm(g.matrix, transA: true, x.matrix, into: arena.grad(lstm.W_ih), beta: 1)
            gemm(g.matrix, transA: true, out.matrix, into: arena.grad(lstm.W_hh), beta: 1)
            gemm(g.matrix, wih, into: dX.matrix)
        }
        rows.append(Row(name: "  (its gemms alone)", fwdMs: gf, fwdBwdMs: gfb, fwdFlop: flop, fwdBwdFlop: 3 * flop,
                        formula: "same gemms, no cell kernels"))
    }

    // Stacked BiLSTM encoder, 1 and 2 layers.
    for L in [1, 2] {
        let arena = ParameterArena()
        let enc = StackedEncoder(arena, input: E, hidden: H, layers: L, dropout: 0.3)
        arena.allocate(seed: 1)
        enc.initializeForgetBias(arena)
        let x = Tensor([N, E]), dOut = Tensor([N, 2 * H]), dH = Tensor([B, 2 * H]), dX = Tensor([N, E])
        fill(x, seed: 9); fill(dOut, seed: 10, scale: 0.01); fill(dH, seed: 11, scale: 0.01)
        let cache = StackedEncoderCache()
        var rng = RNG(seed: 12)
        let f = timeMs(reps) { enc.forward(arena, x: x.matrix, lengths: lengths, steps: T, cache: cache, rng: &rng, training: true) }
        let fb = timeMs(reps) {
            enc.forward(arena, x: x.matrix, lengths: lengths, steps: T, cache: cache, rng: &rng, training: true)
            enc.backward(arena, x: x.matrix, dOutputs: dOut.matrix, dFinalH: dH.matrix, dX: dX.matrix, cache: cache)
        }
        var flop = 0.0
        for k in 0..<L { flop += 2 * 2.0 * Double(N * 4 * H * ((k == 0 ? E : 2 * H) + H)) }
        rows.append(Row(name: "BiLSTM encoder, \(L) layer\(L > 1 ? "s" : "")", fwdMs: f, fwdBwdMs: fb, fwdFlop: flop,
                        fwdBwdFlop: 3 * flop, formula: "Σ_layers 2 dirs · 2·T·B·4H·(In+H); bwd 2× fwd"))
    }

    rows += decoderSideRows(reps: reps)

    print("| layer (\(threads) BLAS thread\(threads > 1 ? "s" : "")) | fwd ms | fwd+bwd ms | fwd GFLOP/s | fwd+bwd GFLOP/s | % of ceiling (fwd+bwd) | FLOP formula |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | --- |")
    let ceil = gemmFlop / (ceiling[threads] ?? ceiling[2]!) / 1e6
    for r in rows {
        var pct = "—"
        if let fb = r.fwdBwdMs, r.fwdBwdFlop > 0 { pct = fmt(100 * (r.fwdBwdFlop / (fb * 1e-3) / 1e9) / ceil, 0) + " %" }
        print("| \(r.name) | \(fmt(r.fwdMs)) | \(fmt(r.fwdBwdMs)) | \(gflops(r.fwdFlop, r.fwdMs)) | \(gflops(r.fwdBwdFlop, r.fwdBwdMs)) | \(pct) | \(r.formula) |")
    }
}

struct NMTBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "nmt-bench",
        abstract: "Layer micro-benchmarks and training throughput at the training shape (release build).",
        subcommands: [Layers.self, Train.self])

    struct Layers: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "The sgemm ceiling, then forward and forward+backward times per layer (markdown table).")
        @Option(help: "Timed repetitions per layer (the best counts).") var reps = 20
        @Option(help: "BLAS threads.") var threads = 2
        func validate() throws {
            guard reps >= 1, threads >= 1 else { throw ValidationError("--reps and --threads must be at least 1") }
        }
        func run() { benchLayers(reps: reps, threads: threads) }
    }

    struct Train: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Training steps of the default model at the reference shape: tokens/s and GFLOP/s (JSON).",
            usage: "nmt-bench train [--steps <n>] [--warmup <n>] [<options>]")
        @Option(help: "Timed steps.") var steps = 20
        @Option(help: "Untimed steps first.") var warmup = 3
        @Option(help: "BLAS threads.") var threads = 2
        @Option(help: "Encoder layers.") var encLayers = 1
        @Flag(help: "Layer normalisation in every recurrent cell (nmt-train --layer-norm).") var layerNorm = false
        func validate() throws {
            guard steps >= 1, warmup >= 0, threads >= 1, encLayers >= 1 else {
                throw ValidationError("--steps, --threads and --enc-layers must be at least 1, --warmup at least 0")
            }
        }
        func run() { benchTrain(steps: steps, warmup: warmup, threads: threads, layers: encLayers, layerNorm: layerNorm) }
    }
}

NMTBench.main()
