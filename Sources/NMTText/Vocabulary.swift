import Foundation

/// A token id. Ids are dense: 0 ..< vocabulary.count.
public typealias TokenID = Int32

/// A token ↔ id mapping with the counts it was built from and the tokenizer settings that
/// produced its tokens.
///
/// File format (UTF-8, "\n" line ends), version 1:
///
///     #swift-nmt-vocab v1 {"joiner":"￭","lang":"de","lowercase":false,"normalization":"nfkc"}
///     <pad>	0
///     <unk>	0
///     <s>	0
///     </s>	0
///     <mask>	0
///     ￭.	29058
///     ein	...
///
/// Line 1 is the header: the magic word, the format version and the tokenizer settings as
/// JSON with sorted keys. Then one `token<TAB>count` line per id, in id order: the five
/// specials first (ids 0–4, count 0), then the tokens by count descending, ties by token in
/// byte (UTF-8) order — so the same corpus always gives the same file, byte for byte.
public struct Vocabulary: Sendable, Equatable {
    /// The special tokens, in id order (SpecialIds).
    public static let specials = SpecialIds.tokens
    /// v1: a word vocabulary; v2: the header also names the subword model the tokens come from.
    public static let formatVersion = 2
    static let magic = "#swift-nmt-vocab"

    public let settings: TokenizerSettings
    /// Tokens in id order (specials first).
    public let tokens: [String]
    /// Corpus count of each token (0 for specials).
    public let counts: [Int]
    /// The BPE model whose pieces these tokens are (nil: a word vocabulary). Stored beside the
    /// vocabulary file as `<name>.bpe` and checked against the hash in the header.
    public let subwords: BPEModel?
    private let index: [String: TokenID]
    /// "fnv1a64:" + 16 hex digits: 64-bit FNV-1a of the canonical file bytes (exactly the
    /// bytes `write(to:)` produces, so `contentHash(ofFile:)` of a written file agrees).
    /// Model configs record it to detect a vocabulary that changed under them.
    public let contentHash: String

    /// Builds a vocabulary from non-special entries in id order; the specials are prepended.
    /// Throws `TextError.invalidSettings` for an empty, whitespace-containing or duplicate token.
    public init(settings: TokenizerSettings, entries: [(token: String, count: Int)], subwords: BPEModel? = nil) throws {
        try settings.validate()
        var tokens = Vocabulary.specials
        var counts = [Int](repeating: 0, count: Vocabulary.specials.count)
        var index: [String: TokenID] = [:]
        for (i, s) in Vocabulary.specials.enumerated() { index[s] = TokenID(i) }
        tokens.reserveCapacity(entries.count + SpecialIds.count)
        counts.reserveCapacity(entries.count + SpecialIds.count)
        for (token, count) in entries {
            if let problem = Vocabulary.tokenProblem(token) { throw TextError.invalidSettings("token \"\(token)\": \(problem)") }
            if index[token] != nil { throw TextError.invalidSettings("duplicate token \"\(token)\"") }
            if count < 0 { throw TextError.invalidSettings("negative count for \"\(token)\"") }
            index[token] = TokenID(tokens.count)
            tokens.append(token)
            counts.append(count)
        }
        self.settings = settings
        self.tokens = tokens
        self.counts = counts
        self.index = index
        self.subwords = subwords
        self.contentHash = Vocabulary.fnv1a64Hex(Vocabulary.serialize(settings: settings, tokens: tokens, counts: counts,
                                                                      subwordsHash: subwords?.contentHash))
    }

    public static func == (l: Vocabulary, r: Vocabulary) -> Bool {
        l.settings == r.settings && l.tokens == r.tokens && l.counts == r.counts
            && l.subwords?.contentHash == r.subwords?.contentHash
    }

    /// Number of ids, specials included.
    public var count: Int { tokens.count }

    /// The id of `token`, or `unkID` if it is not in the vocabulary.
    @inlinable
    public func id(for token: String) -> TokenID { lookup(token) ?? SpecialIds.unk }

    /// The id of `token`, or nil.
    public func lookup(_ token: String) -> TokenID? { index[token] }

    public func contains(_ token: String) -> Bool { index[token] != nil }

    /// The token with id `id` ("<unk>" for an id out of range).
    public func token(for id: TokenID) -> String {
        id >= 0 && Int(id) < tokens.count ? tokens[Int(id)] : Vocabulary.specials[Int(SpecialIds.unk)]
    }

    /// Ids of `tokens` (the tokenizer's words), without <s> or </s>. A word vocabulary maps an
    /// unknown word to <unk>; a subword vocabulary splits each word into its pieces, falling
    /// back to characters and then bytes, so no <unk> is ever produced.
    public func encode<S: Sequence>(_ tokens: S) -> [TokenID] where S.Element == String {
        guard subwords != nil else { return tokens.map { id(for: $0) } }
        var out: [TokenID] = []
        for t in tokens { appendSubwordIds(of: t, to: &out) }
        return out
    }

    /// Tokens of `ids`; with `skipSpecials`, <pad>, <s>, </s> and <mask> are dropped (<unk> stays).
    public func decode<S: Sequence>(_ ids: S, skipSpecials: Bool = true) -> [String] where S.Element == TokenID {
        var out: [String] = []
        for id in ids {
            if skipSpecials && SpecialIds.isStructural(id) { continue }
            out.append(token(for: id))
        }
        return out
    }

    /// A tokenizer with this vocabulary's settings.
    public func makeTokenizer() throws -> Tokenizer { try Tokenizer(settings: settings) }

    // MARK: - Files

    /// The canonical file content.
    public func serialized() -> [UInt8] {
        Vocabulary.serialize(settings: settings, tokens: tokens, counts: counts, subwordsHash: subwords?.contentHash)
    }

    /// Writes the vocabulary atomically (temporary file, fsync, rename). Without `force`,
    /// an existing file is refused (`TextError.outputExists`) and left untouched.
    /// With a subword model, the model is written beside it first (`subwordsPath(for:)`).
    public func write(to path: String, force: Bool = false) throws {
        if let subwords { try subwords.write(to: Vocabulary.subwordsPath(for: path), force: force) }
        try AtomicFile.write(serialized(), to: path, force: force)
    }

    /// Loads and validates a vocabulary file (plain or gzip). Errors name the file and line:
    /// missing/bad header, malformed `token<TAB>count` line, missing specials, duplicates.
    public static func load(path: String) throws -> Vocabulary {
        let reader = try LineReader(path: path)
        guard let header = try reader.next() else { throw TextError.emptyInput(path: path) }
        let (settings, subwordsHash) = try parseHeader(header.text, path: path)
        var entries: [(token: String, count: Int)] = []
        var firstLine: [String: Int] = [:]
        var sawBlankAtEnd = 0
        while let line = try reader.next() {
            if line.text.isEmpty { if sawBlankAtEnd == 0 { sawBlankAtEnd = line.number }; continue }
            if sawBlankAtEnd != 0 {
                throw TextError.malformedVocabulary(path: path, line: sawBlankAtEnd, reason: "empty line")
            }
            let fields = line.text.split(separator: "\t", omittingEmptySubsequences: false)
            guard fields.count == 2 else {
                throw TextError.malformedVocabulary(path: path, line: line.number,
                    reason: "expected token<TAB>count, found \(fields.count) tab-separated field(s)")
            }
            let token = String(fields[0])
            if let problem = tokenProblem(token) {
                throw TextError.malformedVocabulary(path: path, line: line.number, reason: "token \(problem)")
            }
            guard !fields[1].isEmpty, fields[1].utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }),
                  let count = Int(fields[1]) else {
                throw TextError.malformedVocabulary(path: path, line: line.number,
                    reason: "count \"\(fields[1])\" is not a non-negative integer")
            }
            if let first = firstLine[token] {
                throw TextError.duplicateToken(path: path, line: line.number, token: token, firstLine: first)
            }
            let idx = entries.count
            if idx < specials.count && token != specials[idx] {
                throw TextError.malformedVocabulary(path: path, line: line.number,
                    reason: "expected special token \(specials[idx]) (id \(idx)), found \"\(token)\"")
            }
            firstLine[token] = line.number
            entries.append((token, count))
        }
        if entries.count < specials.count {
            throw TextError.malformedVocabulary(path: path, line: reader.lineCount + 1,
                reason: "missing special token \(specials[entries.count])")
        }
        let subwords = try subwordsHash.map { try loadSubwords(for: path, expectedHash: $0) }
        return try Vocabulary(settings: settings, entries: Array(entries.dropFirst(specials.count)), subwords: subwords)
    }

    /// The header line (without "\n"): version 1 `#swift-nmt-vocab v1 {settings}` for a word
    /// vocabulary (so existing vocabularies keep their bytes and hashes); version 2
    /// `#swift-nmt-vocab v2 {"settings": {…}, "subwords": {"hash": …, "type": "bpe"}}` for a
    /// subword vocabulary.
    public static func headerLine(for settings: TokenizerSettings, subwordsHash: String? = nil) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        guard let subwordsHash else {
            return "\(magic) v1 \(String(decoding: try! encoder.encode(settings), as: UTF8.self))"
        }
        let header = HeaderV2(settings: settings, subwords: SubwordsRef(type: "bpe", hash: subwordsHash))
        return "\(magic) v2 \(String(decoding: try! encoder.encode(header), as: UTF8.self))"
    }

    struct SubwordsRef: Codable { var type: String; var hash: String }
    struct HeaderV2: Codable { var settings: TokenizerSettings; var subwords: SubwordsRef }

    /// The settings and, for a version 2 header, the subword model's hash.
    static func parseHeader(_ text: String, path: String) throws -> (TokenizerSettings, String?) {
        let prefix = "\(magic) v"
        guard text.hasPrefix(prefix) else {
            throw TextError.malformedVocabulary(path: path, line: 1,
                reason: "missing header \"\(magic) v\(formatVersion) {settings}\"")
        }
        let rest = text.dropFirst(prefix.count)
        guard let space = rest.firstIndex(of: " "), let version = Int(rest[..<space]) else {
            throw TextError.malformedVocabulary(path: path, line: 1, reason: "bad header version")
        }
        guard version >= 1 && version <= formatVersion else {
            throw TextError.malformedVocabulary(path: path, line: 1,
                reason: "unsupported format version \(version) (this build reads v1 and v\(formatVersion))")
        }
        let json = Data(rest[rest.index(after: space)...].utf8)
        do {
            if version == 1 {
                let settings = try JSONDecoder().decode(TokenizerSettings.self, from: json)
                try settings.validate()
                return (settings, nil)
            }
            let header = try JSONDecoder().decode(HeaderV2.self, from: json)
            try header.settings.validate()
            guard header.subwords.type == "bpe" else { throw TextError.invalidSettings("unknown subword model \"\(header.subwords.type)\"") }
            return (header.settings, header.subwords.hash)
        } catch let e as TextError {
            throw TextError.malformedVocabulary(path: path, line: 1, reason: e.description)
        } catch {
            throw TextError.malformedVocabulary(path: path, line: 1, reason: "bad settings JSON")
        }
    }

    static func tokenProblem(_ token: String) -> String? {
        if token.isEmpty { return "is empty" }
        if token.utf16.contains(where: isUnicodeWhitespace) { return "\"\(token)\" contains whitespace" }
        return nil
    }

    static func serialize(settings: TokenizerSettings, tokens: [String], counts: [Int], subwordsHash: String?) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(tokens.count * 16 + 128)
        out.append(contentsOf: headerLine(for: settings, subwordsHash: subwordsHash).utf8)
        out.append(10)
        for (t, c) in zip(tokens, counts) {
            out.append(contentsOf: t.utf8)
            out.append(9)
            out.append(contentsOf: String(c).utf8)
            out.append(10)
        }
        return out
    }

    /// 64-bit FNV-1a of `bytes` as "fnv1a64:" + 16 lowercase hex digits.
    public static func fnv1a64Hex<C: Sequence>(_ bytes: C) -> String where C.Element == UInt8 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in bytes {
            h ^= UInt64(b)
            h = h &* 0x0000_0100_0000_01b3
        }
        let hex = String(h, radix: 16)
        return "fnv1a64:" + String(repeating: "0", count: 16 - hex.count) + hex
    }

    /// The content hash of a file's raw bytes (equal to `contentHash` for a file written by `write`).
    public static func contentHash(ofFile path: String) throws -> String {
        guard AtomicFile.fileExists(path) else { throw TextError.fileNotFound(path: path) }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw TextError.cannotRead(path: path, reason: "cannot read file")
        }
        return fnv1a64Hex(data)
    }
}

/// Counts tokens and turns the counts into a `Vocabulary`.
public struct VocabularyBuilder: Sendable {
    public let settings: TokenizerSettings
    public private(set) var counts: [String: Int] = [:]
    /// Tokens added so far (with multiplicity).
    public private(set) var totalTokens = 0
    /// Lines read by `addFile` so far (not counting skipped lines).
    public private(set) var linesRead = 0
    /// Lines skipped for invalid UTF-8 by `addFile`.
    public private(set) var linesSkipped = 0

    public init(settings: TokenizerSettings) {
        self.settings = settings
    }

    public mutating func add(_ token: String, count: Int = 1) {
        counts[token, default: 0] += count
        totalTokens += count
    }

    public mutating func add<S: Sequence>(tokens: S) where S.Element == String {
        for t in tokens { add(t) }
    }

    /// Tokenizes every line of `path` (plain or gzip) with `tokenizer` (which must use this
    /// builder's settings) and counts the tokens. `progress` is called every 10,000 lines
    /// with the number of lines read from this file.
    public mutating func addFile(_ path: String, tokenizer: Tokenizer, skipInvalidUTF8: Bool = false,
                                 progress: ((Int) -> Void)? = nil) throws {
        precondition(tokenizer.settings == settings, "tokenizer settings differ from the builder's")
        let reader = try LineReader(path: path, skipInvalidUTF8: skipInvalidUTF8)
        var n = 0
        while let line = try reader.next() {
            tokenizer.tokenize(line.text) { counts[$0, default: 0] += 1; totalTokens += 1 }
            n += 1
            if n % 10_000 == 0 { progress?(n) }
        }
        linesRead += n
        linesSkipped += reader.skippedLineCount
    }

    /// The vocabulary of tokens seen at least `minCount` times, sorted by count (descending),
    /// ties by token in byte order, cut to `maxSize` ids in total (the 5 specials included).
    /// Tokens equal to a special are not added twice.
    public func build(minCount: Int = 1, maxSize: Int? = nil) throws -> Vocabulary {
        guard minCount >= 1 else { throw TextError.invalidSettings("min-count must be at least 1") }
        if let m = maxSize, m < Vocabulary.specials.count {
            throw TextError.invalidSettings("max-size must be at least \(Vocabulary.specials.count) (the special tokens)")
        }
        let specials = Set(Vocabulary.specials)
        var entries = counts.filter { $0.value >= minCount && !specials.contains($0.key) }
            .map { (token: $0.key, count: $0.value) }
        entries.sort { a, b in
            if a.count != b.count { return a.count > b.count }
            return a.token.utf8.lexicographicallyPrecedes(b.token.utf8)
        }
        if let m = maxSize, entries.count > m - Vocabulary.specials.count {
            entries.removeLast(entries.count - (m - Vocabulary.specials.count))
        }
        return try Vocabulary(settings: settings, entries: entries)
    }
}
