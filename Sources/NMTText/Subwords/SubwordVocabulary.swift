// A vocabulary of subword pieces: how words become ids with no <unk>, and where the BPE model
// file lives.
//
// Encoding a word: its BPE pieces (BPEModel.apply, joiner marks on every piece but a word's
// first); a piece missing from the vocabulary falls back to its characters, and a character
// missing from it to its UTF-8 bytes, written `<0xE2>` (SentencePiece's spelling), with the
// same joiner rule, so every valid UTF-8 word maps to ids. The vocabulary builder always adds
// the 256 byte tokens in both forms (`<0x41>` and `￭<0x41>`). Decoding needs nothing new: the
// detokenizer writes a byte token as that byte (Detokenizer.byteValue), so a run of byte tokens
// becomes the character again.

import Foundation

extension Vocabulary {
    /// The spelling of the byte token for `b`: "<0xE2>".
    public static func byteToken(_ b: UInt8) -> String {
        let hex = Array("0123456789ABCDEF".utf8)
        return String(decoding: [0x3C, 0x30, 0x78, hex[Int(b >> 4)], hex[Int(b & 15)], 0x3E], as: UTF8.self)
    }

    /// The 512 byte tokens a subword vocabulary holds: each byte alone and with a joiner mark.
    public static func byteTokens(joiner: String) -> [String] {
        (0...255).map { byteToken(UInt8($0)) } + (0...255).map { joiner + byteToken(UInt8($0)) }
    }

    /// The file of the subword model that belongs to the vocabulary at `path`: `x.vocab` → `x.bpe`.
    public static func subwordsPath(for path: String) -> String {
        (path.hasSuffix(".vocab") ? String(path.dropLast(".vocab".count)) : path) + ".bpe"
    }

    static func loadSubwords(for path: String, expectedHash: String) throws -> BPEModel {
        let file = subwordsPath(for: path)
        guard FileManager.default.fileExists(atPath: file) else {
            throw TextError.subwordMismatch(path: file, reason: "missing: the subword vocabulary \(path) needs its BPE model here")
        }
        let model = try BPEModel.load(path: file)
        guard model.contentHash == expectedHash else {
            throw TextError.subwordMismatch(path: file, reason: "not the BPE model of \(path) (hash \(model.contentHash), the vocabulary expects \(expectedHash))")
        }
        return model
    }

    /// The pieces `encode` maps `token` to (as strings): BPE pieces, or characters, or bytes.
    public func pieces(of token: String) -> [String] {
        guard let subwords else { return [token] }
        var out: [String] = []
        let joiner = settings.joiner
        for piece in subwords.apply(token: token, joiner: joiner) {
            if contains(piece) { out.append(piece); continue }
            let (marked, body) = BPEModel.splitJoiner(piece, joiner)
            for (i, scalar) in body.unicodeScalars.enumerated() {
                let glued = marked || i > 0
                let char = (glued ? joiner : "") + String(scalar)
                if contains(char) { out.append(char); continue }
                for (k, b) in String(scalar).utf8.enumerated() {
                    out.append((glued || k > 0 ? joiner : "") + Vocabulary.byteToken(b))
                }
            }
        }
        return out
    }

    /// Ids of pieces `pieces(of:)` produced (each is in the vocabulary).
    public func ids(ofPieces pieces: [String]) -> [TokenID] { pieces.map { id(for: $0) } }

    func appendSubwordIds(of token: String, to out: inout [TokenID]) {
        for p in pieces(of: token) { out.append(lookup(p) ?? SpecialIds.unk) }
    }
}

extension VocabularyBuilder {
    /// A subword vocabulary from the words counted so far: the BPE pieces of every word (each
    /// counted as often as its word) that occur at least `minCount` times, then the 512 byte
    /// tokens (count 0) that make <unk> unreachable.
    public func buildSubwords(model: BPEModel, minCount: Int = 1) throws -> Vocabulary {
        var pieces = VocabularyBuilder(settings: settings)
        for (word, count) in counts {
            for p in model.apply(token: word, joiner: settings.joiner) { pieces.add(p, count: count) }
        }
        let built = try pieces.build(minCount: minCount)
        var entries = zip(built.tokens, built.counts).dropFirst(SpecialIds.count).map { (token: $0.0, count: $0.1) }
        for t in Vocabulary.byteTokens(joiner: settings.joiner) where !built.contains(t) { entries.append((t, 0)) }
        return try Vocabulary(settings: settings, entries: entries, subwords: model)
    }
}
