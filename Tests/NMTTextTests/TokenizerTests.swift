import Testing
@testable import NMTText

@Suite struct TokenizerTests {
    @Test func helloWorld() throws {
        let t = try Tokenizer(lang: "en")
        #expect(t.tokenize("Hello, world!") == ["Hello", "￭,", "world", "￭!"])
        #expect(t.detokenize(["Hello", "￭,", "world", "￭!"]) == "Hello, world!")
    }

    @Test func icuKeepsNumbersAndContractionsWhole() throws {
        let t = try Tokenizer(lang: "en")
        #expect(t.tokenize("It's 3.5 km, don't go.") == ["It's", "3.5", "km", "￭,", "don't", "go", "￭."])
        #expect(t.tokenize("(paren)") == ["(", "￭paren", "￭)"])
        #expect(t.tokenize("T-Shirt") == ["T", "￭-", "￭Shirt"])
    }

    @Test func chineseJapaneseThaiAreSplitByDictionary() throws {
        let zh = try Tokenizer(lang: "zh").tokenize("我们在北京大学学习")
        #expect(zh.count > 1)
        #expect(zh.first == "我们")
        #expect(zh.dropFirst().allSatisfy { $0.hasPrefix("￭") })
        let ja = try Tokenizer(lang: "ja").tokenize("私は東京で日本語を勉強しています")
        #expect(ja.count > 3)
        let th = try Tokenizer(lang: "th").tokenize("สวัสดีครับ")
        #expect(th == ["สวัสดี", "￭ครับ"])
    }

    @Test func whitespaceIsNeverAToken() throws {
        let t = try Tokenizer(lang: "en", normalization: .none)
        for (_, text) in multilingualFixture {
            for token in t.tokenize(text) {
                #expect(!token.isEmpty)
                #expect(!token.utf16.contains(where: isUnicodeWhitespace), "token \(token.debugDescription)")
            }
        }
        #expect(t.tokenize(" \t \u{3000}\u{00A0} ") == [])
        #expect(t.tokenize("a \t\t b") == ["a", "b"])
    }

    @Test func emojiSequencesStayWhole() throws {
        let t = try Tokenizer(lang: "en")
        #expect(t.tokenize("👨‍👩‍👧‍👦 🇩🇪🇫🇷") == ["👨‍👩‍👧‍👦", "🇩🇪", "￭🇫🇷"])
    }

    @Test func literalJoinerRoundTrips() throws {
        let t = try Tokenizer(lang: "en", normalization: .none)
        #expect(t.tokenize("a ￭ b") == ["a", "￭", "b"])
        #expect(t.tokenize("a￭b") == ["a", "￭￭", "￭b"])
        #expect(t.tokenize("￭￭") == ["￭", "￭￭"])
        for s in ["a ￭ b", "a￭b", "￭￭", "￭", "x ￭y", "x￭ y", "￭\u{301}"] {
            #expect(t.detokenize(t.tokenize(s)) == t.normalize(s), "\(s)")
        }
        // NFKC maps U+FFED to U+25A0 before tokenization.
        let k = try Tokenizer(lang: "en")
        #expect(k.tokenize("a￭b") == ["a", "￭■", "￭b"])
    }

    @Test func normalizationForms() throws {
        let nfkc = try Tokenizer(lang: "en")
        #expect(nfkc.normalize("ﬁne ＡＢＣ  x²") == "fine ABC x2")
        let nfc = try Tokenizer(lang: "en", normalization: .nfc)
        #expect(nfc.normalize("e\u{301}") == "\u{E9}")
        #expect(nfc.normalize("ﬁ") == "ﬁ")
        let none = try Tokenizer(lang: "en", normalization: .none)
        #expect(none.normalize("e\u{301}") == "e\u{301}")
        #expect(none.normalize("  a \t b\n ") == "a b")
    }

    @Test func localeAwareLowercasing() throws {
        let tr = try Tokenizer(lang: "tr", lowercase: true)
        #expect(tr.normalize("İSTANBUL") == "istanbul")
        #expect(tr.tokenize("ILIK") == ["ılık"])
        let de = try Tokenizer(lang: "de", lowercase: true)
        #expect(de.tokenize("Die STRASSE.") == ["die", "strasse", "￭."])
    }

    @Test(arguments: [Normalization.none, .nfc, .nfkc], [false, true])
    func multilingualFixtureRoundTrips(normalization: Normalization, lowercase: Bool) throws {
        for (lang, text) in multilingualFixture {
            let t = try Tokenizer(lang: lang, normalization: normalization, lowercase: lowercase)
            let tokens = t.tokenize(text)
            #expect(t.detokenize(tokens) == t.normalize(text), "\(lang): \(text)")
            // The printed form (tokens joined by spaces) splits back into the same tokens.
            #expect(Detokenizer.splitTokens(tokens.joined(separator: " ")) == tokens)
        }
    }

    @Test(arguments: corpusFiles)
    func corpusRoundTrips(file: String) throws {
        let lang = String(file.split(separator: ".").dropLast().last!)
        let t = try Tokenizer(lang: lang)
        let reader = try LineReader(path: corpusDir + "/" + file)
        var lines = 0, failures = 0
        while let line = try reader.next() {
            lines += 1
            let tokens = t.tokenize(line.text)
            if t.detokenize(tokens) != t.normalize(line.text) {
                failures += 1
                if failures <= 3 { Issue.record("\(file):\(line.number): round trip failed: \(line.text)") }
            }
        }
        #expect(lines >= 1000)
        #expect(failures == 0)
    }

    @Test func emptyLine() throws {
        let t = try Tokenizer(lang: "en")
        #expect(t.tokenize("") == [])
        #expect(t.detokenize([String]()) == "")
        #expect(t.normalize("") == "")
    }

    @Test func detokenizerAcceptsAnyTokens() {
        let d = Detokenizer()
        #expect(d.detokenize(["￭a", "b", "￭c", "￭", "￭￭"]) == "a bc ￭￭")
    }

    @Test func settingsAreCodableAndValidated() throws {
        let s = TokenizerSettings(lang: "fr", normalization: .nfc, lowercase: true)
        let data = try JSONEncoder().encode(s)
        #expect(try JSONDecoder().decode(TokenizerSettings.self, from: data) == s)
        #expect(throws: TextError.self) { try Tokenizer(lang: "") }
        #expect(throws: TextError.self) { try Tokenizer(lang: "de;rm -rf") }
        #expect(throws: TextError.self) { try Tokenizer(settings: TokenizerSettings(lang: "de", joiner: "@@")) }
        #expect(throws: TextError.self) { try Tokenizer(settings: TokenizerSettings(lang: "de", joiner: " ")) }
    }
}

import Foundation
