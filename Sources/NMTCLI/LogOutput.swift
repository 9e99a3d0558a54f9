// Logs of the tools through swift-log: `--log-level` filters, `--log-format` chooses plain lines
// (what a person reads at a terminal: the message alone, warnings prefixed) or JSON lines (what a
// service's log collector reads: {"time", "level", "label", "message", metadata…}). Both go to
// standard error, one line per record, written whole.

import Foundation
import Logging

public enum LogFormat: String, CaseIterable, Sendable {
    case text, json
}

public struct ToolLogHandler: LogHandler {
    public var logLevel: Logger.Level
    public var metadata: Logger.Metadata = [:]
    public let label: String
    public let format: LogFormat
    /// Before each plain line (e.g. "\r\u{1B}[K" to clear a progress bar on a terminal).
    public let linePrefix: String

    public init(label: String, level: Logger.Level, format: LogFormat, linePrefix: String = "") {
        self.label = label; self.logLevel = level; self.format = format; self.linePrefix = linePrefix
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(level: Logger.Level, message: Logger.Message, metadata extra: Logger.Metadata?, source: String,
                    file: String, function: String, line: UInt) {
        var all = metadata
        if let extra { all.merge(extra) { $1 } }
        let text: String
        switch format {
        case .text:
            let prefix = level >= .warning ? "\(level == .warning ? "warning" : "\(level)"): " : ""
            text = linePrefix + prefix + message.description + "\n"
        case .json:
            var o: [String: Any] = ["time": ISO8601DateFormatter.logTime.string(from: Date()), "level": level.rawValue,
                                    "label": label, "message": message.description]
            for (k, v) in all { o[k] = "\(v)" }
            let data = (try? JSONSerialization.data(withJSONObject: o, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data()
            text = String(decoding: data, as: UTF8.self) + "\n"
        }
        writeStderr(text)
    }
}

extension ISO8601DateFormatter {
    nonisolated(unsafe) static let logTime: ISO8601DateFormatter = {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return f
    }()
}

extension Logger.Level {
    /// The names --log-level accepts.
    public static var names: String { allCases.map(\.rawValue).joined(separator: ", ") }
}
