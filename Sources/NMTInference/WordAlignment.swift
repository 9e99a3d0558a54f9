// With subword vocabularies the model reads and writes pieces, but a user reads words:
// alignments and attention pictures are reported per word of the tokenizer (its tokens, joiner
// marks included), the pieces of a word merged.
//
// Source words are known when the line is prepared (each word's pieces). Target words are the
// target tokenizer's tokens of the detokenized output; each piece belongs to the word its
// first byte falls in (pieces spell their words exactly, byte tokens one byte each). Should the
// bytes not line up (an output the tokenizer would normalise differently), the translation
// stays per piece.

import NMTText

/// A line's source as the model reads it, and the word each piece comes from.
struct PreparedSource {
    var tokens: [String]          // what the model reads (pieces, or words for a word vocabulary)
    var ids: [Int32]
    var warning: String?
    var words: [String]           // the tokenizer's words
    var pieceWord: [Int]          // word index of each token
}

/// Pieces → words of one side.
struct WordGrouping {
    var words: [String]
    var pieceWord: [Int]

    /// The target words of `pieces` (nil when the bytes do not line up).
    static func target(pieces: [String], detokenizer: Detokenizer, tokenizer: Tokenizer, joiner: String) -> WordGrouping? {
        let words = tokenizer.tokenize(detokenizer.detokenize(pieces))
        var ends: [Int] = []
        var total = 0
        for w in words { total += BPEModel.splitJoiner(w, joiner).word.utf8.count; ends.append(total) }
        var pieceWord: [Int] = []
        var offset = 0, w = 0
        for p in pieces {
            let body = BPEModel.splitJoiner(p, joiner).word
            let n = Detokenizer.byteValue(body.utf8) != nil ? 1 : body.utf8.count
            while w < ends.count && offset >= ends[w] { w += 1 }
            guard w < words.count || n == 0 else { return nil }
            pieceWord.append(min(w, max(words.count - 1, 0)))
            offset += n
        }
        guard offset == total else { return nil }
        return WordGrouping(words: words, pieceWord: pieceWord)
    }
}

extension Translation {
    /// This translation with source tokens, target tokens, alignment links and attention per word.
    func perWord(source: PreparedSource, detokenizer: Detokenizer, targetTokenizer: Tokenizer, joiner: String) -> Translation {
        var out = self
        out.sourceTokens = source.words
        out.nBest = nBest.map { h in
            guard let g = WordGrouping.target(pieces: h.tokens, detokenizer: detokenizer, tokenizer: targetTokenizer, joiner: joiner)
            else { return h }
            var m = h
            m.tokens = g.words
            if let links = h.alignment {
                var seen = Set<AlignmentLink>()
                m.alignment = links.compactMap { l in
                    guard l.target < g.pieceWord.count, l.source >= 0, l.source < source.pieceWord.count else { return nil }
                    let w = AlignmentLink(source: source.pieceWord[l.source], target: g.pieceWord[l.target])
                    return seen.insert(w).inserted ? w : nil
                }
            }
            return m
        }
        if let a = attention, let g = WordGrouping.target(pieces: nBest[0].tokens, detokenizer: detokenizer,
                                                           tokenizer: targetTokenizer, joiner: joiner) {
            // A target word's row: the mean of its pieces' rows; a source word's column: the sum of its pieces'.
            var rows = [[Float]](repeating: [Float](repeating: 0, count: source.words.count), count: g.words.count)
            var pieces = [Int](repeating: 0, count: g.words.count)
            for (t, row) in a.enumerated() where t < g.pieceWord.count {
                let tw = g.pieceWord[t]
                pieces[tw] += 1
                for (s, v) in row.enumerated() where s < source.pieceWord.count { rows[tw][source.pieceWord[s]] += v }
            }
            for i in rows.indices where pieces[i] > 1 { rows[i] = rows[i].map { $0 / Float(pieces[i]) } }
            out.attention = rows
        }
        return out
    }
}
