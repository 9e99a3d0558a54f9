import Foundation
import NMTInference
import NMTText
import Testing

/// docs/translate.md's library example is compiled with the tests (TranslateDocExample.swift),
/// equals the doc's block, and runs on a model directory.
@Suite struct DocExampleTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path

    /// The lines of `file` from its first line starting with `import ` to the end.
    static func exampleCode(_ file: String) throws -> String {
        let text = try String(contentsOfFile: file, encoding: .utf8)
        guard let start = text.range(of: "\nimport ") else { return "" }
        return String(text[text.index(after: start.lowerBound)...]).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// The first ```swift … ``` block of a markdown file.
    static func firstSwiftBlock(_ file: String) throws -> String {
        let text = try String(contentsOfFile: file, encoding: .utf8)
        guard let open = text.range(of: "```swift\n"), let close = text.range(of: "\n```", range: open.upperBound..<text.endIndex) else {
            return ""
        }
        return String(text[open.upperBound..<close.lowerBound]).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    @Test func docBlockIsTheCompiledExample() throws {
        let doc = try Self.firstSwiftBlock(Self.root + "/docs/translate.md")
        let code = try Self.exampleCode(Self.root + "/Tests/NMTInferenceTests/TranslateDocExample.swift")
        #expect(!code.isEmpty && doc == code, "docs/translate.md's block differs from TranslateDocExample.swift")
    }

    @Test func exampleRunsOnASavedModel() throws {
        let tiny = try TinyTranslationModel()
        let dir = NSTemporaryDirectory() + "nmt-doc-\(UInt32.random(in: 0 ... .max))"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try ModelDirectory.save(tiny.model, sourceVocab: tiny.src, targetVocab: tiny.tgt, to: dir + "/last")
        let sources = Array(tinySources.prefix(3)) + [""]
        let out = try translateExample(modelDirectory: dir, sources: sources, references: ["a b", "c", "d e", "f"])
        #expect(out.count == 4 && out[3].text == "" && out[0].nBest.count == 2)
    }
}
