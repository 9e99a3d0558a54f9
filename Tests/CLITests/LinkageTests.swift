import Foundation
import Testing

/// The house rule "inference never links training", checked on the built binaries: Swift's
/// mangled names carry the module name (`8NMTTrain` for a symbol of NMTTrain).
@Suite struct LinkageTests {
    /// Occurrences of `needle` in the file (memchr and memcmp: a debug nmt-serve is 70 MB, minutes for Data.range).
    static func occurrences(of needle: String, inBinary path: String) throws -> Int {
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        let pattern = Array(needle.utf8)
        return data.withUnsafeBytes { raw -> Int in
            guard let base = raw.baseAddress, !pattern.isEmpty else { return 0 }
            let end = base + raw.count
            var count = 0, p = base
            while p < end, let hit = memchr(p, Int32(pattern[0]), end - p) {
                let h = UnsafeRawPointer(hit)
                if end - h >= pattern.count && memcmp(h, pattern, pattern.count) == 0 {
                    count += 1
                    p = h + pattern.count
                } else {
                    p = h + 1
                }
            }
            return count
        }
    }

    @Test func inferenceToolsDoNotLinkTheTrainer() throws {
        let dir = URL(fileURLWithPath: nmtVocab).deletingLastPathComponent()
        for tool in ["nmt-translate", "nmt-fill", "nmt-lm", "nmt-serve"] {
            let path = dir.appendingPathComponent(tool).path
            #expect(try Self.occurrences(of: "12NMTInference", inBinary: path) > 0, "\(tool) should link NMTInference")
            #expect(try Self.occurrences(of: "8NMTTrain", inBinary: path) == 0, "\(tool) links NMTTrain")
        }
        // The check can fail: nmt-train does link it.
        #expect(try Self.occurrences(of: "8NMTTrain", inBinary: dir.appendingPathComponent("nmt-train").path) > 0)
    }
}
