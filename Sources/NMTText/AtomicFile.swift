#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Buffered writing to a file descriptor (64 KiB buffer). Used for standard output by the
/// command-line tools and for the temporary file of `AtomicFile.write`.
public final class BufferedWriter {
    public let name: String
    private let fd: Int32
    private var buffer: [UInt8] = []
    private let limit = 1 << 16

    /// Writes to `fd` (not closed by the writer); `name` is used in errors.
    public init(fileDescriptor fd: Int32, name: String) {
        self.fd = fd
        self.name = name
        buffer.reserveCapacity(limit)
    }

    /// A writer on standard output.
    public static func standardOutput() -> BufferedWriter { BufferedWriter(fileDescriptor: 1, name: "<stdout>") }

    public func write(_ string: String) throws {
        var s = string
        try s.withUTF8 { try write(bytes: $0) }
    }

    public func write(bytes: UnsafeBufferPointer<UInt8>) throws {
        if buffer.count + bytes.count > limit { try flush() }
        if bytes.count >= limit {
            try writeAll(bytes)
        } else {
            buffer.append(contentsOf: bytes)
        }
    }

    public func write<C: Collection>(contentsOf bytes: C) throws where C.Element == UInt8 {
        if let done = try bytes.withContiguousStorageIfAvailable({ try write(bytes: $0) }) { return done }
        try Array(bytes).withUnsafeBufferPointer { try write(bytes: $0) }
    }

    public func flush() throws {
        if buffer.isEmpty { return }
        try buffer.withUnsafeBufferPointer { try writeAll($0) }
        buffer.removeAll(keepingCapacity: true)
    }

    private func writeAll(_ bytes: UnsafeBufferPointer<UInt8>) throws {
        var done = 0
        while done < bytes.count {
            let n = systemWrite(fd, bytes.baseAddress! + done, bytes.count - done)
            if n < 0 {
                if errno == EINTR { continue }
                if errno == EPIPE { throw TextError.brokenPipe(path: name) }
                throw TextError.writeFailed(path: name, reason: String(cString: strerror(errno)))
            }
            done += n
        }
    }
}

/// Crash-safe file writes: the content goes to a temporary file in the same directory, which
/// is fsync'ed and then renamed (or hard-linked, when overwriting is not allowed) into place,
/// and the directory is fsync'ed. A reader never sees a half-written file, and on any failure
/// the temporary file is removed, so no partial file is left behind.
public enum AtomicFile {
    /// Writes `bytes` to `path`. Without `force`, an existing `path` is refused with
    /// `TextError.outputExists` and left untouched.
    public static func write<C: Collection>(_ bytes: C, to path: String, force: Bool = false) throws
    where C.Element == UInt8 {
        try write(to: path, force: force) { try $0.write(contentsOf: bytes) }
    }

    /// Writes `string` (UTF-8) to `path`.
    public static func write(string: String, to path: String, force: Bool = false) throws {
        try write(to: path, force: force) { try $0.write(string) }
    }

    /// Streams content into `path`: `body` writes through the given writer. If `body` throws,
    /// nothing is written to `path` and the error is rethrown.
    public static func write(to path: String, force: Bool = false,
                             _ body: (BufferedWriter) throws -> Void) throws {
        if !force && fileExists(path) { throw TextError.outputExists(path: path) }
        let dir = directoryName(path)
        let base = path.split(separator: "/", omittingEmptySubsequences: false).last.map(String.init) ?? path
        var template = Array((dir == "." && !path.hasPrefix("./") ? "" : dir + "/").utf8CString.dropLast())
        template += Array(".\(base).tmp.XXXXXX".utf8CString)
        let fd = mkstemp(&template)
        if fd < 0 {
            throw TextError.writeFailed(path: path, reason: "cannot create a temporary file in \(dir): \(String(cString: strerror(errno)))")
        }
        let tmp = String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        var committed = false
        var closed = false
        defer {
            if !closed { _ = close(fd) }
            if !committed { unlink(tmp) }
        }
        func fail(_ what: String) -> TextError {
            .writeFailed(path: path, reason: "\(what): \(String(cString: strerror(errno)))")
        }
        _ = fchmod(fd, 0o644)
        let writer = BufferedWriter(fileDescriptor: fd, name: path)
        try body(writer)
        try writer.flush()
        if fsync(fd) != 0 { throw fail("fsync") }
        closed = true
        if close(fd) != 0 { throw fail("close") }
        if force {
            if rename(tmp, path) != 0 { throw fail("rename") }
        } else {
            // link() refuses to replace an existing file, closing the check-then-rename race.
            if link(tmp, path) != 0 {
                if errno == EEXIST { throw TextError.outputExists(path: path) }
                if rename(tmp, path) != 0 { throw fail("rename") }  // file system without hard links
            } else {
                unlink(tmp)
            }
        }
        committed = true
        let dfd = open(dir, O_RDONLY)
        if dfd >= 0 { _ = fsync(dfd); _ = close(dfd) }
    }

    /// True if something exists at `path`.
    public static func fileExists(_ path: String) -> Bool {
        var st = stat()
        return lstat(path, &st) == 0
    }

    /// Creates `path` and its missing parents as directories (like mkdir -p).
    public static func createDirectories(_ path: String) throws {
        if path.isEmpty || path == "." || path == "/" { return }
        var st = stat()
        if stat(path, &st) == 0 {
            if (st.st_mode & S_IFMT) == S_IFDIR { return }
            throw TextError.writeFailed(path: path, reason: "not a directory")
        }
        try createDirectories(directoryName(path))
        if mkdir(path, 0o755) != 0 && errno != EEXIST {
            throw TextError.writeFailed(path: path, reason: "mkdir: \(String(cString: strerror(errno)))")
        }
    }

    /// The directory part of `path` ("." if there is none).
    public static func directoryName(_ path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        if slash == path.startIndex { return "/" }
        return String(path[..<slash])
    }
}

@inline(__always)
private func systemWrite(_ fd: Int32, _ p: UnsafePointer<UInt8>, _ n: Int) -> Int {
    #if canImport(Glibc)
    return Glibc.write(fd, p, n)
    #else
    return Darwin.write(fd, p, n)
    #endif
}
