// Decoding settings chosen on validation data for one model, kept beside it (decoding.json), as
// Marian keeps its decoder.yml: `nmt-translate -m DIR` with no flag then decodes the way the
// model was tuned (its length penalty, at the beam it was tuned with), and a flag given on the
// command line still wins. A checkpoint write replaces the whole model directory, so a file tuned
// for older weights cannot outlive them.
import Foundation
import NMTMetrics
import NMTText

public struct DecodingDefaults: Codable, Equatable, Sendable {
    public static let fileName = ModelDirectory.decodingFile
    public static let formatName = "swift-nmt-decoding"

    /// One point of the grid: a length penalty and the BLEU it gave on the tuning data.
    public struct Trial: Codable, Equatable, Sendable {
        public var lengthPenalty: Float
        public var bleu: Double
        public init(lengthPenalty: Float, bleu: Double) { self.lengthPenalty = lengthPenalty; self.bleu = bleu }
    }

    public var format = formatName
    public var version = 1
    /// GNMT length penalty α used when --length-penalty is not given.
    public var lengthPenalty: Float
    /// The beam the grid was decoded with, used when --beam is not given.
    public var beam: Int
    /// The minimum Bayes risk scale the grid was decoded with (TranslateOptions.mbr), used when
    /// --mbr is not given; absent (nil) when it was off.
    public var mbr: Float?
    /// Where the choice was made (never a test set): source and reference files, as given.
    public var source: String
    public var reference: String
    /// Every value tried, in grid order.
    public var trials: [Trial]

    public init(lengthPenalty: Float, beam: Int, mbr: Float? = nil, source: String, reference: String, trials: [Trial]) {
        self.lengthPenalty = lengthPenalty
        self.beam = beam
        self.mbr = mbr.flatMap { $0 > 0 ? $0 : nil }
        self.source = source
        self.reference = reference
        self.trials = trials
    }

    public static func path(inModelDirectory dir: String) -> String { ModelDirectory.join(dir, fileName) }

    /// The length penalty to decode with: the one `given` on the command line, else the tuned
    /// one, else TranslateOptions' default.
    public static func lengthPenalty(given: Float?, tuned: DecodingDefaults?) -> Float {
        given ?? tuned?.lengthPenalty ?? TranslateOptions().lengthPenalty
    }

    /// The beam to decode with: the one `given`, else the one the penalty was tuned at, else
    /// TranslateOptions' default (a penalty is only the best one at the beam it was chosen with).
    public static func beamSize(given: Int?, tuned: DecodingDefaults?) -> Int {
        given ?? tuned?.beam ?? TranslateOptions().beamSize
    }

    /// The MBR scale to decode with: the one `given`, else the tuned one, else 0 (off).
    public static func mbrScale(given: Float?, tuned: DecodingDefaults?) -> Float {
        given ?? tuned?.mbr ?? TranslateOptions().mbr
    }

    /// The file in model directory `dir`, or nil when there is none. A file that is there but
    /// unreadable is an error naming it (a silent fallback would decode differently than tuned).
    public static func load(modelDirectory dir: String) throws -> DecodingDefaults? {
        let file = path(inModelDirectory: dir)
        guard AtomicFile.fileExists(file) else { return nil }
        guard let data = FileManager.default.contents(atPath: file) else {
            throw DecodingDefaultsError.unreadable(path: file, reason: "cannot read it")
        }
        let value: DecodingDefaults
        do {
            value = try JSONDecoder().decode(DecodingDefaults.self, from: data)
        } catch {
            throw DecodingDefaultsError.unreadable(path: file, reason: "not a decoding settings file (\(error))")
        }
        guard value.format == formatName, value.version == 1 else {
            throw DecodingDefaultsError.unreadable(path: file, reason: "format \(value.format) version \(value.version), expected \(formatName) version 1")
        }
        guard value.lengthPenalty.isFinite, (0...10).contains(value.lengthPenalty), value.beam >= 1 else {
            throw DecodingDefaultsError.unreadable(path: file, reason: "length penalty \(value.lengthPenalty) or beam \(value.beam) out of range")
        }
        if let m = value.mbr, !(m.isFinite && m >= 0) {
            throw DecodingDefaultsError.unreadable(path: file, reason: "mbr \(m) out of range (a number ≥ 0)")
        }
        return value
    }

    /// Writes the file into model directory `dir` atomically (refused if one exists, unless `force`).
    public func write(modelDirectory dir: String, force: Bool) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        try AtomicFile.write(Array(try encoder.encode(self)) + [0x0A], to: Self.path(inModelDirectory: dir), force: force)
    }
}

public enum DecodingDefaultsError: Error, CustomStringConvertible {
    case unreadable(path: String, reason: String)
    case emptyGrid

    public var description: String {
        switch self {
        case let .unreadable(path, reason): return "\(path): \(reason)"
        case .emptyGrid: return "the length-penalty grid is empty"
        }
    }
}

public enum LengthPenaltyTuning {
    /// The grid tried by default: 0 to 2.1 in steps of 0.3 (beyond that, outputs grow too long on
    /// every model tried here).
    public static let defaultGrid: [Float] = [0, 0.3, 0.6, 0.9, 1.2, 1.5, 1.8, 2.1]

    /// Decodes `sources` once per grid value with the translator's other options and scores each
    /// output against `references` (sacreBLEU defaults). `progress` sees each trial as it ends.
    /// The choice is the highest BLEU; a tie goes to the smaller penalty (the earlier of equal values).
    public static func tune(_ translator: Translator, sources: [String], references: [String], grid: [Float],
                            progress: (DecodingDefaults.Trial) -> Void = { _ in }) throws -> (best: Float, trials: [DecodingDefaults.Trial]) {
        guard !grid.isEmpty else { throw DecodingDefaultsError.emptyGrid }
        let saved = translator.options.lengthPenalty
        defer { translator.options.lengthPenalty = saved }
        var trials: [DecodingDefaults.Trial] = []
        for alpha in grid {
            translator.options.lengthPenalty = alpha
            let hypotheses = translator.translate(sources).map(\.text)   // batched by options.batchSize inside
            let trial = DecodingDefaults.Trial(lengthPenalty: alpha, bleu: corpusBLEU(hypotheses: hypotheses, references: [references]).score)
            progress(trial)
            trials.append(trial)
        }
        var best = trials[0]
        for t in trials.dropFirst() where t.bleu > best.bleu || (t.bleu == best.bleu && t.lengthPenalty < best.lengthPenalty) {
            best = t
        }
        return (best.lengthPenalty, trials)
    }
}
