import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// nmt-translate reading a terminal: each typed line is translated at once, while the input is
/// still open (a pipe is read in large blocks and batched instead).
@Suite struct InteractiveCLITests {
    @Test func aLineTypedAtATerminalIsAnsweredAtOnce() throws {
        let (_, model) = try translateFixture()
        // A pseudo-terminal: the tool's stdin is its slave side, we type into the master.
        // (posix_openpt/ptsname are not imported into Swift: /dev/ptmx with Linux's ioctls
        // TIOCSPTLCK = _IOW('T', 0x31, int) to unlock, TIOCGPTN = _IOR('T', 0x30, unsigned) for the number.)
        let master = open("/dev/ptmx", O_RDWR | O_NOCTTY)
        try #require(master >= 0)
        defer { close(master) }
        var unlock: Int32 = 0, number: UInt32 = 0
        try #require(ioctl(master, UInt(0x4004_5431), &unlock) == 0 && ioctl(master, UInt(0x8004_5430), &number) == 0)
        let slavePath = "/dev/pts/\(number)"
        let slave = FileHandle(forUpdatingAtPath: slavePath)
        try #require(slave != nil)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: nmtTranslate)
        p.arguments = ["-m", model, "--greedy"]
        p.standardInput = slave
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        try slave!.close()
        defer { if p.isRunning { p.terminate() } }

        // Type one line; the translation must arrive while the terminal is still open.
        let typed = "ein hund läuft\n"
        _ = typed.withCString { write(master, $0, strlen($0)) }
        let reader = out.fileHandleForReading
        nonisolated(unsafe) var answer = Data()
        let got = DispatchSemaphore(value: 0)
        DispatchQueue.global().async {
            answer = reader.availableData      // returns as soon as the tool writes something
            got.signal()
        }
        let inTime = got.wait(timeout: .now() + 30) == .success
        #expect(inTime, "no translation within 30 s of typing a line: \(String(decoding: err.fileHandleForReading.availableData, as: UTF8.self))")
        #expect(String(decoding: answer, as: UTF8.self).hasSuffix("\n"), "one whole line: \(String(decoding: answer, as: UTF8.self))")
        #expect(p.isRunning, "the tool waits for the next line")
        // End of input (Ctrl-D) ends the tool normally.
        var eof: UInt8 = 4
        _ = write(master, &eof, 1)
        p.waitUntilExit()
        #expect(p.terminationStatus == 0)
    }
}
