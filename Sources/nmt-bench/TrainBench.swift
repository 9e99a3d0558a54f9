// nmt-bench train: training throughput of the default model at the reference shape, the same
// synthetic setting as scripts/bench/torch_reference.py train (so the two compare like for like):
// batch 64 sentences, source length 14, target 13 words + </s> = 14 positions (896 target tokens
// a step), vocabularies 8000/6000, embeddings 256, BiLSTM 256 per direction, GRU 512,
// attention 512, pre-output 512, dropout 0.3, label smoothing 0.1, Adam 1e-3, clipping at 5.
//
// FLOP per target token (multiply-add = 2), forward, as in the table of scripts/bench/README.md; ×3 for
// forward + backward:  2·P·V + 2·3Hd·(E + C + Hd) + ratio·Σ_layers 2·2·4H·(In + H)
//                      + 2·P·(Hd + C) + ratio·2·A·C + 2·A·Hd,   C = 2H, ratio = Tx / Ty.

import NMTLayers
import NMTModel
import NMTTensor
import NMTText
import NMTTrain
#if canImport(Glibc)
import Glibc
#endif

func peakRSSMegabytes() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return Double(usage.ru_maxrss) / 1024   // Linux: KiB
}

func benchTrain(steps: Int, warmup: Int, threads: Int, layers: Int, layerNorm: Bool) {
    BLASThreads.set(threads)
    let B = 64, Tx = 14, Ty = 14
    let config = Seq2SeqConfig(sourceVocab: 8000, targetVocab: 6000, encoderLayers: layers, layerNorm: layerNorm)
    let model = Seq2Seq(config, seed: 1)
    var rng = RNG(seed: 2)
    func randomIds(_ n: Int, _ v: Int) -> [Int32] { (0..<n).map { _ in Int32(SpecialIds.count + rng.int(below: v - SpecialIds.count)) } }
    var batches: [Seq2SeqBatch] = []
    for _ in 0..<4 {
        let src = randomIds(Tx * B, config.sourceVocab)
        let words = randomIds((Ty - 1) * B, config.targetVocab)        // (Ty−1)·B, time-major
        let tin = [Int32](repeating: SpecialIds.bos, count: B) + words
        let tout = words + [Int32](repeating: SpecialIds.eos, count: B)
        batches.append(Seq2SeqBatch(sourceIds: src, sourceLengths: Array(repeating: Tx, count: B), targetInput: tin,
                                  targetOutput: tout, targetLengths: Array(repeating: Ty, count: B)))
    }
    var adam = Adam(AdamConfig(learningRate: 1e-3))
    var tokens = 0
    var firstLoss = 0.0, lastLoss = 0.0
    func step(_ i: Int) {
        model.arena.zeroGrads()
        let r = model.trainStep(batches[i % batches.count], rng: &rng)
        model.arena.clipGradNorm(5)
        adam.update(model.arena)
        tokens += r.tokens
        lastLoss = r.loss / Double(r.tokens)
        if i == 0 { firstLoss = lastLoss }
    }
    for i in 0..<warmup { step(i) }
    tokens = 0
    var times: [Double] = []
    let t0 = now()
    for i in 0..<steps {
        let s = now()
        step(warmup + i)
        times.append(now() - s)
    }
    let wall = now() - t0
    let E = Double(config.embedding), H = Double(config.encoderHidden), C = 2 * H
    let Hd = Double(config.decoderHidden), A = Double(config.attention), P = Double(config.preOutput)
    let V = Double(config.targetVocab), ratio = Double(Tx) / Double(Ty)
    var enc = 0.0
    for k in 0..<layers { enc += 2 * 2 * 4 * H * ((k == 0 ? E : C) + H) }
    let forward = 2 * P * V + 2 * 3 * Hd * (E + C + Hd) + ratio * enc + 2 * P * (Hd + C) + ratio * 2 * A * C + 2 * A * Hd
    let perToken = 3 * forward
    let tps = Double(tokens) / wall
    times.sort()
    print("""
    {"mode": "train", "toolkit": "swift-nmt", "threads": \(threads), "kernels": "\(Kernels.path.rawValue)", "gemm": "\(Kernels.forcedEngine?.rawValue ?? "auto")", "batch": \(B), "src_len": \(Tx), "tgt_len": \(Ty), \
    "enc_layers": \(layers), "layer_norm": \(layerNorm), "steps": \(steps), "warmup": \(warmup), "target_tokens_per_s": \(fmt(tps, 1)), \
    "ms_per_step": \(fmt(1000 * wall / Double(steps))), "ms_per_step_median": \(fmt(1000 * times[times.count / 2])), \
    "mflop_per_target_token": \(fmt(perToken / 1e6)), "gflop_per_s": \(fmt(tps * perToken / 1e9, 1)), \
    "first_loss": \(fmt(firstLoss, 4)), "last_loss": \(fmt(lastLoss, 4)), "peak_rss_mb": \(fmt(peakRSSMegabytes(), 1)), \
    "workspace_mb": \(fmt(Double(model.workspaceBytes) / 1_048_576, 1))}
    """)
}
