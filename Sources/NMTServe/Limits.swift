// Request limits: sizes per request, requests per client per minute, and optional API keys
// with a character budget per key and minute (LibreTranslate's api_key, its 403 and 429).
import Foundation

public struct RequestLimits: Sendable {
    public var maxBodyBytes = 1 << 20
    public var maxCharacters = 20_000          // per request, all sentences together
    public var maxSentences = 128              // per request
    public var requestsPerMinute = 0           // per client address; 0 = no limit
    public init() {}
}

/// Fixed one-minute windows per key (a client address or an API key): `allow(key, cost)` is
/// false when the key's count in the current minute would pass `limit`.
public final class MinuteCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var window = 0
    private var counts: [String: Int] = [:]
    private let clock: @Sendable () -> Date

    public init(clock: @escaping @Sendable () -> Date = { Date() }) { self.clock = clock }

    public func allow(_ key: String, cost: Int = 1, limit: Int) -> Bool {
        lock.lock(); defer { lock.unlock() }
        let minute = Int(clock().timeIntervalSince1970 / 60)
        if minute != window { window = minute; counts.removeAll(keepingCapacity: true) }   // memory bounded by one minute's keys
        let used = counts[key, default: 0]
        guard used + cost <= limit else { return false }
        counts[key] = used + cost
        return true
    }
}

/// API keys from a file: one key per line, optionally followed by whitespace and the characters
/// it may translate per minute (0 or nothing: no limit); `#` starts a comment.
public struct APIKeys: Sendable {
    public struct Key: Sendable {
        public var secret: [UInt8]
        public var charactersPerMinute: Int
    }
    public let keys: [Key]

    public init(keys: [Key]) { self.keys = keys }

    public static func load(path: String) throws -> APIKeys {
        guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
            throw ServeConfigError.keysFile(path: path, line: 0, reason: "cannot read it as UTF-8 text")
        }
        var keys: [Key] = []
        for (i, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
            let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\r" })
            if fields.isEmpty { continue }
            guard fields.count <= 2 else { throw ServeConfigError.keysFile(path: path, line: i + 1, reason: "expected KEY [CHARACTERS_PER_MINUTE]") }
            guard fields[0].count >= 8 else { throw ServeConfigError.keysFile(path: path, line: i + 1, reason: "a key needs at least 8 characters") }
            var limit = 0
            if fields.count == 2 {
                guard let n = Int(fields[1]), n >= 0 else {
                    throw ServeConfigError.keysFile(path: path, line: i + 1, reason: "\(fields[1]) is not a character count")
                }
                limit = n
            }
            keys.append(Key(secret: Array(fields[0].utf8), charactersPerMinute: limit))
        }
        guard !keys.isEmpty else { throw ServeConfigError.keysFile(path: path, line: 0, reason: "no key in the file") }
        return APIKeys(keys: keys)
    }

    /// The key equal to `candidate`, compared in constant time for a given candidate length:
    /// every key is compared in full, whatever matches.
    public func find(_ candidate: String) -> Int? {
        let c = Array(candidate.utf8)
        var found: Int?
        for (i, k) in keys.enumerated() where APIKeys.constantTimeEqual(k.secret, c) && found == nil {
            found = i
        }
        return found
    }

    static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        var diff = a.count ^ b.count
        let n = max(a.count, b.count)
        for i in 0..<n {
            let x = i < a.count ? a[i] : 0, y = i < b.count ? b[i] : 0
            diff |= Int(x ^ y)
        }
        return diff == 0
    }
}
