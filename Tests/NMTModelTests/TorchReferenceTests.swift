import NMTText
import NMTTrain
import NMTLayers
import NMTModel
import NMTTensor
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// The whole model's forward against an independent PyTorch reference
/// (scripts/reference/model_reference.py: nn.Embedding, packed bidirectional nn.LSTM, nn.GRUCell,
/// nn.Linear in float64 — the `Seq2SeqTorch` module that scripts/bench/torch_reference.py times).
///
/// Model: Seq2SeqTests.tinyConfig(layers: 2, dropout: 0); batch: Seq2SeqTests.padded. Every
/// parameter is overwritten with w(k, i) = Float(1.0·sin(0.37·i + 1.7·k)), k = registration index,
/// i = row-major flat index. Checks the loss sums (swift-nmt's label smoothing ε/(V−1)), and the
/// decoder states, contexts and attention weights at the real (non-padded) target positions.
@Suite struct TorchReferenceTests {
    // python3 scripts/reference/model_reference.py
    static let names = ["source_embedding.weight", "target_embedding.weight", "encoder.l0.fwd.W_ih", "encoder.l0.fwd.W_hh", "encoder.l0.fwd.b", "encoder.l0.bwd.W_ih", "encoder.l0.bwd.W_hh", "encoder.l0.bwd.b", "encoder.l1.fwd.W_ih", "encoder.l1.fwd.W_hh", "encoder.l1.fwd.b", "encoder.l1.bwd.W_ih", "encoder.l1.bwd.W_hh", "encoder.l1.bwd.b", "bridge.weight", "bridge.bias", "decoder.gru.W_ih", "decoder.gru.W_hh", "decoder.gru.b_ih", "decoder.gru.b_hh", "decoder.attn.W_q", "decoder.attn.U_k", "decoder.attn.b", "decoder.attn.v", "decoder.out.weight", "decoder.out.bias", "generator.weight", "generator.bias"]
    static let shapes: [[Int]] = [[9, 4], [8, 4], [12, 4], [12, 3], [12], [12, 4], [12, 3], [12], [12, 6], [12, 3], [12], [12, 6], [12, 3], [12], [4, 6], [4], [12, 10], [12, 4], [12], [12], [3, 4], [3, 6], [3], [3], [5, 10], [5], [8, 5], [8]]
    static let lossSum = 23.3623703366
    static let nllSum = 23.6541582346
    static let tokens = 9
    static let activeRows = [0, 1, 2, 3, 4, 5, 6, 8, 9]
    // decoder states s_t (Ty·B, Hd) at the active rows, row-major
    static let states: [Double] = [0.0817277677, 0.949639189, 0.654081504, 0.702492894, 0.0891570896, 0.943324236, 0.728877341, 0.672722864, 0.0406375751, 0.946430354, 0.709033738, 0.658681443, 0.967290968, 0.775641732, 0.714844369, 0.462876753, 0.636628261, -0.224613332, 0.707897412, 0.707274062, -0.0352350463, 0.574806579, 0.622044533, 0.661737804, 0.481325657, 0.606100266, 0.579137975, 0.473898635, 0.953170588, 0.48312955, 0.701469963, 0.270854009, 0.422790284, 0.965525482, 0.529204811, 0.501032958]
    // contexts c_t (Ty·B, 2H) at the active rows
    static let contexts: [Double] = [0.0207613639, 0.244186564, 0.120965378, -0.185674982, -0.0915798567, 0.0907792098, 0.0321495943, 0.139446119, 0.176327368, -0.204860412, -0.0956461205, 0.0519441073, 0.0296034374, 0.253162147, 0.1011407, -0.172342332, -0.0855097905, 0.0837788635, 0.0221413713, 0.240772968, 0.121910988, -0.187177404, -0.0926910759, 0.0887192322, 0.0319281092, 0.140076399, 0.176096174, -0.204381573, -0.0953218825, 0.0519268678, 0.0281076236, 0.256542915, 0.10055838, -0.17119264, -0.0848496786, 0.0865723096, 0.0214124875, 0.242603095, 0.121403807, -0.186370132, -0.092094516, 0.0898165774, 0.0319254809, 0.248290869, 0.101747309, -0.173987005, -0.086380001, 0.0797885418, 0.0216969217, 0.241899639, 0.121637518, -0.186676603, -0.092338134, 0.0893527904]
    // attention weights (Ty·B, Tx) at the active rows
    static let attention: [Double] = [0.257712478, 0.280655581, 0.217493651, 0.24413829, 0.536526231, 0.463473769, 0, 0, 0.381365002, 0.288643572, 0.329991426, 0, 0.263651553, 0.29315027, 0.203684662, 0.239513516, 0.532037959, 0.467962041, 0, 0, 0.367649582, 0.301655203, 0.330695215, 0, 0.260300379, 0.286611366, 0.211182266, 0.241905988, 0.402269525, 0.270915186, 0.326815289, 0, 0.26101885, 0.289424958, 0.208274213, 0.241281979]

    // tied embeddings through the projection (tie=True, pre_output 5 ≠ emb 4)
    static let tiedNames = ["source_embedding.weight", "target_embedding.weight", "encoder.l0.fwd.W_ih", "encoder.l0.fwd.W_hh", "encoder.l0.fwd.b", "encoder.l0.bwd.W_ih", "encoder.l0.bwd.W_hh", "encoder.l0.bwd.b", "encoder.l1.fwd.W_ih", "encoder.l1.fwd.W_hh", "encoder.l1.fwd.b", "encoder.l1.bwd.W_ih", "encoder.l1.bwd.W_hh", "encoder.l1.bwd.b", "bridge.weight", "bridge.bias", "decoder.gru.W_ih", "decoder.gru.W_hh", "decoder.gru.b_ih", "decoder.gru.b_hh", "decoder.attn.W_q", "decoder.attn.U_k", "decoder.attn.b", "decoder.attn.v", "decoder.out.weight", "decoder.out.bias", "generator_projection.weight", "generator.bias"]
    static let tiedLossSum = 22.6642505573
    static let tiedNllSum = 22.913380707

    /// `output: .tiedProjected`: the target embedding's row 0 (the output layer's <pad> row) is
    /// zeroed, as the reference's loader zeroes it.
    static func referenceModel(output: Seq2SeqTests.Output = .untied) -> Seq2Seq {
        let model = Seq2Seq(Seq2SeqTests.tinyConfig(layers: 2, dropout: 0, output: output), seed: 1)
        let arena = model.arena
        for (k, p) in arena.params.enumerated() {
            for i in 0..<p.count {
                arena.values[p.offset + i] = Float(1.0 * sin(0.37 * Double(i) + 1.7 * Double(k)))
            }
        }
        if output != .untied {
            let table = arena.value(model.targetEmbedding.table)
            table.row(0).update(repeating: 0, count: table.cols)
        }
        return model
    }

    static func relErr(_ a: Double, _ b: Double, floor: Double = 1e-3) -> Double {
        abs(a - b) / max(abs(b), floor)
    }

    @Test func parameterNamesAndShapesMatchTheReference() {
        let model = Self.referenceModel()
        #expect(model.arena.params.map(\.name) == Self.names)
        #expect(model.arena.params.map(\.shape) == Self.shapes)
    }

    @Test func composedForwardMatchesPyTorch() {
        let model = Self.referenceModel()
        let batch = Seq2SeqTests.padded
        let r = model.evaluate(batch)
        #expect(r.tokens == Self.tokens)
        #expect(Self.relErr(r.loss, Self.lossSum) < 1e-5, "loss \(r.loss) vs PyTorch \(Self.lossSum)")
        #expect(Self.relErr(r.nll, Self.nllSum) < 1e-5, "nll \(r.nll) vs PyTorch \(Self.nllSum)")

        // Active rows (t < tgtLen[b]) in time-major order, as the script lists them.
        let B = batch.size, Ty = batch.targetSteps
        let active = (0..<Ty * B).filter { $0 / B < batch.targetLengths[$0 % B] }
        #expect(active == Self.activeRows)
        let d = model.decoder
        func check(_ what: String, _ m: MatrixRef, _ expected: [Double], floor: Double) {
            let cols = m.cols
            #expect(expected.count == active.count * cols, "\(what): \(expected.count) literals for \(active.count)×\(cols)")
            guard expected.count == active.count * cols else { return }
            var worst = 0.0, at = (0, 0)
            for (n, row) in active.enumerated() {
                for c in 0..<cols {
                    let e = Self.relErr(Double(m.row(row)[c]), expected[n * cols + c], floor: floor)
                    if e > worst { worst = e; at = (row, c) }
                }
            }
            #expect(worst < 1e-5, "\(what): worst relative error \(worst) at row \(at.0), column \(at.1)")
        }
        check("decoder states", d.states, Self.states, floor: 1e-2)
        check("contexts", d.contexts, Self.contexts, floor: 1e-2)
        check("attention weights", d.attentionWeights, Self.attention, floor: 1e-2)
    }

    /// Tied embeddings behind the P → E projection: names (registration order) and the loss.
    @Test func tiedProjectedLossMatchesPyTorch() {
        let model = Self.referenceModel(output: .tiedProjected)
        #expect(model.arena.params.map(\.name) == Self.tiedNames)
        let r = model.evaluate(Seq2SeqTests.padded)
        #expect(Self.relErr(r.loss, Self.tiedLossSum) < 1e-5, "loss \(r.loss) vs PyTorch \(Self.tiedLossSum)")
        #expect(Self.relErr(r.nll, Self.tiedNllSum) < 1e-5, "nll \(r.nll) vs PyTorch \(Self.tiedNllSum)")
    }

    /// With TORCH_REFERENCE_EXPORT=<path> set, writes the reference model as safetensors, for checking
    /// scripts/bench/torch_reference.py's --load-safetensors (its `eval` mode must print lossSum):
    ///   python3 scripts/bench/torch_reference.py eval --load-safetensors <path> --src-vocab 9 --tgt-vocab 8 \
    ///     --emb 4 --enc-hidden 3 --enc-layers 2 --dec-hidden 4 --attention 3 --pre-output 5 --dropout 0
    @Test func exportForTorchLoading() {
        guard let path = getenv("TORCH_REFERENCE_EXPORT").map({ String(cString: $0) }) else { return }
        let bytes = Safetensors.encode(Self.referenceModel().arena)
        guard let f = fopen(path, "wb") else { Issue.record("cannot open \(path)"); return }
        #expect(bytes.withUnsafeBytes { fwrite($0.baseAddress, 1, $0.count, f) } == bytes.count)
        fclose(f)
    }
}
