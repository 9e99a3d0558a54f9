// What the fuzz targets share: the input as bytes or text, a scratch file per process, and a
// tiny model directory of each kind to load fuzzed files beside.

import Foundation
import NMTInference
import NMTText

public enum Fuzz {
    /// The input as a byte array.
    public static func bytes(_ data: UnsafePointer<UInt8>, _ size: Int) -> [UInt8] {
        Array(UnsafeBufferPointer(start: data, count: size))
    }

    /// The input as text, if it is valid UTF-8.
    public static func text(_ data: UnsafePointer<UInt8>, _ size: Int) -> String? {
        String(validating: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    }

    /// A directory of this process's own, created once.
    public static let scratch: String = {
        let dir = NSTemporaryDirectory() + "nmt-fuzz-\(getpid())"
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }()

    /// Writes `bytes` to `name` in the scratch directory and returns its path.
    public static func file(_ name: String, _ bytes: [UInt8]) -> String {
        let path = scratch + "/" + name
        FileManager.default.createFile(atPath: path, contents: Data(bytes))
        return path
    }

    /// A vocabulary of a few German words, with the default settings.
    public static func vocabulary(lang: String = "de") -> Vocabulary {
        var b = VocabularyBuilder(settings: TokenizerSettings(lang: lang))
        b.add(tokens: ["ein", "hund", "läuft", "über", "die", "wiese", "￭."])
        return try! b.build(minCount: 1)
    }

    /// A saved tiny translation model: its directory (config.json, model.safetensors, vocabularies).
    public static let translationModel: String = {
        let dir = scratch + "/translation-model"
        let v = vocabulary()
        let config = Seq2SeqConfig(sourceVocab: v.count, targetVocab: v.count, embedding: 4, encoderHidden: 4,
                                   decoderHidden: 4, attention: 4, preOutput: 4)
        try! ModelDirectory.save(Seq2Seq(config, seed: 1), vocabularies: ["source": v, "target": v], to: dir)
        return dir
    }()

    /// A copy of the tiny translation model with one of its files replaced by `bytes`.
    public static func translationModel(replacing file: String, with bytes: [UInt8]) -> String {
        let dir = scratch + "/fuzzed-model"
        let fm = FileManager.default
        if !fm.fileExists(atPath: dir) { try! fm.copyItem(atPath: translationModel, toPath: dir) }
        for name in ["config.json", "model.safetensors"] where name != file {
            try? fm.removeItem(atPath: dir + "/" + name)
            try! fm.copyItem(atPath: translationModel + "/" + name, toPath: dir + "/" + name)
        }
        fm.createFile(atPath: dir + "/" + file, contents: Data(bytes))
        return dir
    }

    /// Stops the fuzzer with a finding (a broken property, not a crash of the code under test).
    public static func fail(_ message: String) -> Never {
        FileHandle.standardError.write(Data("property violated: \(message)\n".utf8))
        abort()
    }
}
