import CZlib
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One line of a text file: its 1-based number and its text (without the line ending;
/// a trailing "\r" before "\n" is dropped too).
public struct Line: Sendable, Equatable {
    public let number: Int
    public let text: String
    public init(number: Int, text: String) {
        self.number = number
        self.text = text
    }
}

/// Streams the lines of a plain-text or gzip file (detected by content, not by name: zlib
/// reads non-gzip files transparently), or of standard input, validating UTF-8.
///
/// ```swift
/// let reader = try LineReader(path: "corpora/multi30k/train.de.gz")
/// while let line = try reader.next() { ... line.number, line.text ... }
/// ```
///
/// A line that is not valid UTF-8 throws `TextError.invalidUTF8` (file, line, byte offset);
/// with `skipInvalidUTF8` it is skipped instead and counted in `skippedLineCount`
/// (line numbers keep counting physical lines, so later lines keep their true numbers).
/// Memory use is bounded by the longest line, not the file size. After an `invalidUTF8` error
/// the bad line has been consumed, so reading can go on (`ParallelLineReader` relies on this).
public final class LineReader {
    /// The name used in errors ("<stdin>" for standard input).
    public let path: String
    public let skipInvalidUTF8: Bool
    /// How many invalid lines were skipped (only with `skipInvalidUTF8`).
    public private(set) var skippedLineCount = 0
    /// The numbers of the first 1,000 skipped lines.
    public private(set) var skippedLineNumbers: [Int] = []
    /// Physical lines consumed so far (including skipped ones).
    public private(set) var lineCount = 0

    private var file: gzFile?
    /// Standard input on a terminal: read with read(2), which returns each line as it is typed
    /// (gzread would wait for a full buffer).
    private var terminalFD: Int32 = -1
    /// True when reading a terminal line by line (callers should answer each line at once).
    public var isInteractive: Bool { terminalFD >= 0 }
    private var buffer: UnsafeMutablePointer<UInt8>
    private var capacity: Int
    private var start = 0          // first unconsumed byte in buffer
    private var end = 0            // one past the last valid byte in buffer
    private var bufferFileOffset = 0  // file offset of buffer[0]
    private var atEOF = false

    /// Opens `path` (plain text or gzip). Throws `TextError.fileNotFound` if it does not exist.
    public init(path: String, skipInvalidUTF8: Bool = false) throws {
        self.path = path
        self.skipInvalidUTF8 = skipInvalidUTF8
        var st = stat()
        if stat(path, &st) != 0 {
            let e = errno
            if e == ENOENT || e == ENOTDIR { throw TextError.fileNotFound(path: path) }
            throw TextError.cannotRead(path: path, reason: String(cString: strerror(e)))
        }
        if (st.st_mode & S_IFMT) == S_IFDIR {
            throw TextError.cannotRead(path: path, reason: "is a directory")
        }
        guard let f = gzopen(path, "rb") else {
            let e = errno
            if e == ENOENT { throw TextError.fileNotFound(path: path) }
            throw TextError.cannotRead(path: path, reason: String(cString: strerror(e)))
        }
        file = f
        gzbuffer(f, 1 << 17)
        capacity = 1 << 17
        buffer = .allocate(capacity: capacity)
    }

    /// Reads standard input (plain or gzip; a terminal line by line), naming it `name` in errors.
    public init(standardInputNamed name: String = "<stdin>", skipInvalidUTF8: Bool = false) throws {
        self.path = name
        self.skipInvalidUTF8 = skipInvalidUTF8
        capacity = 1 << 17
        buffer = .allocate(capacity: capacity)
        let fd = dup(0)
        guard fd >= 0 else { throw TextError.cannotRead(path: name, reason: String(cString: strerror(errno))) }
        if isatty(fd) != 0 {
            terminalFD = fd
            return
        }
        guard let f = gzdopen(fd, "rb") else {
            throw TextError.cannotRead(path: name, reason: String(cString: strerror(errno)))
        }
        file = f
    }

    deinit {
        close()
        buffer.deallocate()
    }

    /// Closes the file early (also done on deinit).
    public func close() {
        if let f = file { gzclose(f) }
        file = nil
        if terminalFD >= 0 {
            #if canImport(Glibc)
            _ = Glibc.close(terminalFD)
            #else
            _ = Darwin.close(terminalFD)
            #endif
        }
        terminalFD = -1
    }

    /// The next line, or nil at the end of the file.
    public func next() throws -> Line? {
        var result: Line?
        let more = try nextBytes { number, bytes in
            result = Line(number: number, text: String(decoding: bytes, as: UTF8.self))
        }
        return more ? result : nil
    }

    /// Lower-level variant of `next()`: calls `body` with the line number and the line's
    /// validated UTF-8 bytes (valid only during the call). Returns false at the end of file.
    @discardableResult
    public func nextBytes(_ body: (Int, UnsafeBufferPointer<UInt8>) throws -> Void) throws -> Bool {
        while true {
            guard let (lineStart, lineEnd, nextStart) = try findLine() else { return false }
            lineCount += 1
            start = nextStart
            var stop = lineEnd
            if stop > lineStart && buffer[stop - 1] == 13 { stop -= 1 }  // CRLF
            let bytes = UnsafeBufferPointer(start: buffer + lineStart, count: stop - lineStart)
            if let bad = firstInvalidUTF8(bytes) {
                if skipInvalidUTF8 {
                    skippedLineCount += 1
                    if skippedLineNumbers.count < 1000 { skippedLineNumbers.append(lineCount) }
                    continue
                }
                throw TextError.invalidUTF8(path: path, line: lineCount,
                                            byteOffset: bufferFileOffset + lineStart + bad,
                                            column: bad + 1)
            }
            try body(lineCount, bytes)
            return true
        }
    }

    /// Calls `body` for every remaining line.
    public func forEach(_ body: (Line) throws -> Void) throws {
        while let line = try next() { try body(line) }
    }

    /// Reads all remaining lines into memory.
    public func readAll() throws -> [Line] {
        var lines: [Line] = []
        while let line = try next() { lines.append(line) }
        return lines
    }

    // Returns (lineStart, lineEnd excluding "\n", start of next line) or nil at EOF.
    private func findLine() throws -> (Int, Int, Int)? {
        var searchFrom = start
        while true {
            if searchFrom < end,
               let p = memchr(buffer + searchFrom, 10, end - searchFrom) {
                let nl = buffer.distance(to: p.assumingMemoryBound(to: UInt8.self))
                return (start, nl, nl + 1)
            }
            searchFrom = end
            if atEOF {
                if start < end { return (start, end, end) }
                return nil
            }
            // Need more data: compact, grow if full, read.
            if start > 0 {
                let live = end - start
                if live > 0 { memmove(buffer, buffer + start, live) }
                bufferFileOffset += start
                searchFrom -= start
                end = live
                start = 0
            }
            if end == capacity {
                let bigger = UnsafeMutablePointer<UInt8>.allocate(capacity: capacity * 2)
                bigger.update(from: buffer, count: end)
                buffer.deallocate()
                buffer = bigger
                capacity *= 2
            }
            try fill()
        }
    }

    private func fill() throws {
        if terminalFD >= 0 {
            var n: Int
            repeat { n = read(terminalFD, buffer + end, capacity - end) } while n < 0 && errno == EINTR
            if n < 0 { throw TextError.cannotRead(path: path, reason: String(cString: strerror(errno))) }
            if n == 0 { atEOF = true }
            end += n
            return
        }
        guard let f = file else { atEOF = true; return }
        let want = UInt32(min(capacity - end, Int(Int32.max)))
        let n = gzread(f, buffer + end, want)
        if n < 0 {
            var code: Int32 = 0
            let msg = String(cString: gzerror(f, &code))
            throw TextError.cannotRead(path: path, reason: code == Z_ERRNO ? String(cString: strerror(errno)) : msg)
        }
        if n == 0 {
            var code: Int32 = 0
            let msg = gzerror(f, &code)
            if code != Z_OK && code != Z_STREAM_END {
                throw TextError.cannotRead(path: path, reason: code == Z_BUF_ERROR
                    ? "unexpected end of gzip data (truncated file?)" : String(cString: msg!))
            }
            atEOF = true
        }
        end += Int(n)
    }
}

/// Index of the first byte of the first invalid UTF-8 sequence, or nil if `bytes` is valid
/// UTF-8 (no overlong forms, no surrogates, nothing above U+10FFFF).
public func firstInvalidUTF8(_ bytes: UnsafeBufferPointer<UInt8>) -> Int? {
    guard let base = bytes.baseAddress else { return nil }
    let n = bytes.count
    var i = 0
    while i < n {
        // ASCII fast path, 8 bytes at a time.
        while i + 8 <= n {
            let word = UnsafeRawPointer(base + i).loadUnaligned(as: UInt64.self)
            if word & 0x8080_8080_8080_8080 != 0 { break }
            i += 8
        }
        if i >= n { break }
        let b0 = base[i]
        if b0 < 0x80 { i += 1; continue }
        @inline(__always) func cont(_ k: Int) -> Bool { i + k < n && base[i + k] & 0xC0 == 0x80 }
        if b0 >= 0xC2 && b0 <= 0xDF {
            guard cont(1) else { return i }
            i += 2
        } else if b0 >= 0xE0 && b0 <= 0xEF {
            guard i + 1 < n else { return i }
            let b1 = base[i + 1]
            let lo: UInt8 = b0 == 0xE0 ? 0xA0 : 0x80
            let hi: UInt8 = b0 == 0xED ? 0x9F : 0xBF
            guard b1 >= lo && b1 <= hi, cont(2) else { return i }
            i += 3
        } else if b0 >= 0xF0 && b0 <= 0xF4 {
            guard i + 1 < n else { return i }
            let b1 = base[i + 1]
            let lo: UInt8 = b0 == 0xF0 ? 0x90 : 0x80
            let hi: UInt8 = b0 == 0xF4 ? 0x8F : 0xBF
            guard b1 >= lo && b1 <= hi, cont(2), cont(3) else { return i }
            i += 4
        } else {
            return i
        }
    }
    return nil
}

/// Reads two line-aligned files (source and target side of a parallel corpus) in step.
/// With `skipInvalidUTF8`, a pair is skipped (and counted) if either side is invalid, so the
/// sides stay aligned. Different line counts throw `TextError.lineCountMismatch`.
public final class ParallelLineReader {
    public let source: LineReader
    public let target: LineReader
    public let skipInvalidUTF8: Bool
    /// Pairs skipped because one side was not valid UTF-8.
    public private(set) var skippedPairCount = 0

    public init(sourcePath: String, targetPath: String, skipInvalidUTF8: Bool = false) throws {
        source = try LineReader(path: sourcePath)
        target = try LineReader(path: targetPath)
        self.skipInvalidUTF8 = skipInvalidUTF8
    }

    /// The next aligned pair (both lines carry the same number), or nil at the end of both files.
    public func next() throws -> (source: Line, target: Line)? {
        while true {
            let (s, sBad) = try read(source)
            let (t, tBad) = try read(target)
            let sEnded = s == nil && !sBad
            let tEnded = t == nil && !tBad
            if sEnded && tEnded { return nil }
            if sEnded || tEnded {
                // Count the rest of the longer file for the message.
                let longer = sEnded ? target : source
                while true {
                    do { if try longer.next() == nil { break } } catch TextError.invalidUTF8 { continue }
                }
                throw TextError.lineCountMismatch(source: source.path, sourceLines: source.lineCount,
                                                  target: target.path, targetLines: target.lineCount)
            }
            if sBad || tBad { skippedPairCount += 1; continue }
            return (s!, t!)
        }
    }

    private func read(_ reader: LineReader) throws -> (Line?, Bool) {
        do {
            return (try reader.next(), false)
        } catch TextError.invalidUTF8 where skipInvalidUTF8 {
            return (nil, true)
        }
    }
}
