// Request bodies as clients send them: JSON, or a URL-encoded form (LibreTranslate accepts both;
// its Python client posts forms). Every problem is an `APIError` with the status to answer.
import Foundation

/// An error answered as `{"error": message}` with `status`.
public struct APIError: Error, Equatable, CustomStringConvertible {
    public var status: Int
    public var message: String
    public init(_ status: Int, _ message: String) { self.status = status; self.message = message }
    public var description: String { "\(status): \(message)" }
}

/// The fields of a body: JSON values, or strings from a form.
public struct RequestFields {
    public let values: [String: Any]

    public init(values: [String: Any]) { self.values = values }

    /// Parses `body` by its content type (JSON unless it says form; a body starting with `{` or
    /// `[` is JSON whatever it says).
    public static func parse(_ body: [UInt8], contentType: String?) throws -> RequestFields {
        guard String(validating: body, as: UTF8.self) != nil else { throw APIError(400, "Invalid request: the body is not valid UTF-8") }
        let type = (contentType ?? "").lowercased()
        let first = body.first { !($0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09) }
        if type.contains("x-www-form-urlencoded") && first != UInt8(ascii: "{") {
            return RequestFields(values: try parseForm(String(decoding: body, as: UTF8.self)))
        }
        if type.contains("multipart/") { throw APIError(400, "Invalid request: send JSON or a URL-encoded form") }
        let json = try parseJSON(body)
        guard let object = json as? [String: Any] else { throw APIError(400, "Invalid request: expected a JSON object") }
        return RequestFields(values: object)
    }

    public static func parseJSON(_ body: [UInt8]) throws -> Any {
        if body.isEmpty { throw APIError(400, "Invalid request: empty body") }
        do {
            return try JSONSerialization.jsonObject(with: Data(body), options: [.fragmentsAllowed])
        } catch {
            throw APIError(400, "Invalid request: malformed JSON")
        }
    }

    static func parseForm(_ text: String) throws -> [String: Any] {
        var out: [String: Any] = [:]
        for pair in text.split(separator: "&", omittingEmptySubsequences: true) {
            let kv = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard let key = decode(kv[0]) else { throw APIError(400, "Invalid request: bad form encoding") }
            guard let value = decode(kv.count > 1 ? kv[1] : "") else { throw APIError(400, "Invalid request: bad form encoding of \(key)") }
            if let existing = out[key] {   // a repeated q: several texts, as a JSON array would give
                out[key] = ((existing as? [String]) ?? [existing as! String]) + [value]
            } else {
                out[key] = value
            }
        }
        return out
    }

    private static func decode(_ s: Substring) -> String? {
        String(s).replacingOccurrences(of: "+", with: " ").removingPercentEncoding
    }

    /// A string field (nil when absent; a number in a form arrives as a string and stays one).
    public func string(_ key: String) throws -> String? {
        guard let v = values[key], !(v is NSNull) else { return nil }
        guard let s = v as? String else { throw APIError(400, "Invalid request: \(key) must be a string") }
        return s
    }

    /// An integer field, from a JSON number or a form's digits.
    public func int(_ key: String) throws -> Int? {
        guard let v = values[key], !(v is NSNull) else { return nil }
        if let s = v as? String {
            guard let n = Int(s.trimmingCharacters(in: .whitespaces)) else { throw APIError(400, "Invalid request: \(key) must be an integer") }
            return n
        }
        if let n = v as? NSNumber, !isBoolean(n), let i = Int(exactly: n.doubleValue) { return i }
        throw APIError(400, "Invalid request: \(key) must be an integer")
    }

    /// A boolean field (JSON true/false, or "true"/"false"/"1"/"0" in a form).
    public func bool(_ key: String) throws -> Bool? {
        guard let v = values[key], !(v is NSNull) else { return nil }
        if let s = v as? String {
            switch s.lowercased() {
            case "true", "1": return true
            case "false", "0", "": return false
            default: throw APIError(400, "Invalid request: \(key) must be true or false")
            }
        }
        if let n = v as? NSNumber, isBoolean(n) { return n.boolValue }
        throw APIError(400, "Invalid request: \(key) must be true or false")
    }

    /// `q`: one text or an array of texts; `wasArray` tells which, for the answer's shape.
    public func texts(_ key: String) throws -> (texts: [String], wasArray: Bool)? {
        guard let v = values[key], !(v is NSNull) else { return nil }
        if let s = v as? String { return ([s], false) }
        if let a = v as? [Any] {
            var out: [String] = []
            for item in a {
                guard let s = item as? String else { throw APIError(400, "Invalid request: \(key) must be a string or an array of strings") }
                out.append(s)
            }
            return (out, true)
        }
        throw APIError(400, "Invalid request: \(key) must be a string or an array of strings")
    }
}

/// JSON true/false arrive as NSNumbers whose type code is "c" (Foundation on Linux and Darwin).
func isBoolean(_ n: NSNumber) -> Bool { String(cString: n.objCType) == "c" }

/// JSON bytes of a value made of dictionaries, arrays, strings and numbers (sorted keys, so
/// answers are reproducible).
public func jsonBytes(_ value: Any) -> [UInt8] {
    let data = (try? JSONSerialization.data(withJSONObject: value, options: [.sortedKeys, .withoutEscapingSlashes, .fragmentsAllowed])) ?? Data("{}".utf8)
    return Array(data)
}
