// The library example of docs/translate.md: everything from the import on stands in the doc's
// first ```swift block as it is, and DocExampleTests checks both that the two are equal and
// that the example runs. It imports NMTInference alone, as a user of the library would.

import NMTInference

func translateExample(modelDirectory: String, sources: [String], references: [String]) throws -> [Translation] {
    // A model directory, or a training directory (its best/, else its last/).
    let loaded = try ModelDirectory.load(modelDirectory, as: Seq2Seq.self)
    let translator = try Translator(loaded, options: TranslateOptions(beamSize: 5, nBest: 2, alignments: true))
    let out: [Translation] = translator.translate(sources)   // in input order; "" → ""
    for t in out {
        print(t.text, t.score, t.logProb, t.sourceTokens, t.warnings)   // the best hypothesis
        for h in t.nBest { print("  ", h.text, h.score, h.alignment ?? []) }   // best first
    }
    // Forced decoding of sentence pairs: log-probability, tokens (with </s>) and perplexity.
    let scores: [PairScore] = try translator.score(sources: sources, targets: references)
    print(scores.map(\.perplexity))
    return out
}
