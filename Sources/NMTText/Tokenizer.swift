import CICU

/// Unicode normalization applied before tokenization.
public enum Normalization: String, Codable, CaseIterable, Sendable {
    case none, nfc, nfkc
}

/// Everything that determines how text becomes tokens. It is stored in the header of every
/// vocabulary file, so a vocabulary always tokenizes text the way it was built.
public struct TokenizerSettings: Codable, Hashable, Sendable {
    /// The joiner mark OpenNMT uses: U+FFED HALFWIDTH BLACK SQUARE.
    public static let defaultJoiner = "\u{FFED}"

    /// Language tag used as the ICU locale for word breaks and lowercasing ("de", "en", "zh", ...).
    public var lang: String
    public var normalization: Normalization
    /// Locale-aware lowercasing (ICU u_strToLower with `lang`), applied after normalization.
    public var lowercase: Bool
    /// The mark prefixed to a token that was glued to the previous one. One BMP character.
    public var joiner: String

    public init(lang: String, normalization: Normalization = .nfkc, lowercase: Bool = false,
                joiner: String = TokenizerSettings.defaultJoiner) {
        self.lang = lang
        self.normalization = normalization
        self.lowercase = lowercase
        self.joiner = joiner
    }

    /// Whether ICU has locale data for the language code `code` (lowercase, as "de", "en",
    /// "yue"): what a language guessed from a file name must be.
    public static func isKnownLanguage(_ code: String) -> Bool {
        !code.isEmpty && code.count <= 8 && code.allSatisfy { $0.isASCII && $0.isLowercase } && nmt_icu_has_language(code) != 0
    }

    /// Throws `TextError.invalidSettings` unless the language tag looks like a BCP-47/ICU
    /// locale ID and the joiner is a single non-whitespace BMP character.
    public func validate() throws {
        let okLang = !lang.isEmpty && lang.utf8.count <= 35 && lang.utf8.allSatisfy {
            ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x41 && $0 <= 0x5A) || ($0 >= 0x61 && $0 <= 0x7A) || $0 == 0x2D || $0 == 0x5F
        } && lang.utf8.first.map { ($0 | 0x20) >= 0x61 && ($0 | 0x20) <= 0x7A } == true
        if !okLang { throw TextError.invalidSettings("language tag \"\(lang)\" is not a locale ID like de, en, zh, pt_BR") }
        let units = Array(joiner.utf16)
        if units.count != 1 || isUnicodeWhitespace(units[0]) || (units[0] >= 0xD800 && units[0] <= 0xDFFF) {
            throw TextError.invalidSettings("the joiner must be a single non-whitespace BMP character")
        }
    }
}

/// True for the characters with the Unicode White_Space property (all are in the BMP).
/// These separate tokens and are never part of one.
@inline(__always)
public func isUnicodeWhitespace(_ u: UInt16) -> Bool {
    if u <= 0x20 { return u == 0x20 || (u >= 0x09 && u <= 0x0D) }
    if u < 0x85 { return false }
    switch u {
    case 0x85, 0xA0, 0x1680, 0x2000...0x200A, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000: return true
    default: return false
    }
}

/// A growable UTF-16 scratch buffer.
struct U16Buffer {
    var base: UnsafeMutablePointer<UInt16>
    var capacity: Int
    var count = 0
    init(capacity: Int) {
        self.capacity = capacity
        base = .allocate(capacity: capacity)
    }
    mutating func reserve(_ n: Int) {
        if n <= capacity { return }
        var c = capacity
        while c < n { c *= 2 }
        base.deallocate()
        base = .allocate(capacity: c)
        capacity = c
    }
    func free() { base.deallocate() }
}

/// Splits text into tokens at ICU word boundaries and joins them back exactly.
///
/// Pipeline: normalization (none/NFC/NFKC) → optional locale lowercasing → ICU word breaks for
/// `lang` (dictionary-based for Chinese, Japanese, Thai, ...) → whitespace is dropped (it never
/// becomes a token) → every token that touched the previous token (no whitespace between them)
/// gets the joiner prefix: "Hello, world!" → ["Hello", "￭,", "world", "￭!"].
///
/// A literal joiner character in the (normalized) input always becomes a token by itself,
/// spelled "￭" when it follows whitespace (or starts the line) and "￭￭" when glued to the
/// previous token; every other token is free of joiner characters. Detokenization is therefore
/// exact: `detokenize(tokenize(s)) == normalize(s)`. With the default NFKC normalization a
/// literal U+FFED is mapped to U+25A0 "■" before tokenization anyway.
///
/// Not thread-safe (it owns one ICU break iterator and scratch buffers): use one per thread.
public final class Tokenizer {
    public let settings: TokenizerSettings
    private let breaker: OpaquePointer
    private let joinerUnit: UInt16
    private let form: Int32  // -1 none, 0 NFC, 1 NFKC
    // Allocated last in init, after everything that can throw (a throwing init runs no deinit).
    private var a: U16Buffer
    private var b: U16Buffer
    private var boundaries: UnsafeMutablePointer<Int32>
    private var boundaryCapacity = 1024
    private var tokenScratch: U16Buffer

    public init(settings: TokenizerSettings) throws {
        try settings.validate()
        self.settings = settings
        joinerUnit = settings.joiner.utf16.first!
        switch settings.normalization {
        case .none: form = -1
        case .nfc: form = 0
        case .nfkc: form = 1
        }
        var status: Int32 = 0
        guard let it = nmt_icu_wordbreak_open(settings.lang, &status) else {
            throw TextError.icu(function: "ubrk_open(\(settings.lang))", status: String(cString: nmt_icu_error_name(status)))
        }
        breaker = OpaquePointer(it)
        boundaries = .allocate(capacity: boundaryCapacity)
        a = U16Buffer(capacity: 1024)
        b = U16Buffer(capacity: 1024)
        tokenScratch = U16Buffer(capacity: 256)
    }

    public convenience init(lang: String, normalization: Normalization = .nfkc, lowercase: Bool = false) throws {
        try self.init(settings: TokenizerSettings(lang: lang, normalization: normalization, lowercase: lowercase))
    }

    deinit {
        nmt_icu_wordbreak_close(UnsafeMutableRawPointer(breaker))
        a.free(); b.free(); tokenScratch.free()
        boundaries.deallocate()
    }

    /// The ICU version in use, e.g. "72.1".
    public static var icuVersion: String { String(cString: nmt_icu_version()) }

    // MARK: - Normalization

    /// Loads `line` into buffer `a`, normalized and (optionally) lowercased.
    private func prepare(_ line: String) {
        var line = line
        line.withUTF8 { utf8 in
            a.reserve(utf8.count + 1)
            var status: Int32 = 0
            // ASCII fast path, else ICU transcoding (the String is valid UTF-8).
            var n = 0
            var ascii = true
            for byte in utf8 { if byte >= 0x80 { ascii = false; break } }
            if ascii {
                for i in 0..<utf8.count { a.base[i] = UInt16(utf8[i]) }
                n = utf8.count
            } else {
                n = Int(nmt_icu_from_utf8(utf8.baseAddress, Int32(utf8.count), a.base, Int32(a.capacity), &status))
                precondition(n >= 0, "ICU u_strFromUTF8 failed: \(String(cString: nmt_icu_error_name(status)))")
            }
            a.count = n
            if form >= 0 && !ascii {  // ASCII text is in every normalization form already
                let prefix = Int(nmt_icu_normalized_prefix(form, a.base, Int32(n), &status))
                if prefix != n {
                    runICU { dest, cap, st in nmt_icu_normalize(form, a.base, Int32(a.count), dest, cap, st) }
                }
            }
            if settings.lowercase {
                var hasUpper = !ascii
                if ascii { for i in 0..<n where a.base[i] >= 0x41 && a.base[i] <= 0x5A { hasUpper = true; break } }
                if hasUpper {
                    runICU { dest, cap, st in nmt_icu_to_lower(settings.lang, a.base, Int32(a.count), dest, cap, st) }
                }
            }
        }
    }

    /// Runs an ICU transform from `a` into `b` (growing `b` as needed), then swaps so the result is in `a`.
    private func runICU(_ f: (UnsafeMutablePointer<UInt16>, Int32, UnsafeMutablePointer<Int32>) -> Int32) {
        b.reserve(a.count * 2 + 16)
        var status: Int32 = 0
        var n = Int(f(b.base, Int32(b.capacity), &status))
        if n > b.capacity {
            b.reserve(n + 1)
            n = Int(f(b.base, Int32(b.capacity), &status))
        }
        precondition(n >= 0, "ICU call failed: \(String(cString: nmt_icu_error_name(status)))")
        b.count = n
        swap(&a, &b)
    }

    /// The text the tokenizer sees: normalized, lowercased if configured, runs of whitespace
    /// collapsed to one space, trimmed. `detokenize(tokenize(s)) == normalize(s)`.
    public func normalize(_ line: String) -> String {
        prepare(line)
        b.reserve(a.count)
        var n = 0
        var pendingSpace = false
        for i in 0..<a.count {
            let u = a.base[i]
            if isUnicodeWhitespace(u) {
                pendingSpace = n > 0
            } else {
                if pendingSpace { b.base[n] = 0x20; n += 1; pendingSpace = false }
                b.base[n] = u
                n += 1
            }
        }
        return String(decoding: UnsafeBufferPointer(start: b.base, count: n), as: UTF16.self)
    }

    // MARK: - Tokenization

    /// Tokenizes one line (newlines inside `line` are whitespace like any other).
    public func tokenize(_ line: String) -> [String] {
        var tokens: [String] = []
        tokenize(line) { token in tokens.append(token) }
        return tokens
    }

    /// Streams the tokens of `line` to `body`.
    public func tokenize(_ line: String, _ body: (String) -> Void) {
        prepare(line)
        let n = a.count
        if n == 0 { return }
        if n + 2 > boundaryCapacity {
            boundaries.deallocate()
            boundaryCapacity = max(n + 2, boundaryCapacity * 2)
            boundaries = .allocate(capacity: boundaryCapacity)
        }
        var status: Int32 = 0
        let nb = Int(nmt_icu_wordbreak_split(UnsafeMutableRawPointer(breaker), a.base, Int32(n),
                                             boundaries, Int32(boundaryCapacity), &status))
        precondition(nb >= 2 && nb <= boundaryCapacity,
                     "ICU word break failed: \(String(cString: nmt_icu_error_name(status)))")
        let text = a.base
        let joiner = joinerUnit
        var previousEnd = -1  // end of the previous token; -1 before the first
        tokenScratch.reserve(n + 1)

        @inline(__always) func emit(_ s: Int, _ e: Int) {
            let joined = previousEnd == s
            previousEnd = e
            if joined {
                let out = tokenScratch.base
                out[0] = joiner
                (out + 1).update(from: text + s, count: e - s)
                body(String(decoding: UnsafeBufferPointer(start: out, count: e - s + 1), as: UTF16.self))
            } else {
                body(String(decoding: UnsafeBufferPointer(start: text + s, count: e - s), as: UTF16.self))
            }
        }

        for k in 0..<(nb - 1) {
            let segEnd = Int(boundaries[k + 1])
            var i = Int(boundaries[k])
            // Within an ICU segment, whitespace separates and literal joiners stand alone.
            var tokenStart = -1
            while i < segEnd {
                let u = text[i]
                if isUnicodeWhitespace(u) {
                    if tokenStart >= 0 { emit(tokenStart, i); tokenStart = -1 }
                } else if u == joiner {
                    if tokenStart >= 0 { emit(tokenStart, i); tokenStart = -1 }
                    emit(i, i + 1)
                } else if tokenStart < 0 {
                    tokenStart = i
                }
                i += 1
            }
            if tokenStart >= 0 { emit(tokenStart, segEnd) }
        }
    }

    // MARK: - Detokenization

    /// Joins tokens back into text: see `Detokenizer`.
    public func detokenize<S: Sequence>(_ tokens: S) -> String where S.Element: StringProtocol {
        Detokenizer(joiner: settings.joiner).detokenize(tokens)
    }
}

/// Turns tokens back into text. A token starting with the joiner is glued to the previous one
/// (the joiner is dropped); other tokens are preceded by one space (except the first).
/// The token consisting of the joiner alone is a literal joiner character, not glued.
/// Any token sequence is accepted (e.g. model output): a joiner on the first token is ignored.
public struct Detokenizer: Sendable {
    public let joiner: String
    private let joinerUTF8: [UInt8]

    public init(joiner: String = TokenizerSettings.defaultJoiner) {
        self.joiner = joiner
        joinerUTF8 = Array(joiner.utf8)
    }

    public func detokenize<S: Sequence>(_ tokens: S) -> String where S.Element: StringProtocol {
        var out: [UInt8] = []
        out.reserveCapacity(128)
        var first = true
        for token in tokens {
            let bytes = token.utf8
            var body = bytes[...]
            var joined = false
            if bytes.count > joinerUTF8.count && bytes.starts(with: joinerUTF8) {
                joined = true
                body = bytes.dropFirst(joinerUTF8.count)
            }
            if body.isEmpty { continue }
            if !first && !joined { out.append(0x20) }
            if let b = Detokenizer.byteValue(body) { out.append(b) } else { out.append(contentsOf: body) }
            first = false
        }
        return String(decoding: out, as: UTF8.self)
    }
}

extension Detokenizer {
    /// The byte of a byte token `<0xHH>` (a subword vocabulary's fallback for characters it does
    /// not hold), or nil. A run of byte tokens so becomes the UTF-8 character it spells; a
    /// run that is not valid UTF-8 decodes as U+FFFD.
    @inline(__always)
    public static func byteValue<C: Collection>(_ body: C) -> UInt8? where C.Element == UInt8 {
        guard body.count == 6 else { return nil }
        var it = body.makeIterator()
        let b = (it.next()!, it.next()!, it.next()!, it.next()!, it.next()!, it.next()!)
        guard b.0 == 0x3C, b.1 == 0x30, b.2 == 0x78, b.5 == 0x3E else { return nil }
        func hex(_ c: UInt8) -> UInt8? {
            switch c {
            case 0x30...0x39: return c - 0x30
            case 0x41...0x46: return c - 0x41 + 10
            default: return nil
            }
        }
        guard let hi = hex(b.3), let lo = hex(b.4) else { return nil }
        return hi << 4 | lo
    }

    /// Splits a line of space-separated tokens (as `nmt-vocab tokenize` prints them) at
    /// Unicode whitespace. Splits by scalar, not by Character, so a combining mark after a
    /// space stays a token of its own.
    public static func splitTokens(_ line: String) -> [String] {
        var out: [String] = []
        let scalars = line.unicodeScalars
        var start: String.UnicodeScalarView.Index? = nil
        var i = scalars.startIndex
        while i != scalars.endIndex {
            let v = scalars[i].value
            if v < 0x10000 && isUnicodeWhitespace(UInt16(v)) {
                if let s = start { out.append(String(scalars[s..<i])); start = nil }
            } else if start == nil {
                start = i
            }
            i = scalars.index(after: i)
        }
        if let s = start { out.append(String(scalars[s..<scalars.endIndex])) }
        return out
    }
}
