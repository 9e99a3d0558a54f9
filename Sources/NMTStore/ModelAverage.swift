// Checkpoint averaging (nmt-train average): the element-wise mean of the weights of several
// model directories of one model (same task, configuration and vocabularies), written as a new
// model directory, as OpenNMT-py's average_models.py and Marian's average.py do.
//
// Exact and reproducible: every element is summed in Double in the order the directories are
// given and divided once, then rounded to Float; averaging one directory returns its weights
// bit for bit. The output is built in a temporary directory beside it and renamed into place;
// an existing output is refused unless `force`.

import Foundation
import NMTLayers
import NMTText

public enum ModelAverage {
    /// Averages the model directories `inputs` (each a directory holding config.json and
    /// model.safetensors) into the model directory `output`. The output gets the first input's
    /// config and vocabulary files (and subword models); training-only files (optimizer state,
    /// training state) are not copied. Returns the number of tensors averaged.
    @discardableResult
    public static func average(_ inputs: [String], to output: String, force: Bool = false) throws -> Int {
        guard let first = inputs.first else { throw TextError.invalidSettings("nothing to average: give at least one model directory") }
        if !force && AtomicFile.fileExists(output) { throw TextError.outputExists(path: output) }
        let reference = try comparableConfig(first)
        let weightsPath = ModelDirectory.join(first, ModelDirectory.weightsFile)
        let firstBytes = try readBytes(weightsPath)
        let order = try wrap(weightsPath) { try Safetensors.names(inFileOrder: firstBytes) }
        let (firstTensors, metadata) = try wrap(weightsPath) { try Safetensors.decode(firstBytes) }
        var sums: [String: [Double]] = [:]
        for (name, t) in firstTensors { sums[name] = t.values.map(Double.init) }
        for dir in inputs.dropFirst() {
            guard try comparableConfig(dir) == reference else {
                throw ModelDirectoryError.badConfig(path: ModelDirectory.join(dir, ModelDirectory.configFile),
                                                    reason: "not the same model as \(ModelDirectory.join(first, ModelDirectory.configFile)) (task, sizes or vocabularies differ): only checkpoints of one model can be averaged")
            }
            let path = ModelDirectory.join(dir, ModelDirectory.weightsFile)
            let bytes = try readBytes(path)
            let tensors = try wrap(path) { try Safetensors.decode(bytes).tensors }
            guard Set(tensors.keys) == Set(firstTensors.keys) else {
                let odd = Set(tensors.keys).symmetricDifference(firstTensors.keys).sorted().first ?? "?"
                throw ModelDirectoryError.weights(path: path, reason: "tensor \(odd) is in one of \(path) and \(weightsPath) only")
            }
            for (name, t) in tensors {
                guard t.shape == firstTensors[name]!.shape else {
                    throw ModelDirectoryError.weights(path: path, reason: "tensor \(name) has shape \(t.shape), \(weightsPath) \(firstTensors[name]!.shape)")
                }
                sums[name]!.withUnsafeMutableBufferPointer { s in
                    for i in 0..<s.count { s[i] += Double(t.values[i]) }
                }
            }
        }
        let n = Double(inputs.count)
        var means: [String: [Float]] = [:]
        for (name, s) in sums {
            let m = s.map { Float($0 / n) }
            guard m.allSatisfy(\.isFinite) else { throw ModelDirectoryError.weights(path: weightsPath, reason: "the average of tensor \(name) is not finite") }
            means[name] = m
        }
        var meta = metadata
        meta["averaged_checkpoints"] = "\(inputs.count)"
        let bytes = withPointers(order.map { (name: $0, shape: firstTensors[$0]!.shape, values: means[$0]!) }) {
            Safetensors.encode($0, metadata: meta)
        }
        try writeDirectory(output, force: force) { tmp in
            for file in try FileManager.default.contentsOfDirectory(atPath: first).sorted()
            where !["model.safetensors", "optimizer.safetensors", "training-state.json"].contains(file) && !file.hasPrefix(".") {
                let src = ModelDirectory.join(first, file)
                var isDir: ObjCBool = false
                guard FileManager.default.fileExists(atPath: src, isDirectory: &isDir), !isDir.boolValue else { continue }
                try AtomicFile.write(try readBytes(src), to: ModelDirectory.join(tmp, file), force: true)
            }
            try AtomicFile.write(bytes, to: ModelDirectory.join(tmp, ModelDirectory.weightsFile), force: true)
        }
        return order.count
    }

    /// config.json without the fields that may differ between checkpoints of one model (the
    /// training corpus paths), as a comparable JSON value.
    static func comparableConfig(_ dir: String) throws -> NSDictionary {
        let path = ModelDirectory.join(dir, ModelDirectory.configFile)
        guard AtomicFile.fileExists(path) else { throw ModelDirectoryError.notAModel(dir) }
        let data = try readBytes(path)
        guard var json = (try? JSONSerialization.jsonObject(with: Data(data))) as? [String: Any] else {
            throw ModelDirectoryError.badConfig(path: path, reason: "not a JSON object")
        }
        json["corpus"] = nil
        return json as NSDictionary
    }

    static func readBytes(_ path: String) throws -> [UInt8] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw TextError.cannotRead(path: path, reason: AtomicFile.fileExists(path) ? "unreadable" : "no such file")
        }
        return Array(data)
    }

    static func wrap<T>(_ path: String, _ body: () throws -> T) throws -> T {
        do { return try body() } catch { throw ModelDirectoryError.weights(path: path, reason: "\(error)") }
    }

    static func withPointers<R>(_ tensors: [(name: String, shape: [Int], values: [Float])],
                                _ body: ([(name: String, shape: [Int], data: UnsafePointer<Float>)]) -> R) -> R {
        // The arrays outlive the call: copy them into one buffer the pointers index.
        let total = tensors.reduce(0) { $0 + $1.values.count }
        let buffer = UnsafeMutablePointer<Float>.allocate(capacity: max(total, 1))
        defer { buffer.deallocate() }
        var list: [(name: String, shape: [Int], data: UnsafePointer<Float>)] = []
        var offset = 0
        for t in tensors {
            t.values.withUnsafeBufferPointer { (buffer + offset).update(from: $0.baseAddress!, count: $0.count) }
            list.append((t.name, t.shape, UnsafePointer(buffer + offset)))
            offset += t.values.count
        }
        return body(list)
    }

    /// Builds directory `path` through `fill` in a temporary directory beside it, then renames
    /// it into place (an existing one, with `force`, is moved aside first and removed after).
    static func writeDirectory(_ path: String, force: Bool, _ fill: (String) throws -> Void) throws {
        let parent = AtomicFile.directoryName(path)
        try AtomicFile.createDirectories(parent)
        let leaf = path.split(separator: "/").last.map(String.init) ?? path
        let tmp = ModelDirectory.join(parent, ".\(leaf).tmp-\(getpid())")
        let old = ModelDirectory.join(parent, ".\(leaf).old-\(getpid())")
        let fm = FileManager.default
        try? fm.removeItem(atPath: tmp)
        do {
            try AtomicFile.createDirectories(tmp)
            try fill(tmp)
        } catch {
            try? fm.removeItem(atPath: tmp)
            throw error
        }
        if AtomicFile.fileExists(path) {
            guard force else { try? fm.removeItem(atPath: tmp); throw TextError.outputExists(path: path) }
            guard rename(path, old) == 0 else {
                try? fm.removeItem(atPath: tmp)
                throw TextError.writeFailed(path: path, reason: "rename: \(String(cString: strerror(errno)))")
            }
        }
        guard rename(tmp, path) == 0 else {
            let reason = String(cString: strerror(errno))
            if AtomicFile.fileExists(old) { _ = rename(old, path) }
            try? fm.removeItem(atPath: tmp)
            throw TextError.writeFailed(path: path, reason: "rename: \(reason)")
        }
        try? fm.removeItem(atPath: old)
        let fd = open(parent, O_RDONLY)
        if fd >= 0 { fsync(fd); close(fd) }
    }
}
