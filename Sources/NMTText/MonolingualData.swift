// A monolingual corpus read for a model: every line tokenized with the vocabulary's own
// settings and mapped to ids, empty and overlong lines dropped and counted.

/// Tokenized sentences of one language, as ids (no <s>/</s>).
public struct MonolingualData: Sendable {
    public var sentences: [[Int32]] = []
    public var droppedEmpty = 0
    public var droppedLong = 0
    public var skippedInvalid = 0
    public var tokens = 0
    public var unknown = 0
    public init() {}

    public var summary: String {
        "\(sentences.count) sentences, \(tokens) tokens (\(unknown) unknown); dropped \(droppedEmpty) empty, "
            + "\(droppedLong) longer than the limit; skipped \(skippedInvalid) with invalid UTF-8"
    }

    /// Reads each file (plain or .gz) line by line; `maxLength` 0 = no limit.
    public static func load(paths: [String], vocab: Vocabulary, maxLength: Int, skipInvalidUTF8: Bool = false) throws -> MonolingualData {
        let tok = try vocab.makeTokenizer()
        var data = MonolingualData()
        for path in paths {
            let reader = try LineReader(path: path, skipInvalidUTF8: skipInvalidUTF8)
            defer { reader.close() }
            while let line = try reader.next() {
                let ids = vocab.encode(tok.tokenize(line.text))
                if ids.isEmpty { data.droppedEmpty += 1; continue }
                if maxLength > 0 && ids.count > maxLength { data.droppedLong += 1; continue }
                data.sentences.append(ids)
                data.tokens += ids.count
                data.unknown += ids.lazy.filter { $0 == SpecialIds.unk }.count
            }
            data.skippedInvalid += reader.skippedLineCount
        }
        return data
    }
}
