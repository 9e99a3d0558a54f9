// sacreBLEU's 13a tokenizer, BLEU and chrF on any line: a hypothesis equal to its reference
// scores 100 whenever it has a token; scores stay within 0…100 (up to rounding: sacreBLEU's own
// exp(Σ log p / 4) gives 100.00000000000004 for a perfect match, and so do we).

import FuzzSupport
import NMTMetrics

let tokenizer = Tokenizer13a()

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard let text = Fuzz.text(data, size) else { return 0 }
    let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    for line in lines {
        let tokens = tokenizer.tokenize(line)
        let same = sentenceBLEU(hypothesis: line, references: [line]).score
        if !tokens.split(separator: " ").isEmpty && abs(same - 100) > 1e-9 { Fuzz.fail("BLEU(x, x) = \(same) for \(line.debugDescription)") }
    }
    let half = lines.count / 2
    let score = corpusBLEU(hypotheses: Array(lines.prefix(half)), references: [Array(lines.dropFirst(half).prefix(half))]).score
    if !(score >= 0 && score <= 100 + 1e-9) { Fuzz.fail("corpus BLEU \(score)") }
    return 0
}
