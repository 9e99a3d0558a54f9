// The model loader on any config.json beside valid weights: an error or a model that translates.

import FuzzSupport
import NMTInference

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let dir = Fuzz.translationModel(replacing: "config.json", with: Fuzz.bytes(data, size))
    guard let loaded = try? ModelDirectory.load(dir, as: Seq2Seq.self) else { return 0 }
    var options = TranslateOptions(beamSize: 2, greedy: false)
    options.maxLenRatio = 2
    if let t = try? Translator(model: loaded.model, sourceVocab: loaded.sourceVocab, targetVocab: loaded.targetVocab,
                               options: options) {
        _ = t.translate(["ein hund läuft"])
    }
    return 0
}
