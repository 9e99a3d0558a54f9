// What a training run was started with (data paths and trainer options), saved as
// `run.json` in the output directory so `--resume DIR` needs nothing else.

import Foundation
import NMTLayers
import NMTStore
import NMTText

public struct RunRecord: Codable, Sendable, Equatable {
    public var src: String
    public var tgt: String
    public var validSrc: String?
    public var validTgt: String?
    public var options: TrainerOptions

    public init(src: String, tgt: String, validSrc: String?, validTgt: String?, options: TrainerOptions) {
        self.src = src; self.tgt = tgt; self.validSrc = validSrc; self.validTgt = validTgt; self.options = options
    }

    public static let file = "run.json"

    public func save(_ dir: String) throws {
        let enc = JSONEncoder()
        enc.outputFormatting = [.prettyPrinted, .sortedKeys]
        try AtomicFile.write(Array(try enc.encode(self)) + [0x0A], to: ModelDirectory.join(dir, RunRecord.file), force: true)
    }

    public static func load(_ dir: String) throws -> RunRecord {
        let path = ModelDirectory.join(dir, file)
        guard let data = FileManager.default.contents(atPath: path) else {
            throw CheckpointError.corrupt(path: path, reason: "missing: the run's settings are needed to resume")
        }
        do { return try JSONDecoder().decode(RunRecord.self, from: data) } catch {
            throw CheckpointError.corrupt(path: path, reason: "unreadable run settings (\(error))")
        }
    }
}
