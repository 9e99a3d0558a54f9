// The tokenizer's promise on any text: detokenize(tokenize(s)) == normalize(s), in German
// (with lowercasing too) and Japanese (dictionary-based word breaks).

import FuzzSupport
import NMTText

let tokenizers = [try! Tokenizer(lang: "de"), try! Tokenizer(lang: "de", lowercase: true), try! Tokenizer(lang: "ja")]

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard let text = Fuzz.text(data, size) else { return 0 }
    for line in text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) {
        for t in tokenizers {
            let tokens = t.tokenize(line)
            if tokens.contains(where: \.isEmpty) { Fuzz.fail("an empty token from \(line.unicodeScalars.map { $0.value })") }
            let back = t.detokenize(tokens)
            if back != t.normalize(line) { Fuzz.fail("round trip of \(line.unicodeScalars.map { $0.value }) gave \(back)") }
        }
    }
    return 0
}
