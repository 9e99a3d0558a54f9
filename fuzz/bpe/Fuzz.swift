// The BPE merges file parser on any bytes: an error or a model that serializes to a file that
// loads as the same merges, and segments words into pieces that concatenate to the word.

import FuzzSupport
import NMTText

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let path = Fuzz.file("fuzzed.bpe", Fuzz.bytes(data, size))
    guard let model = try? BPEModel.load(path: path) else { return 0 }
    let again = Fuzz.file("again.bpe", model.serialized())
    guard let m2 = try? BPEModel.load(path: again), m2.serialized() == model.serialized() else {
        Fuzz.fail("a loaded merges file does not round-trip")
    }
    for word in ["hund", "läuft", "überwiese", "ab", "x"] + model.merges.prefix(5).map({ $0.left + $0.right }) {
        let pieces = model.segment(word)
        if pieces.joined() != word { Fuzz.fail("\(word) segments into \(pieces)") }
    }
    return 0
}
