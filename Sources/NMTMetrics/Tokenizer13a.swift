// The `13a` tokenizer of sacreBLEU 2.x (mteval-v13a.pl), reimplemented from its definition.
//
// Everything works on Unicode scalars (Python `str` code points), never on Swift
// `Character`s: Swift compares Strings by canonical equivalence and groups "\r\n" into one
// Character, while sacreBLEU compares code point sequences. Tokens are therefore kept as
// scalar arrays and interned to integer ids by exact scalar sequence.

/// Python's `str.isspace()` set (what `str.split()` and `str.rstrip()` treat as whitespace).
@inlinable
public func isPythonWhitespace(_ v: UInt32) -> Bool {
    switch v {
    case 0x09...0x0D, 0x1C...0x1F, 0x20, 0x85, 0xA0, 0x1680, 0x2000...0x200A,
         0x2028, 0x2029, 0x202F, 0x205F, 0x3000:
        return true
    default:
        return false
    }
}

/// sacreBLEU's default BLEU tokenizer (`tok:13a`).
///
/// Definition (sacrebleu/tokenizers/tokenizer_13a.py + tokenizer_re.py):
/// 1. remove `<skipped>`, remove `-\n`, replace `\n` by a space;
/// 2. if the line contains `&`: replace `&quot;` `&amp;` `&lt;` `&gt;` (in this order, each over
///    the whole line) by `"` `&` `<` `>`;
/// 3. pad with one space on each side, then apply four regex substitutions in order
///    (Python `re.sub`: left-to-right, non-overlapping):
///    - `([\{-\~\[-\` -\&\(-\+\:-\@\/])` → ` \1 `  (ASCII symbols, see `isSymbol13a`)
///    - `([^0-9])([\.,])` → `\1 \2 `   (period/comma not preceded by a digit)
///    - `([\.,])([^0-9])` → ` \1 \2`   (period/comma not followed by a digit)
///    - `([0-9])(-)` → `\1 \2 `        (dash preceded by a digit)
/// 4. split on Python whitespace and join with single spaces.
public struct Tokenizer13a: Sendable {
    public init() {}

    public var signature: String { "13a" }

    /// Tokenizes a line and returns the tokens as scalar arrays.
    public func tokenScalars(_ line: String) -> [[UInt32]] {
        var s = preprocess(Array(line.unicodeScalars.lazy.map { $0.value }))
        s = regexPass(s)
        return splitPython(s)
    }

    /// Tokenizes a line exactly like `sacrebleu.tokenizers.tokenizer_13a.Tokenizer13a()(line)`.
    public func tokenize(_ line: String) -> String {
        let toks = tokenScalars(line)
        var out = String.UnicodeScalarView()
        for (i, t) in toks.enumerated() {
            if i > 0 { out.append(" ") }
            for v in t { out.append(Unicode.Scalar(v)!) }
        }
        return String(out)
    }

    // MARK: - steps

    @usableFromInline
    static let skipped: [UInt32] = Array("<skipped>".unicodeScalars.map { $0.value })

    func preprocess(_ input: [UInt32]) -> [UInt32] {
        var s = replaceAll(input, Tokenizer13a.skipped, [])
        s = replaceAll(s, [0x2D, 0x0A], [])   // "-\n" -> ""
        for i in s.indices where s[i] == 0x0A { s[i] = 0x20 }
        if s.contains(0x26) {  // '&'
            let pairs: [(String, String)] = [("&quot;", "\""), ("&amp;", "&"), ("&lt;", "<"), ("&gt;", ">")]
            for (a, b) in pairs {
                s = replaceAll(s, a.unicodeScalars.map { $0.value }, b.unicodeScalars.map { $0.value })
            }
        }
        return s
    }

    /// Python `str.replace(old, new)`: left-to-right, non-overlapping.
    func replaceAll(_ s: [UInt32], _ old: [UInt32], _ new: [UInt32]) -> [UInt32] {
        let n = old.count, m = s.count
        guard n > 0, m >= n, s.contains(old[0]) else { return s }
        var out: [UInt32] = []
        out.reserveCapacity(m)
        var i = 0
        while i < m {
            if s[i] == old[0] && i + n <= m {
                var k = 1
                while k < n && s[i + k] == old[k] { k += 1 }
                if k == n {
                    out.append(contentsOf: new)
                    i += n
                    continue
                }
            }
            out.append(s[i])
            i += 1
        }
        return out
    }

    /// `[\{-\~\[-\` -\&\(-\+\:-\@\/]`: U+007B–007E, U+005B–0060, U+0020–0026, U+0028–002B,
    /// U+003A–0040 and `/`. (Not: `'` `,` `-` `.`, digits, letters.)
    @inline(__always)
    static func isSymbol13a(_ c: UInt32) -> Bool {
        switch c {
        case 0x7B...0x7E, 0x5B...0x60, 0x20...0x26, 0x28...0x2B, 0x3A...0x40, 0x2F: return true
        default: return false
        }
    }

    @inline(__always) static func isDigit(_ c: UInt32) -> Bool { c >= 0x30 && c <= 0x39 }
    @inline(__always) static func isPeriodComma(_ c: UInt32) -> Bool { c == 0x2E || c == 0x2C }

    func regexPass(_ input: [UInt32]) -> [UInt32] {
        let sp: UInt32 = 0x20
        // pad: f' {line} ', then rule 1
        var a: [UInt32] = []
        a.reserveCapacity(input.count * 2 + 2)
        a.append(sp)
        for c in input {
            if Tokenizer13a.isSymbol13a(c) { a.append(sp); a.append(c); a.append(sp) } else { a.append(c) }
        }
        a.append(sp); a.append(sp); a.append(sp)  // trailing pad ' ' also matches rule 1 -> '   '
        // Note: the leading pad ' ' matches rule 1 too and becomes '   '; extra spaces are
        // irrelevant after the final whitespace split, and they are never digits or . , -,
        // so they cannot change any later match.
        // rule 2: ([^0-9])([\.,]) -> \1 \2 ' '
        var b: [UInt32] = []
        b.reserveCapacity(a.count + 16)
        var i = 0
        while i < a.count {
            if i + 1 < a.count && !Tokenizer13a.isDigit(a[i]) && Tokenizer13a.isPeriodComma(a[i + 1]) {
                b.append(a[i]); b.append(sp); b.append(a[i + 1]); b.append(sp)
                i += 2
            } else { b.append(a[i]); i += 1 }
        }
        // rule 3: ([\.,])([^0-9]) -> ' ' \1 ' ' \2
        var c: [UInt32] = []
        c.reserveCapacity(b.count + 16)
        i = 0
        while i < b.count {
            if i + 1 < b.count && Tokenizer13a.isPeriodComma(b[i]) && !Tokenizer13a.isDigit(b[i + 1]) {
                c.append(sp); c.append(b[i]); c.append(sp); c.append(b[i + 1])
                i += 2
            } else { c.append(b[i]); i += 1 }
        }
        // rule 4: ([0-9])(-) -> \1 ' ' \2 ' '
        var d: [UInt32] = []
        d.reserveCapacity(c.count + 16)
        i = 0
        while i < c.count {
            if i + 1 < c.count && Tokenizer13a.isDigit(c[i]) && c[i + 1] == 0x2D {
                d.append(c[i]); d.append(sp); d.append(0x2D); d.append(sp)
                i += 2
            } else { d.append(c[i]); i += 1 }
        }
        return d
    }

    func splitPython(_ s: [UInt32]) -> [[UInt32]] {
        var out: [[UInt32]] = []
        var cur: [UInt32] = []
        for c in s {
            if isPythonWhitespace(c) {
                if !cur.isEmpty { out.append(cur); cur.removeAll(keepingCapacity: true) }
            } else { cur.append(c) }
        }
        if !cur.isEmpty { out.append(cur) }
        return out
    }
}

/// Python `str.rstrip()` on scalars.
@usableFromInline
func pythonRStrip(_ s: String) -> String {
    var v = s.unicodeScalars
    while let last = v.last, isPythonWhitespace(last.value) { v.removeLast() }
    return String(v)
}
