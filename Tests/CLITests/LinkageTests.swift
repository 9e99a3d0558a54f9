import Foundation
import Testing

/// The house rule "inference never links training", checked on the built binaries: Swift's
/// mangled names carry the module name (`8NMTTrain` for a symbol of NMTTrain).
@Suite struct LinkageTests {
    static func occurrences(of needle: String, inBinary path: String) throws -> Int {
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        let pattern = Data(needle.utf8)
        var count = 0
        var range = data.startIndex..<data.endIndex
        while let r = data.range(of: pattern, in: range) {
            count += 1
            range = r.upperBound..<data.endIndex
        }
        return count
    }

    @Test func inferenceToolsDoNotLinkTheTrainer() throws {
        let dir = URL(fileURLWithPath: nmtVocab).deletingLastPathComponent()
        for tool in ["nmt-translate", "nmt-fill", "nmt-lm"] {
            let path = dir.appendingPathComponent(tool).path
            #expect(try Self.occurrences(of: "12NMTInference", inBinary: path) > 0, "\(tool) should link NMTInference")
            #expect(try Self.occurrences(of: "8NMTTrain", inBinary: path) == 0, "\(tool) links NMTTrain")
        }
        // The check can fail: nmt-train does link it.
        #expect(try Self.occurrences(of: "8NMTTrain", inBinary: dir.appendingPathComponent("nmt-train").path) > 0)
    }
}
