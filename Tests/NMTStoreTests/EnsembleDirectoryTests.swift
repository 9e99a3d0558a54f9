import Foundation
import Testing
@testable import NMTStore

/// The paths an ensemble.json stores: relative to the ensemble directory, from any spelling.
@Suite struct EnsembleDirectoryTests {
    @Test func relativePaths() {
        #expect(EnsembleDirectory.relativePath(of: "/a/b/members/1", from: "/a/b") == "members/1")
        #expect(EnsembleDirectory.relativePath(of: "/a/b/./members/../members/2/", from: "/a/b/") == "members/2")
        #expect(EnsembleDirectory.relativePath(of: "/a/x/m", from: "/a/b/c") == "../../x/m")
        #expect(EnsembleDirectory.relativePath(of: "/a/b", from: "/a/b") == ".")
        let cwd = FileManager.default.currentDirectoryPath
        #expect(EnsembleDirectory.relativePath(of: "runs/m1", from: cwd + "/runs/e") == "../m1")
    }

    @Test func badFilesNameThemselves() throws {
        let dir = NSTemporaryDirectory() + "ens-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let file = dir + "/ensemble.json"
        for (text, needle) in [("{\"format\": \"swift-nmt-ensemble\", \"version\": 1, \"members\": []}", "no members"),
                               ("{\"format\": \"other\", \"version\": 1, \"members\": [\"m\"]}", "format \"other\""),
                               ("{\"format\": \"swift-nmt-ensemble\", \"version\": 9, \"members\": [\"m\"]}", "version 9"),
                               ("{\"format\": \"swift-nmt-ensemble\", \"version\": 1, \"members\": [\"m\"]}", "member m"),
                               ("not json", "not a valid ensemble file")] {
            try Data(text.utf8).write(to: URL(fileURLWithPath: file))
            #expect(EnsembleDirectory.isEnsemble(dir))
            do {
                _ = try EnsembleDirectory.members(dir)
                Issue.record("\(text) was accepted")
            } catch {
                #expect("\(error)".hasPrefix(file + ": ") && "\(error)".contains(needle), "\(error)")
            }
        }
        #expect(throws: ModelDirectoryError.ensemble(dir)) { try ModelDirectory.resolve(dir) }
    }
}
