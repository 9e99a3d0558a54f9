// Reading and writing parameters in the safetensors format, so PyTorch (safetensors.torch.load_file)
// and other frameworks can load a swift-nmt model as it is:
//
//   8 bytes   little-endian UInt64 N: the length of the JSON header
//   N bytes   JSON: {"<name>": {"dtype": "F32", "shape": [..], "data_offsets": [begin, end]}, ...,
//                    "__metadata__": {"<key>": "<string>", ...}}   (padded with spaces to 8 bytes)
//   the data  raw little-endian Float32 tensors, at the offsets given (relative to the data start)
//
// Tensors are written in the arena's registration order; names and shapes are the arena's.

import Foundation

public enum SafetensorsError: Error, CustomStringConvertible, Equatable {
    case truncated(String)
    case badHeader(String)
    case missingTensor(String)
    case shapeMismatch(name: String, expected: [Int], found: [Int])
    case notFinite(String)
    case unexpectedTensor(String)

    public var description: String {
        switch self {
        case .truncated(let why): return "truncated safetensors file: \(why)"
        case .badHeader(let why): return "corrupt safetensors header: \(why)"
        case .missingTensor(let name): return "tensor \(name) is missing from the weights file"
        case .unexpectedTensor(let name): return "tensor \(name) in the weights file is not part of the model"
        case .shapeMismatch(let name, let e, let f): return "tensor \(name) has shape \(f), the model expects \(e)"
        case .notFinite(let name): return "tensor \(name) holds a NaN or infinite value"
        }
    }
}

public struct SafetensorsEntry: Equatable {
    public var shape: [Int]
    public var values: [Float]
}

public enum Safetensors {
    /// Encodes tensors given as (name, shape, pointer) in this order, with string metadata.
    public static func encode(_ tensors: [(name: String, shape: [Int], data: UnsafePointer<Float>)],
                              metadata: [String: String] = [:]) -> [UInt8] {
        var header = "{"
        var offset = 0
        if !metadata.isEmpty {
            let meta = metadata.keys.sorted().map { "\(jsonString($0)):\(jsonString(metadata[$0]!))" }
            header += "\"__metadata__\":{\(meta.joined(separator: ","))},"
        }
        var parts: [String] = []
        for t in tensors {
            let n = t.shape.reduce(1, *) * 4
            parts.append("\(jsonString(t.name)):{\"dtype\":\"F32\",\"shape\":[\(t.shape.map(String.init).joined(separator: ","))],\"data_offsets\":[\(offset),\(offset + n)]}")
            offset += n
        }
        header += parts.joined(separator: ",") + "}"
        var headerBytes = Array(header.utf8)
        while headerBytes.count % 8 != 0 { headerBytes.append(0x20) }
        var out = [UInt8]()
        out.reserveCapacity(8 + headerBytes.count + offset)
        withUnsafeBytes(of: UInt64(headerBytes.count).littleEndian) { out.append(contentsOf: $0) }
        out.append(contentsOf: headerBytes)
        for t in tensors {
            let n = t.shape.reduce(1, *)
            // Float32 bit patterns are written little-endian (the host order on x86-64 and arm64).
            UnsafeRawBufferPointer(start: UnsafeRawPointer(t.data), count: n * 4).withMemoryRebound(to: UInt8.self) {
                out.append(contentsOf: $0)
            }
        }
        return out
    }

    /// Encodes every parameter of the arena, in registration order.
    public static func encode(_ arena: ParameterArena, metadata: [String: String] = [:]) -> [UInt8] {
        encode(arena.params.map { ($0.name, $0.shape, UnsafePointer(arena.values + $0.offset)) }, metadata: metadata)
    }

    /// Decodes a whole file: tensors by name, and the metadata.
    public static func decode(_ bytes: [UInt8]) throws -> (tensors: [String: SafetensorsEntry], metadata: [String: String]) {
        guard bytes.count >= 8 else { throw SafetensorsError.truncated("\(bytes.count) bytes, fewer than the 8-byte header length") }
        var n: UInt64 = 0
        for i in 0..<8 { n |= UInt64(bytes[i]) << (8 * UInt64(i)) }
        guard n <= UInt64(bytes.count - 8) else { throw SafetensorsError.truncated("header of \(n) bytes in a file of \(bytes.count)") }
        let headerEnd = 8 + Int(n)
        let json: Any
        do {
            json = try JSONSerialization.jsonObject(with: Data(bytes[8..<headerEnd]))
        } catch {
            throw SafetensorsError.badHeader("the header is not JSON")
        }
        guard let dict = json as? [String: Any] else { throw SafetensorsError.badHeader("the header is not a JSON object") }
        let dataCount = bytes.count - headerEnd
        var tensors: [String: SafetensorsEntry] = [:]
        var metadata: [String: String] = [:]
        for (name, value) in dict {
            if name == "__metadata__" {
                guard let m = value as? [String: String] else { throw SafetensorsError.badHeader("__metadata__ is not a string map") }
                metadata = m
                continue
            }
            guard let info = value as? [String: Any],
                  let dtype = info["dtype"] as? String,
                  let shape = (info["shape"] as? [Any])?.compactMap({ ($0 as? NSNumber)?.intValue }),
                  let offs = (info["data_offsets"] as? [Any])?.compactMap({ ($0 as? NSNumber)?.intValue }),
                  offs.count == 2 else {
                throw SafetensorsError.badHeader("entry \(name) lacks dtype, shape or data_offsets")
            }
            guard dtype == "F32" else { throw SafetensorsError.badHeader("tensor \(name) has dtype \(dtype); only F32 is supported") }
            guard shape.allSatisfy({ $0 >= 0 }), offs[0] >= 0, offs[1] >= offs[0] else {
                throw SafetensorsError.badHeader("tensor \(name) has a negative shape or bad offsets")
            }
            let count = shape.reduce(1, *)
            guard offs[1] - offs[0] == count * 4 else {
                throw SafetensorsError.badHeader("tensor \(name): offsets span \(offs[1] - offs[0]) bytes, shape \(shape) needs \(count * 4)")
            }
            guard offs[1] <= dataCount else {
                throw SafetensorsError.truncated("tensor \(name) ends at byte \(offs[1]) of the data, which has \(dataCount)")
            }
            var values = [Float](repeating: 0, count: count)
            values.withUnsafeMutableBytes { dst in
                bytes.withUnsafeBytes { src in
                    dst.copyMemory(from: UnsafeRawBufferPointer(rebasing: src[(headerEnd + offs[0])..<(headerEnd + offs[1])]))
                }
            }
            tensors[name] = SafetensorsEntry(shape: shape, values: values)
        }
        return (tensors, metadata)
    }

    /// The tensors' names in the order of their data in the file (the order they were written),
    /// for tools that rewrite a file tensor by tensor. The file must decode (`decode`).
    public static func names(inFileOrder bytes: [UInt8]) throws -> [String] {
        _ = try decode(bytes)
        var n: UInt64 = 0
        for i in 0..<8 { n |= UInt64(bytes[i]) << (8 * UInt64(i)) }
        let dict = try JSONSerialization.jsonObject(with: Data(bytes[8..<(8 + Int(n))])) as! [String: Any]
        return dict.compactMap { name, value -> (Int, String)? in
            guard name != "__metadata__", let info = value as? [String: Any],
                  let offs = info["data_offsets"] as? [Any], let start = (offs.first as? NSNumber)?.intValue else { return nil }
            return (start, name)
        }.sorted { ($0.0, $0.1) < ($1.0, $1.1) }.map(\.1)
    }

    /// Loads every parameter of `arena` from decoded tensors; names and shapes must match, and
    /// the file may hold no other tensor.
    /// Values must be finite. Nothing in the arena changes unless every tensor checks out.
    public static func load(_ tensors: [String: SafetensorsEntry], into arena: ParameterArena) throws {
        for p in arena.params {
            guard let t = tensors[p.name] else { throw SafetensorsError.missingTensor(p.name) }
            guard t.shape == p.shape else { throw SafetensorsError.shapeMismatch(name: p.name, expected: p.shape, found: t.shape) }
            guard t.values.allSatisfy({ $0.isFinite }) else { throw SafetensorsError.notFinite(p.name) }
        }
        // A tensor the model does not have means the file is another model (its weights would be
        // silently dropped).
        let names = Set(arena.params.map(\.name))
        if let extra = tensors.keys.sorted().first(where: { !names.contains($0) }) { throw SafetensorsError.unexpectedTensor(extra) }
        for p in arena.params {
            tensors[p.name]!.values.withUnsafeBufferPointer { (arena.values + p.offset).update(from: $0.baseAddress!, count: p.count) }
        }
    }

    static func jsonString(_ s: String) -> String {
        var out = "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if u.value < 0x20 { out += String(format: "\\u%04x", u.value) } else { out.unicodeScalars.append(u) }
            }
        }
        return out + "\""
    }
}
