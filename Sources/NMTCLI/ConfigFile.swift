// --config FILE for the command-line tools: a YAML mapping whose keys are the long flag names
// (as Marian and OpenNMT-py users write their configs). The file becomes command-line arguments
// placed before the real ones, so ArgumentParser checks every value, and a flag given on the
// command line wins (a key whose flag is on the command line is left out). Unknown keys and
// values of the wrong kind are errors naming the file and the line.
//
// Which keys exist, and which are flags (true/false) rather than options with a value, is read
// from the command's own help (`OptionTable(help:)`), so the file always knows every flag.
// A run record (nmt-train's run.json: JSON is YAML) is a config too: its "command" mapping holds
// every option of the run, so `nmt-train --config RUN/run.json -o NEW` starts a run like it.

import Foundation
import Yams

/// The long option names of a command, as its help lists them.
public struct OptionTable: Sendable, Equatable {
    /// Options that take a value.
    public var options: Set<String>
    /// Flags (no value); `inverted` holds those that also have a --no- form.
    public var flags: Set<String>
    public var inverted: Set<String>
    /// Options that may be given several times (a YAML list).
    public var repeatable: Set<String>

    public init(options: Set<String>, flags: Set<String> = [], inverted: Set<String> = [], repeatable: Set<String> = []) {
        self.options = options; self.flags = flags; self.inverted = inverted; self.repeatable = repeatable
    }

    /// Reads the OPTIONS lines of an ArgumentParser help text (`helpMessage(columns:)`): each
    /// starts with its names (`-o, --output <output>`, `--force`, `--tie-embeddings/--no-tie-embeddings`).
    public init(help: String) {
        var options = Set<String>(), flags = Set<String>(), inverted = Set<String>(), repeatable = Set<String>()
        var inOptions = false
        for raw in help.split(separator: "\n") {
            if !raw.hasPrefix(" ") { inOptions = raw.hasSuffix("OPTIONS:") }
            // USAGE marks an option that repeats with "...": `--model <model> ...`.
            if raw.hasPrefix("USAGE:") {
                let words = raw.split(separator: " ").map(String.init)
                for i in words.indices.dropLast(2) where words[i].hasPrefix("--") && words[i + 2].hasPrefix("...") {
                    repeatable.insert(String(words[i].dropFirst(2).prefix { $0 != "[" && $0 != "]" }))
                }
            }
            let line = raw.drop { $0 == " " }
            guard inOptions, line.hasPrefix("-"), raw.hasPrefix("  ") else { continue }
            // The names come first (`-o, --output <output>`); the description begins at the
            // first word that is neither a name nor a value placeholder.
            let words = Array(line.split(separator: " ").map(String.init).prefix { $0.hasPrefix("-") || $0.hasPrefix("<") })
            let takesValue = words.contains { $0.hasPrefix("<") }
            for w in words {
                for part in w.split(separator: "/") where part.hasPrefix("--") {
                    let name = String(part.dropFirst(2).prefix { $0 != "," && $0 != "=" })
                    if name == "help" || name == "version" { continue }
                    if name.hasPrefix("no-"), w.contains("/") { inverted.insert(String(name.dropFirst(3))); continue }
                    if takesValue { options.insert(name) } else { flags.insert(name) }
                }
            }
        }
        self.init(options: options, flags: flags, inverted: inverted, repeatable: repeatable)
    }
}

public struct ConfigFileError: Error, CustomStringConvertible {
    public var path: String
    public var line: Int?
    public var message: String
    public init(path: String, line: Int?, message: String) { self.path = path; self.line = line; self.message = message }
    public var description: String { line.map { "\(path):\($0): \(message)" } ?? "\(path): \(message)" }
}

public enum ConfigFile {
    /// What a file stands for: the arguments, and the line of each key (for later errors).
    public struct Expansion {
        public var arguments: [String]
        public var lines: [String: Int]
        public var path: String?
        /// The subcommand a run record names (its "task"), if any.
        public var task: String?
    }

    /// The path given by `--config FILE` or `--config=FILE` (before a `--`).
    public static func path(in arguments: [String]) -> String? {
        var path: String?
        for (i, a) in arguments.enumerated() {
            if a == "--" { break }
            if a == "--config", i + 1 < arguments.count { path = arguments[i + 1] }
            if a.hasPrefix("--config=") { path = String(a.dropFirst("--config=".count)) }
        }
        return path
    }

    /// The file named by --config in `arguments`, as arguments (nil without --config).
    public static func expansion(of arguments: [String], table: OptionTable, aliases: [String: String] = [:]) throws -> Expansion? {
        guard let path = path(in: arguments) else { return nil }
        guard let data = FileManager.default.contents(atPath: path) else { throw ConfigFileError(path: path, line: nil, message: "cannot read it") }
        guard let text = String(data: data, encoding: .utf8) else { throw ConfigFileError(path: path, line: nil, message: "not UTF-8 text") }
        // The flags the command line gives (GivenOptions), a --no-NAME counting as NAME.
        let given = Set(GivenOptions.names(in: arguments, aliases: aliases).map { name in
            name.hasPrefix("no-") && table.inverted.contains(String(name.dropFirst(3))) ? String(name.dropFirst(3)) : name
        })
        var e = try expansion(yaml: text, path: path, table: table, skipping: given)
        e.path = path
        return e
    }

    /// The arguments a YAML text stands for, leaving out the keys in `skipping`.
    public static func expansion(yaml text: String, path: String, table: OptionTable, skipping: Set<String> = []) throws -> Expansion {
        let node: Node?
        do {
            node = try Yams.compose(yaml: text)
        } catch {
            throw ConfigFileError(path: path, line: nil, message: "not YAML (\(error))")
        }
        guard let node else { return Expansion(arguments: [], lines: [:]) }   // an empty file
        guard var mapping = node.mapping else {
            throw ConfigFileError(path: path, line: node.mark.map { $0.line }, message: "expected a mapping of option names to values")
        }
        var task: String?
        // A run record: its "command" holds the options.
        if let command = mapping["command"]?.mapping, mapping["version"] != nil {
            task = mapping["task"]?.string
            mapping = command
        }
        var out: [String] = []
        var lines: [String: Int] = [:]
        let known = table.options.union(table.flags).union(table.inverted).subtracting(["config"])
        for (k, v) in mapping {
            let line = k.mark.map { $0.line }
            guard let key = k.string, known.contains(key) else {
                throw ConfigFileError(path: path, line: line, message: "unknown key '\(k.string ?? "?")' (keys: \(known.sorted().joined(separator: ", ")))")
            }
            lines[key] = line
            if skipping.contains(key) { continue }
            if table.flags.contains(key) || table.inverted.contains(key) {
                guard let s = v.scalar?.string.lowercased(), s == "true" || s == "false" else {
                    throw ConfigFileError(path: path, line: line, message: "\(key): expected true or false")
                }
                if s == "true" { out.append("--" + key) } else if table.inverted.contains(key) { out.append("--no-" + key) }
            } else if let seq = v.sequence {
                guard table.repeatable.contains(key) else {
                    throw ConfigFileError(path: path, line: line, message: "\(key) takes one value, not a list")
                }
                for item in seq {
                    guard let s = item.scalar?.string else {
                        throw ConfigFileError(path: path, line: item.mark.map { $0.line } ?? line, message: "\(key): expected a value")
                    }
                    out += ["--" + key, s]
                }
            } else if let s = v.scalar?.string {
                out += ["--" + key, s]
            } else {
                throw ConfigFileError(path: path, line: line, message: "\(key): expected a value")
            }
        }
        return Expansion(arguments: out, lines: lines, task: task)
    }

    /// An ArgumentParser error message about an option the file gave, as the file's line.
    public static func locate(_ message: String, in e: Expansion) -> ConfigFileError? {
        guard let path = e.path else { return nil }
        for (key, line) in e.lines.sorted(by: { $0.key.count > $1.key.count })
        where message.contains("'--\(key)'") || message.contains("'--\(key) ") || message.contains("--\(key) <") {
            return ConfigFileError(path: path, line: line, message: message)
        }
        return nil
    }
}
