// What every executable shares: one error style ("<tool>: error: <message>", one line that
// names the file and line where there is one), warnings, progress lines on a terminal, and a
// closed pipe (`| head`) ending the program quietly with status 0.

import ArgumentParser
import NMTText
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes to standard error unbuffered (one write(2) per message).
public func writeStderr(_ message: String) {
    var s = message
    s.withUTF8 { _ = write(2, $0.baseAddress, $0.count) }
}

/// An executable's voice: its name prefixes every error and warning.
public struct Console: Sendable {
    public let tool: String
    public let stderrIsTerminal: Bool

    public init(_ tool: String) {
        self.tool = tool
        stderrIsTerminal = isatty(2) == 1
    }

    public func warn(_ message: String) { writeStderr("\(tool): warning: \(message)\n") }

    public func error(_ message: String) { writeStderr("\(tool): error: \(message)\n") }

    /// Prints the error and exits with status 1.
    public func fail(_ message: String) -> Never {
        error(message)
        exit(1)
    }

    /// A progress line, redrawn in place; shown only when standard error is a terminal.
    public func progress(_ message: String) {
        guard stderrIsTerminal else { return }
        writeStderr("\r\(message)\u{1B}[K")
    }

    /// Runs a command's body in the house style: a broken pipe exits 0 quietly; ArgumentParser's
    /// exit codes pass through; every other error prints as one line and exits 1.
    public func run(_ body: () throws -> Void) throws {
        signal(SIGPIPE, SIG_IGN)
        signal(SIGXFSZ, SIG_IGN)   // past a file-size limit (ulimit -f), a write fails with an error instead of killing
        do {
            try body()
        } catch let e where Console.isBrokenPipe(e) {
            throw ExitCode(0)
        } catch let e as ExitCode {
            throw e
        } catch {
            self.error("\(error)")
            throw ExitCode(1)
        }
    }

    /// True when writing failed because the reader of the pipe went away.
    public static func isBrokenPipe(_ e: Error) -> Bool {
        if case TextError.brokenPipe = e { return true }
        return false
    }
}
