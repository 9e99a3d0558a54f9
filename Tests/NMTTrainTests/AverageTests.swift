import Foundation
import NMTLayers
import NMTModel
import NMTStore
import NMTText
import NMTTrain
import Testing

/// Checkpoint averaging (ModelAverage): identity for one checkpoint, exact Double means for
/// several, byte-reproducible, and refusals that name the files.
@Suite struct AverageTests {
    func saved(_ dir: String, seed: UInt64, vocab: Vocabulary? = nil) throws -> String {
        let v = try vocab ?? TrainerTests.vocabulary()
        let model = TrainerTests.tinyModel(v, seed: seed)
        try ModelDirectory.save(model, vocabularies: ["source": v, "target": v], to: dir)
        return dir
    }

    func tensors(_ dir: String) throws -> [String: SafetensorsEntry] {
        try Safetensors.decode(Array(FileManager.default.contents(atPath: dir + "/model.safetensors")!)).tensors
    }

    @Test func oneCheckpointIsTheIdentity() throws {
        let root = TrainerTests.tempDir()
        let a = try saved(root + "/a", seed: 3)
        try ModelAverage.average([a], to: root + "/avg")
        #expect(try tensors(root + "/avg") == tensors(a))
        // The copy is a model that loads, with the same vocabularies.
        let loaded = try ModelDirectory.load(root + "/avg", as: Seq2Seq.self)
        #expect(loaded.model.arena.count == TrainerTests.tinyModel(try TrainerTests.vocabulary()).arena.count)
        #expect(!FileManager.default.fileExists(atPath: root + "/avg/optimizer.safetensors"))
    }

    @Test func averageIsTheExactMeanAndReproducible() throws {
        let root = TrainerTests.tempDir()
        let dirs = try [saved(root + "/a", seed: 1), saved(root + "/b", seed: 2), saved(root + "/c", seed: 5)]
        try ModelAverage.average(dirs, to: root + "/avg")
        let inputs = try dirs.map(tensors)
        let avg = try tensors(root + "/avg")
        #expect(avg.keys.sorted() == inputs[0].keys.sorted())
        var checked = 0
        for (name, t) in avg {
            for i in 0..<t.values.count {
                let want = Float((Double(inputs[0][name]!.values[i]) + Double(inputs[1][name]!.values[i])
                                  + Double(inputs[2][name]!.values[i])) / 3)
                #expect(t.values[i] == want, "\(name)[\(i)]")
                checked += 1
                if t.values[i] != want { return }
            }
        }
        #expect(checked > 1000)
        // The same inputs give the same bytes; --force replaces the output.
        try ModelAverage.average(dirs, to: root + "/avg2")
        #expect(FileManager.default.contents(atPath: root + "/avg/model.safetensors")
                == FileManager.default.contents(atPath: root + "/avg2/model.safetensors"))
        #expect(throws: TextError.outputExists(path: root + "/avg")) { try ModelAverage.average(dirs, to: root + "/avg") }
        try ModelAverage.average([dirs[0]], to: root + "/avg", force: true)
        #expect(try tensors(root + "/avg") == inputs[0])
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: root).filter { $0.hasPrefix(".") }
        #expect(leftovers.isEmpty, "\(leftovers)")
    }

    @Test func anotherModelIsRefusedNamingBothConfigs() throws {
        let root = TrainerTests.tempDir()
        let a = try saved(root + "/a", seed: 1)
        let other = try Vocabulary(settings: TokenizerSettings(lang: "en"), entries: (0..<10).map { ("t\($0)", 100) })
        let b = try saved(root + "/b", seed: 2, vocab: other)
        let error = #expect(throws: ModelDirectoryError.self) { try ModelAverage.average([a, b], to: root + "/avg") }
        #expect("\(error!)".contains(b + "/config.json") && "\(error!)".contains(a + "/config.json"), "\(error!)")
        #expect(!FileManager.default.fileExists(atPath: root + "/avg"))
        // A damaged weights file names itself.
        try Data("garbage".utf8).write(to: URL(fileURLWithPath: a + "/model.safetensors"))
        let damaged = #expect(throws: ModelDirectoryError.self) { try ModelAverage.average([a], to: root + "/avg") }
        #expect("\(damaged!)".contains(a + "/model.safetensors"), "\(damaged!)")
    }
}
