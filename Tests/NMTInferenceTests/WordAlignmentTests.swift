import Foundation
@testable import NMTInference
import NMTText
import Testing

/// Subword translations are reported per word: pieces grouped into the tokenizer's words,
/// alignment links and attention merged.
@Suite struct WordAlignmentTests {
    @Test func targetPiecesGroupIntoWords() throws {
        let tok = try Tokenizer(settings: TokenizerSettings(lang: "de"))
        let pieces = ["Ein", "Fahr", "￭rad", "￭.", "<0xF0>", "￭<0x9F>", "￭<0x98>", "￭<0x80>"]
        let g = try #require(WordGrouping.target(pieces: pieces, detokenizer: Detokenizer(), tokenizer: tok, joiner: "￭"))
        #expect(g.words == ["Ein", "Fahrrad", "￭.", "😀"])
        #expect(g.pieceWord == [0, 1, 1, 2, 3, 3, 3, 3])
    }

    @Test func linksAndAttentionMergePerWord() throws {
        let tok = try Tokenizer(settings: TokenizerSettings(lang: "en"))
        // Source words "Ein Fahrrad" as pieces Ein | Fahr ￭rad; target "a bicycle" as a | bi ￭cycle.
        let source = PreparedSource(tokens: ["Ein", "Fahr", "￭rad"], ids: [5, 6, 7], warning: nil,
                                    words: ["Ein", "Fahrrad"], pieceWord: [0, 1, 1])
        let h = TranslationHypothesis(text: "a bicycle", tokens: ["a", "bi", "￭cycle"], ids: [5, 6, 7], score: 0, logProb: 0,
                                      alignment: [AlignmentLink(source: 0, target: 0), AlignmentLink(source: 1, target: 1),
                                                  AlignmentLink(source: 2, target: 2)])
        let attention: [[Float]] = [[0.8, 0.1, 0.1], [0.1, 0.6, 0.3], [0.2, 0.2, 0.6]]
        let t = Translation(sourceTokens: source.tokens, nBest: [h], attention: attention, warnings: [])
            .perWord(source: source, detokenizer: Detokenizer(), targetTokenizer: tok, joiner: "￭")
        #expect(t.sourceTokens == ["Ein", "Fahrrad"] && t.tokens == ["a", "bicycle"])
        #expect(t.alignment == [AlignmentLink(source: 0, target: 0), AlignmentLink(source: 1, target: 1)])
        let a = try #require(t.attention)
        #expect(a.count == 2 && a[0].count == 2)
        #expect(abs(a[0][0] - 0.8) < 1e-6 && abs(a[0][1] - 0.2) < 1e-6)
        // "bicycle": the mean of its pieces' rows, the source pieces of "Fahrrad" summed.
        #expect(abs(a[1][0] - 0.15) < 1e-6 && abs(a[1][1] - 0.85) < 1e-6)
    }
}
