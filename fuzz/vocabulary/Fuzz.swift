// The vocabulary file parser on any bytes: an error or a vocabulary that writes back to a file
// which loads as the same vocabulary.

import FuzzSupport
import NMTText

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let path = Fuzz.file("fuzzed.vocab", Fuzz.bytes(data, size))
    guard let v = try? Vocabulary.load(path: path) else { return 0 }
    let again = Fuzz.file("again.vocab", v.serialized())
    guard let w = try? Vocabulary.load(path: again), w == v else { Fuzz.fail("a loaded vocabulary does not round-trip") }
    for id in 0..<min(v.count, 50) { _ = v.id(for: v.token(for: Int32(id))) }
    return 0
}
