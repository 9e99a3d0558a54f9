// Reading the executables' inputs: files (plain or gzip) or standard input, line by line, with
// skipped invalid lines reported by file and line number, so outputs stay aligned with inputs.

import NMTText

public enum Inputs {
    /// Calls `body` with a reader for each file, or for standard input if there are none.
    public static func forEach(_ files: [String], skipInvalid: Bool, _ body: (LineReader) throws -> Void) throws {
        if files.isEmpty {
            try body(try LineReader(standardInputNamed: "<stdin>", skipInvalidUTF8: skipInvalid))
        } else {
            for f in files { try body(try LineReader(path: f, skipInvalidUTF8: skipInvalid)) }
        }
    }

    /// Every line of every input, in order. A line the reader skipped (invalid UTF-8 under
    /// `skipInvalid`) is reported with its file and number, and handed to `skipped` so the
    /// caller can keep its output aligned.
    public static func forEachLine(_ files: [String], skipInvalid: Bool, console: Console, skippedAs what: String,
                                   line: (LineReader, Line) throws -> Void,
                                   skipped: (LineReader, Int) throws -> Void = { _, _ in },
                                   endOfInput: (LineReader) throws -> Void = { _ in }) throws {
        try forEach(files, skipInvalid: skipInvalid) { reader in
            var expected = 1
            func skip(upTo n: Int) throws {
                while expected < n {
                    console.warn("\(reader.path):\(expected): invalid UTF-8, \(what)")
                    try skipped(reader, expected)
                    expected += 1
                }
            }
            while let l = try reader.next() {
                try skip(upTo: l.number)
                expected = l.number + 1
                try line(reader, l)
            }
            try skip(upTo: reader.lineCount + 1)
            try endOfInput(reader)
        }
    }

    /// The lines of every input in chunks of up to `size` (one line at a time when a person types
    /// at a terminal, so each line is answered at once); a skipped invalid line comes as "".
    /// `body` gets the input's name, the chunk's lines and their line numbers.
    public static func forEachChunk(_ files: [String], size: Int, skipInvalid: Bool, console: Console, skippedAs what: String,
                                    _ body: (_ name: String, _ lines: [String], _ numbers: [Int], _ interactive: Bool) throws -> Void) throws {
        var chunk: [String] = [], numbers: [Int] = []
        func flush(_ reader: LineReader) throws {
            if chunk.isEmpty { return }
            try body(reader.path, chunk, numbers, reader.isInteractive)
            chunk.removeAll(keepingCapacity: true)
            numbers.removeAll(keepingCapacity: true)
        }
        try forEachLine(files, skipInvalid: skipInvalid, console: console, skippedAs: what, line: { reader, l in
            chunk.append(l.text); numbers.append(l.number)
            if chunk.count >= size || reader.isInteractive { try flush(reader) }
        }, skipped: { reader, n in
            chunk.append(""); numbers.append(n)
            if chunk.count >= size { try flush(reader) }
        }, endOfInput: flush)
    }

    /// A whole file as lines; with `skipInvalid` an invalid line becomes "" (with a warning naming
    /// it) so line numbers stay aligned.
    public static func readLines(_ path: String, skipInvalid: Bool, console: Console) throws -> [String] {
        var lines: [String] = []
        try forEachLine([path], skipInvalid: skipInvalid, console: console, skippedAs: "used as an empty line",
                        line: { _, l in lines.append(l.text) }, skipped: { _, _ in lines.append("") })
        return lines
    }

    /// Warns once per input that had lines skipped for invalid UTF-8 (the first few numbers).
    public static func reportSkipped(_ reader: LineReader, console: Console) {
        if reader.skippedLineCount > 0 {
            let first = reader.skippedLineNumbers.prefix(5).map(String.init).joined(separator: ", ")
            console.warn("\(reader.path): skipped \(reader.skippedLineCount) line(s) with invalid UTF-8 (line \(first)\(reader.skippedLineCount > 5 ? ", ..." : ""))")
        }
    }
}
