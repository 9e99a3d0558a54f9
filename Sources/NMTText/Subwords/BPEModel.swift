// Byte-pair encoding (Sennrich, Haddow & Birch 2016) applied to the tokenizer's words.
//
// A word is split into its Unicode scalars, the last one marked as word-final ("e</w>"), and
// the learned merges are applied by rank: repeatedly the adjacent pair with the lowest rank is
// merged everywhere in the word (left to right, non-overlapping), until no pair is a merge.
// The final "</w>" is then dropped. This is subword-nmt's `apply-bpe` (merges file version
// 0.2), so the two segment every word alike (scripts/reference/ checks it).
//
// Joiner convention (the tokenizer's): a token that glues to the previous one starts with ￭.
// BPE works on the word without that mark; the first piece keeps the word's own mark, every
// later piece gets one, so the detokenizer glues the pieces back: "Fahrrad" → "Fahr ￭rad",
// "￭Fahrrad" → "￭Fahr ￭rad".
//
// Merges file (docs/tokenizer.md, "Subwords"): the line "#version: 0.2", then one merge per
// line, "left right", in learning order (rank 0 first); symbols are the pieces' text with
// "</w>" marking a word-final symbol. subword-nmt reads it as is (`apply-bpe -c FILE`).

import Foundation

public final class BPEModel: @unchecked Sendable {
    public static let endOfWord = "</w>"
    public static let header = "#version: 0.2"

    /// The merges in rank order.
    public let merges: [(left: String, right: String)]
    /// "fnv1a64:" hash of the file bytes `serialized()` writes (vocabularies record it).
    public let contentHash: String

    // Symbols as dense ids: a pair of ids → (rank, id of the merged symbol).
    private var symbolIds: [String: Int32] = [:]
    private var symbols: [String] = []
    private var mergeTable: [UInt64: (rank: Int32, merged: Int32)] = [:]
    // Segmentations already computed (words repeat: a corpus has far fewer types than tokens).
    private var cache: [String: [String]] = [:]
    private let lock = NSLock()

    public init(merges: [(left: String, right: String)]) {
        self.merges = merges
        contentHash = Vocabulary.fnv1a64Hex(BPEModel.serialize(merges))
        for (rank, m) in merges.enumerated() {
            let l = symbolId(m.left), r = symbolId(m.right), merged = symbolId(m.left + m.right)
            let key = BPEModel.key(l, r)
            if mergeTable[key] == nil { mergeTable[key] = (Int32(rank), merged) }
        }
    }

    @inline(__always) static func key(_ a: Int32, _ b: Int32) -> UInt64 { UInt64(UInt32(bitPattern: a)) << 32 | UInt64(UInt32(bitPattern: b)) }

    private func symbolId(_ s: String) -> Int32 {
        if let id = symbolIds[s] { return id }
        let id = Int32(symbols.count)
        symbols.append(s)
        symbolIds[s] = id
        return id
    }

    /// The pieces of one word (no joiner mark), "</w>" removed.
    public func segment(_ word: String) -> [String] {
        if word.isEmpty { return [] }
        lock.lock()
        defer { lock.unlock() }
        if let hit = cache[word] { return hit }
        var syms: [Int32] = []
        let scalars = Array(word.unicodeScalars)
        for (i, s) in scalars.enumerated() {
            let text = i == scalars.count - 1 ? String(s) + BPEModel.endOfWord : String(s)
            syms.append(symbolId(text))
        }
        while syms.count > 1 {
            var best: (rank: Int32, merged: Int32)? = nil
            var bestKey: UInt64 = 0
            for i in 0..<(syms.count - 1) {
                let k = BPEModel.key(syms[i], syms[i + 1])
                if let m = mergeTable[k], best == nil || m.rank < best!.rank { best = m; bestKey = k }
            }
            guard let b = best else { break }
            let first = Int32(truncatingIfNeeded: bestKey >> 32), second = Int32(truncatingIfNeeded: bestKey & 0xFFFF_FFFF)
            var out: [Int32] = []
            out.reserveCapacity(syms.count)
            var i = 0
            while i < syms.count {
                if i < syms.count - 1 && syms[i] == first && syms[i + 1] == second {
                    out.append(b.merged)
                    i += 2
                } else {
                    out.append(syms[i])
                    i += 1
                }
            }
            syms = out
        }
        var pieces = syms.map { symbols[Int($0)] }
        // "</w>" off the last piece, as bytes: as Characters, a mark such as U+0602 (Prepend)
        // would join the "<" and hide the suffix.
        let last = pieces.count - 1, eow = BPEModel.endOfWord.utf8
        let bytes = Array(pieces[last].utf8)
        if bytes.count >= eow.count && bytes.suffix(eow.count).elementsEqual(eow) {
            if bytes.count == eow.count { pieces.removeLast() } else { pieces[last] = String(decoding: bytes.dropLast(eow.count), as: UTF8.self) }
        }
        if cache.count < 1_000_000 { cache[word] = pieces }
        return pieces
    }

    /// The pieces of one token, with joiner marks: the first keeps the token's own mark, later
    /// pieces get one.
    public func apply(token: String, joiner: String) -> [String] {
        let (marked, word) = BPEModel.splitJoiner(token, joiner)
        let pieces = segment(word)
        if pieces.count <= 1 { return [token] }
        var out: [String] = []
        out.reserveCapacity(pieces.count)
        for (i, p) in pieces.enumerated() { out.append(i == 0 ? (marked ? joiner + p : p) : joiner + p) }
        return out
    }

    /// Whether `token` starts with the joiner mark, and the word after it. Compared as UTF-8
    /// bytes, as the detokenizer does: as Characters, "￭" and a combining mark after it form one
    /// grapheme, and the mark would go unseen.
    public static func splitJoiner(_ token: String, _ joiner: String) -> (marked: Bool, word: String) {
        let t = token.utf8, j = joiner.utf8
        guard t.count > j.count, t.starts(with: j) else { return (false, token) }
        return (true, String(decoding: t.dropFirst(j.count), as: UTF8.self))
    }

    // MARK: - Files

    static func serialize(_ merges: [(left: String, right: String)]) -> [UInt8] {
        var out = Array((header + "\n").utf8)
        for m in merges {
            out.append(contentsOf: m.left.utf8)
            out.append(0x20)
            out.append(contentsOf: m.right.utf8)
            out.append(0x0A)
        }
        return out
    }

    public func serialized() -> [UInt8] { BPEModel.serialize(merges) }

    public func write(to path: String, force: Bool = false) throws {
        try AtomicFile.write(serialized(), to: path, force: force)
    }

    /// Reads a merges file. A missing header, a line that is not two symbols, or a last line
    /// without its line end (a truncated file) throws an error naming the file and line.
    public static func load(path: String) throws -> BPEModel {
        guard let data = FileManager.default.contents(atPath: path) else {
            if !FileManager.default.fileExists(atPath: path) { throw TextError.fileNotFound(path: path) }
            throw TextError.cannotRead(path: path, reason: "unreadable")
        }
        guard let text = String(validatingUTF8Bytes: Array(data)) else {
            throw TextError.malformedSubwords(path: path, line: 1, reason: "not valid UTF-8")
        }
        guard text.hasSuffix("\n") else {
            let lines = text.split(separator: "\n", omittingEmptySubsequences: false).count
            throw TextError.malformedSubwords(path: path, line: lines, reason: "the last line has no line end (a truncated file?)")
        }
        let lines = text.dropLast().split(separator: "\n", omittingEmptySubsequences: false)
        guard lines.first.map(String.init) == header else {
            throw TextError.malformedSubwords(path: path, line: 1, reason: "missing header \"\(header)\"")
        }
        var merges: [(left: String, right: String)] = []
        merges.reserveCapacity(lines.count)
        let eow = Array(endOfWord.utf8)
        for (i, line) in lines.enumerated().dropFirst() {
            // Split as bytes: a space followed by a combining mark is one Character.
            let parts = Array(line.utf8).split(separator: 0x20, omittingEmptySubsequences: false)
            guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else {
                throw TextError.malformedSubwords(path: path, line: i + 1, reason: "a merge is two symbols separated by one space")
            }
            guard !parts[0].suffix(eow.count).elementsEqual(eow) else {
                throw TextError.malformedSubwords(path: path, line: i + 1, reason: "a word-final symbol cannot be the left half of a merge")
            }
            merges.append((String(decoding: parts[0], as: UTF8.self), String(decoding: parts[1], as: UTF8.self)))
        }
        return BPEModel(merges: merges)
    }
}

extension String {
    /// The string of these bytes, or nil when they are not valid UTF-8.
    init?(validatingUTF8Bytes bytes: [UInt8]) {
        var it = bytes.makeIterator()
        var decoder = UTF8()
        var scalars = String.UnicodeScalarView()
        loop: while true {
            switch decoder.decode(&it) {
            case .scalarValue(let s): scalars.append(s)
            case .emptyInput: break loop
            case .error: return nil
            }
        }
        self = String(scalars)
    }
}
