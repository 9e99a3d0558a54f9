// An ensemble directory: a directory whose ensemble.json names the model directories of an
// ensemble, so that `nmt-translate -m DIR` alone decodes with all of them (as `-m A -m B` does).
// Written by `nmt-train ensemble`; the training recipe of scripts/run_multi30k.sh trains its
// members inside it (DIR/members/N), so the directory moves as one piece.
//
//   {"format": "swift-nmt-ensemble", "version": 1, "members": ["members/1", "members/2"]}
//
// Version 2 adds rescorers, models that rerank the beam's n-best list (nmt-translate
// --rescore): "rescorers": [{"model": "members/r2l", "weight": 0.5}] (written as version 1
// when there are none, so older programs keep reading what they can decode right).
//
// A member is a model or training directory (its best/, else last/), given relative to the
// ensemble directory (or absolute). Ensembles do not nest. The members' compatibility (one
// source and one target vocabulary) is checked when the ensemble is written and again when
// it is loaded.

import Foundation
import NMTText

/// A rescorer: `model` (a path) and its weight; `MODEL[:WEIGHT]` on command lines.
public struct RescorerRef: Codable, Equatable, Sendable {
    public var model: String
    public var weight: Float

    public init(model: String, weight: Float) { self.model = model; self.weight = weight }

    /// `MODEL[:WEIGHT]`, weight 1 when absent (a path may itself hold ':' when no number follows);
    /// nil when it is not of that form.
    public static func parse(_ spec: String) -> RescorerRef? {
        if let colon = spec.lastIndex(of: ":"), let w = Float(spec[spec.index(after: colon)...]) {
            let path = String(spec[..<colon])
            return path.isEmpty || !w.isFinite ? nil : RescorerRef(model: path, weight: w)
        }
        return spec.isEmpty ? nil : RescorerRef(model: spec, weight: 1)
    }
}

public struct EnsembleFile: Codable, Equatable, Sendable {
    public static let formatName = "swift-nmt-ensemble"
    public static let currentVersion = 2
    public var format: String
    public var version: Int
    public var members: [String]
    public var rescorers: [RescorerRef]?

    public init(members: [String], rescorers: [RescorerRef] = []) {
        format = EnsembleFile.formatName
        version = rescorers.isEmpty ? 1 : 2
        self.members = members
        self.rescorers = rescorers.isEmpty ? nil : rescorers
    }
}

public enum EnsembleDirectory {
    public static let fileName = "ensemble.json"

    public static func file(_ dir: String) -> String { ModelDirectory.join(dir, fileName) }

    /// Whether `path` is an ensemble directory (holds ensemble.json and is not itself a model).
    public static func isEnsemble(_ path: String) -> Bool {
        AtomicFile.fileExists(file(path)) && !AtomicFile.fileExists(ModelDirectory.join(path, ModelDirectory.configFile))
    }

    /// The member directories of the ensemble at `dir`, as paths usable from the current
    /// directory, each checked to hold a model. Errors name ensemble.json and the member.
    public static func members(_ dir: String) throws -> [String] {
        let parsed = try read(dir)
        let path = file(dir)
        guard !parsed.members.isEmpty else { throw ModelDirectoryError.badConfig(path: path, reason: "the ensemble has no members") }
        return try parsed.members.map { try member($0, of: dir) }
    }

    /// The rescorers the ensemble at `dir` records (paths usable from the current directory).
    public static func rescorers(_ dir: String) throws -> [RescorerRef] {
        try (read(dir).rescorers ?? []).map { RescorerRef(model: try member($0.model, of: dir), weight: $0.weight) }
    }

    /// `m` (as ensemble.json holds it) from the current directory, checked to be a model.
    static func member(_ m: String, of dir: String) throws -> String {
        let path = file(dir)
        let member = m.hasPrefix("/") ? m : ModelDirectory.join(dir, m)
        if isEnsemble(member) {
            throw ModelDirectoryError.badConfig(path: path, reason: "member \(m) is itself an ensemble (ensembles do not nest)")
        }
        do {
            _ = try ModelDirectory.resolve(member)
        } catch {
            throw ModelDirectoryError.badConfig(path: path, reason: "member \(m): \(error)")
        }
        return member
    }

    static func read(_ dir: String) throws -> EnsembleFile {
        let path = file(dir)
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ModelDirectoryError.badConfig(path: path, reason: "cannot read the file")
        }
        let parsed: EnsembleFile
        do {
            parsed = try JSONDecoder().decode(EnsembleFile.self, from: data)
        } catch {
            throw ModelDirectoryError.badConfig(path: path, reason: "not a valid ensemble file (\(error))")
        }
        guard parsed.format == EnsembleFile.formatName else {
            throw ModelDirectoryError.badConfig(path: path, reason: "format \"\(parsed.format)\", expected \"\(EnsembleFile.formatName)\"")
        }
        guard parsed.version <= EnsembleFile.currentVersion else {
            throw ModelDirectoryError.badConfig(path: path, reason: "version \(parsed.version) is newer than this program reads (\(EnsembleFile.currentVersion)): update swift-nmt")
        }
        return parsed
    }

    /// Ensembles do not nest: an error naming the first of `paths` that is an ensemble directory.
    public static func refuseNesting(_ paths: [String]) throws {
        for m in paths where isEnsemble(m) {
            throw TextError.invalidSettings("\(m) is itself an ensemble (ensembles do not nest): give its members")
        }
    }

    /// Writes `dir`/ensemble.json naming `members` (paths from the current directory; stored
    /// relative to `dir`). `dir` may exist (it may hold the members); an ensemble or a model
    /// already there is replaced only with `force`, and then the decoding settings chosen for
    /// it (decoding.json) go with it, as a checkpoint write replaces a model's.
    public static func write(members: [String], rescorers: [RescorerRef] = [], to dir: String, force: Bool = false) throws {
        guard !members.isEmpty else { throw TextError.invalidSettings("an ensemble needs at least one member") }
        try refuseNesting(members + rescorers.map(\.model))
        if !force {
            for existing in [file(dir), ModelDirectory.join(dir, ModelDirectory.configFile), ModelDirectory.join(dir, ModelDirectory.decodingFile),
                             ModelDirectory.join(dir, "best"), ModelDirectory.join(dir, "last")] where AtomicFile.fileExists(existing) {
                throw TextError.outputExists(path: existing)
            }
        }
        try AtomicFile.createDirectories(dir)
        let tuned = ModelDirectory.join(dir, ModelDirectory.decodingFile)
        if AtomicFile.fileExists(tuned) { try FileManager.default.removeItem(atPath: tuned) }
        let stored = members.map { relativePath(of: $0, from: dir) }
        let storedRescorers = rescorers.map { RescorerRef(model: relativePath(of: $0.model, from: dir), weight: $0.weight) }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        try AtomicFile.write(Array(try encoder.encode(EnsembleFile(members: stored, rescorers: storedRescorers))) + [0x0A], to: file(dir), force: true)
    }

    /// `path` relative to the directory `base` (both taken from the current directory).
    public static func relativePath(of path: String, from base: String) -> String {
        func components(_ p: String) -> [String] {
            let absolute = p.hasPrefix("/") ? p : FileManager.default.currentDirectoryPath + "/" + p
            var out: [String] = []
            for c in absolute.split(separator: "/") where c != "." && !c.isEmpty {
                if c == ".." { if !out.isEmpty { out.removeLast() } } else { out.append(String(c)) }
            }
            return out
        }
        let p = components(path), b = components(base)
        var common = 0
        while common < min(p.count, b.count) && p[common] == b[common] { common += 1 }
        let parts = Array(repeating: "..", count: b.count - common) + p[common...]
        return parts.isEmpty ? "." : parts.joined(separator: "/")
    }
}

extension ModelDirectory {
    /// The models of `path`: its members when it is an ensemble directory, else the one model.
    public static func loadMembers<Model: StoredModel>(_ path: String, as type: Model.Type) throws -> [LoadedModel<Model>] {
        if EnsembleDirectory.isEnsemble(path) {
            return try EnsembleDirectory.members(path).map { try load($0, as: type) }
        }
        return [try load(path, as: type)]
    }
}
