// nmt-serve --config FILE: a YAML mapping whose keys are the long flag names (as Marian and
// OpenNMT-py users write their configs). The file becomes command-line arguments placed before
// the real ones, so ArgumentParser checks every value and a flag given on the command line wins
// (a key whose flag is on the command line is left out). Unknown keys are errors naming the line.
import Foundation
import Yams

public enum ServeConfigFile {
    /// The keys a file may hold: every option of nmt-serve but --config itself.
    public static let keys: [String] = ["model", "host", "port", "beam", "length-penalty", "max-batch", "max-wait-ms",
                                        "queue", "max-body-bytes", "max-chars", "max-sentences", "rate-limit",
                                        "max-alternatives", "api-keys", "threads", "log-level"]
    /// Keys that may repeat on the command line (a YAML list).
    static let lists: Set<String> = ["model"]

    /// `arguments` with the file named by `--config FILE` (or `--config=FILE`) expanded in front.
    public static func expand(_ arguments: [String]) throws -> [String] {
        var path: String?
        for (i, a) in arguments.enumerated() {
            if a == "--" { break }
            if a == "--config", i + 1 < arguments.count { path = arguments[i + 1] }
            if a.hasPrefix("--config=") { path = String(a.dropFirst("--config=".count)) }
        }
        guard let path else { return arguments }
        guard let data = FileManager.default.contents(atPath: path) else { throw ConfigFileError(path: path, line: nil, message: "cannot read it") }
        guard let text = String(data: data, encoding: .utf8) else { throw ConfigFileError(path: path, line: nil, message: "not UTF-8 text") }
        let given = Set(arguments.prefix { $0 != "--" }.compactMap { a -> String? in
            a.hasPrefix("--") ? String(a.dropFirst(2).prefix { $0 != "=" }) : a == "-m" ? "model" : nil
        })
        return try Self.arguments(yaml: text, path: path, skipping: given) + arguments
    }

    /// The arguments a YAML text stands for, leaving out the keys in `skipping`.
    public static func arguments(yaml text: String, path: String, skipping: Set<String> = []) throws -> [String] {
        let node: Node?
        do {
            node = try Yams.compose(yaml: text)
        } catch {
            throw ConfigFileError(path: path, line: nil, message: "not YAML (\(error))")
        }
        guard let node else { return [] }   // an empty file
        guard let mapping = node.mapping else {
            throw ConfigFileError(path: path, line: node.mark.map { $0.line }, message: "expected a mapping of option names to values")
        }
        var out: [String] = []
        for (k, v) in mapping {
            let line = k.mark.map { $0.line }
            guard let key = k.string, keys.contains(key) else {
                throw ConfigFileError(path: path, line: line, message: "unknown key '\(k.string ?? "?")' (keys: \(keys.joined(separator: ", ")))")
            }
            if skipping.contains(key) { continue }
            if let seq = v.sequence {
                guard lists.contains(key) else { throw ConfigFileError(path: path, line: line, message: "\(key) takes one value, not a list") }
                for item in seq {
                    guard let s = item.scalar?.string else { throw ConfigFileError(path: path, line: item.mark.map { $0.line } ?? line, message: "\(key): expected a value") }
                    out += ["--" + key, s]
                }
            } else if let s = v.scalar?.string {
                out += ["--" + key, s]
            } else {
                throw ConfigFileError(path: path, line: line, message: "\(key): expected a value")
            }
        }
        return out
    }
}

public struct ConfigFileError: Error, CustomStringConvertible {
    public var path: String
    public var line: Int?
    public var message: String
    public var description: String { line.map { "\(path):\($0): \(message)" } ?? "\(path): \(message)" }
}
