/// Every error the text layer reports. The description is one line that names the file
/// (and the line, where there is one), ready to print after "error: ".
public enum TextError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The file does not exist.
    case fileNotFound(path: String)
    /// The file exists but could not be opened or read (permissions, directory, bad gzip data, ...).
    case cannotRead(path: String, reason: String)
    /// A line is not valid UTF-8. `line` is 1-based; `byteOffset` is the 0-based offset of the
    /// first offending byte in the (decompressed) file; `column` is its 1-based byte position
    /// within the line.
    case invalidUTF8(path: String, line: Int, byteOffset: Int, column: Int)
    /// The input has no content where some is needed (e.g. no tokens to build a vocabulary from).
    case emptyInput(path: String)
    /// Two files that must be line-aligned (a parallel corpus) have different line counts.
    case lineCountMismatch(source: String, sourceLines: Int, target: String, targetLines: Int)
    /// A vocabulary file line that does not parse.
    case malformedVocabulary(path: String, line: Int, reason: String)
    /// A token listed twice in a vocabulary file.
    case duplicateToken(path: String, line: Int, token: String, firstLine: Int)
    /// A subword (BPE merges) file line that does not parse, or a file cut short.
    case malformedSubwords(path: String, line: Int, reason: String)
    /// A vocabulary and the subword model beside it do not belong together (hash mismatch, missing file).
    case subwordMismatch(path: String, reason: String)
    /// The output file exists and overwriting was not requested.
    case outputExists(path: String)
    /// Writing, syncing or renaming the output failed. No partial file is left behind.
    case writeFailed(path: String, reason: String)
    /// The reader of a pipe went away (`| head`): not a failure of ours, a reason to stop quietly.
    case brokenPipe(path: String)
    /// Bad tokenizer or builder settings (unknown normalization, bad language tag, ...).
    case invalidSettings(String)
    /// An ICU call failed.
    case icu(function: String, status: String)

    public var description: String {
        switch self {
        case let .fileNotFound(path):
            return "\(path): no such file"
        case let .cannotRead(path, reason):
            return "\(path): cannot read: \(reason)"
        case let .invalidUTF8(path, line, byteOffset, column):
            return "\(path):\(line): invalid UTF-8 at byte offset \(byteOffset) (byte \(column) of the line)"
        case let .emptyInput(path):
            return "\(path): empty input"
        case let .lineCountMismatch(source, sourceLines, target, targetLines):
            return "\(source) has \(sourceLines) lines but \(target) has \(targetLines): a parallel corpus must be line-aligned"
        case let .malformedVocabulary(path, line, reason):
            return "\(path):\(line): malformed vocabulary line: \(reason)"
        case let .duplicateToken(path, line, token, firstLine):
            return "\(path):\(line): duplicate token \"\(token)\" (first on line \(firstLine))"
        case let .malformedSubwords(path, line, reason):
            return "\(path):\(line): malformed subword merges: \(reason)"
        case let .subwordMismatch(path, reason):
            return "\(path): \(reason)"
        case let .outputExists(path):
            return "\(path): output file exists (use --force to overwrite)"
        case let .writeFailed(path, reason):
            return "\(path): write failed: \(reason)"
        case let .brokenPipe(path):
            return "\(path): broken pipe (the reader closed it)"
        case let .invalidSettings(message):
            return "invalid settings: \(message)"
        case let .icu(function, status):
            return "ICU \(function) failed: \(status)"
        }
    }
}
