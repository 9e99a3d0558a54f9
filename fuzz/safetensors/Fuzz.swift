// The safetensors reader and the model loader on any weights file: an error (one that names the
// file) or a model whose every weight is finite.

import FuzzSupport
import NMTInference
import NMTLayers

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Fuzz.bytes(data, size)
    _ = try? Safetensors.decode(bytes)
    let dir = Fuzz.translationModel(replacing: "model.safetensors", with: bytes)
    if let loaded = try? ModelDirectory.load(dir, as: Seq2Seq.self) {
        let arena = loaded.model.arena
        for i in 0..<arena.count where !arena.values[i].isFinite { Fuzz.fail("a non-finite weight was loaded") }
    }
    return 0
}
