import Foundation
import NMTTestSupport
@testable import NMTText

/// The repository root (this file is Tests/NMTTextTests/Support.swift).
let repoRoot: String = {
    var url = URL(fileURLWithPath: #filePath)
    for _ in 0..<3 { url.deleteLastPathComponent() }
    return url.path
}()

let corpusDir = repoRoot + "/corpora/multi30k"

let corpusFiles: [String] = {
    var files: [String] = []
    for split in ["train", "val", "test_2016_flickr"] {
        for lang in ["de", "en", "fr", "cs"] { files.append("\(split).\(lang).gz") }
    }
    return files
}()

/// A fresh empty directory under /tmp, removed when the tests end.
func makeTempDir() -> String { makeTemporaryDirectory(prefix: "nmt-text-test") }

func writeFile(_ path: String, _ bytes: [UInt8]) {
    _ = FileManager.default.createFile(atPath: path, contents: Data(bytes))
}

func writeFile(_ path: String, _ text: String) {
    writeFile(path, Array(text.utf8))
}

func readFile(_ path: String) -> [UInt8]? {
    FileManager.default.contents(atPath: path).map { Array($0) }
}

func listDir(_ path: String) -> [String] {
    ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).sorted()
}

/// gzip-compresses `bytes` with the system gzip tool.
func gzipFile(_ path: String) {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/bin/gzip")
    p.arguments = ["-f", "-k", path]
    try! p.run()
    p.waitUntilExit()
}

/// A multilingual fixture: scripts, emoji (ZWJ sequences, flags, skin tones), URLs, numbers,
/// e-mail, runs of spaces and tabs, combining marks, a literal joiner mark.
let multilingualFixture: [(lang: String, text: String)] = [
    ("de", "Zwei junge weiße Männer sind im Freien in der Nähe vieler Büsche."),
    ("de", "Die STRASSE heißt „Hauptstraße“ – 3,5 km entfernt, d.h. ca. 10 Min."),
    ("en", "Hello, world! Don't panic: it's 3.5 o'clock (roughly)..."),
    ("en", "Mail me at first.last+tag@example.co.uk or visit https://example.com/a/b?c=1&d=2#frag."),
    ("en", "  leading and trailing spaces   and\ttabs\t\there  "),
    ("en", "Prices: $1,234.56 vs. €99 — 50% off; 2024-05-17 at 10:30am."),
    ("fr", "L'homme qu'on voit « ici » n'est-ce pas ? Aujourd'hui : 12 h 30 !"),
    ("fr", "Un garçon en t-shirt rouge saute par-dessus l’eau."),
    ("cs", "Příliš žluťoučký kůň úpěl ďábelské ódy; 1. ledna 2020."),
    ("zh", "我们在北京大学学习中文，今天天气很好！"),
    ("zh", "他说：“你好，世界。”然后走了。"),
    ("ja", "私は東京で日本語を勉強しています。カタカナとひらがな、漢字。"),
    ("th", "สวัสดีครับ ผมชื่อสมชาย ยินดีที่ได้รู้จัก"),
    ("ar", "مرحبا بالعالم! هذا اختبار، للنص العربي ١٢٣."),
    ("en", "Family 👨‍👩‍👧‍👦, flags 🇩🇪🇫🇷🇨🇿, thumbs 👍🏽 and a rainbow flag 🏳️‍🌈!"),
    ("en", "A literal joiner ￭ here, glued￭to words, and ￭￭ doubled￭"),
    ("en", "Combining: e\u{301}te\u{301} and a space before a mark: x \u{301}y"),
    ("en", "Full-width ＡＢＣ１２３ and ligature ﬁne, ½ cup, x² ℌ"),
    ("de", "Zero\u{200B}width\u{200D}joiner and non\u{00A0}breaking\u{2003}spaces\u{3000}end"),
    ("en", ""),
    ("en", "   \t  "),
    ("en", "!!!???...,,,"),
    ("tr", "İSTANBUL'da ılık bir gün"),
]
