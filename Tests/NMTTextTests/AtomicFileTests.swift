import Testing
@testable import NMTText

@Suite struct AtomicFileTests {
    @Test func writesAndRefusesToOverwrite() throws {
        let dir = makeTempDir()
        let path = dir + "/out.txt"
        try AtomicFile.write(string: "first\n", to: path)
        #expect(readFile(path) == Array("first\n".utf8))
        #expect(throws: TextError.outputExists(path: path)) { try AtomicFile.write(string: "second\n", to: path) }
        #expect(readFile(path) == Array("first\n".utf8))  // untouched
        try AtomicFile.write(string: "third\n", to: path, force: true)
        #expect(readFile(path) == Array("third\n".utf8))
        #expect(listDir(dir) == ["out.txt"])  // no temporary files left
    }

    struct Boom: Error {}

    @Test func failureLeavesNoPartialFile() throws {
        let dir = makeTempDir()
        let path = dir + "/out.bin"
        #expect(throws: Boom.self) {
            try AtomicFile.write(to: path) { w in
                try w.write(contentsOf: [UInt8](repeating: 7, count: 200_000))  // flushed to the temp file
                throw Boom()
            }
        }
        #expect(listDir(dir) == [])
        // A forced overwrite that fails keeps the old file.
        try AtomicFile.write(string: "old", to: path)
        #expect(throws: Boom.self) { try AtomicFile.write(to: path, force: true) { _ in throw Boom() } }
        #expect(readFile(path) == Array("old".utf8))
        #expect(listDir(dir) == ["out.bin"])
    }

    @Test func missingDirectoryIsAWriteError() throws {
        let path = makeTempDir() + "/no/such/dir/out.txt"
        #expect(throws: TextError.self) { try AtomicFile.write(string: "x", to: path) }
        try AtomicFile.createDirectories(AtomicFile.directoryName(path))
        try AtomicFile.write(string: "x", to: path)
        #expect(readFile(path) == Array("x".utf8))
    }

    @Test func relativePathsInTheCurrentDirectory() {
        #expect(AtomicFile.directoryName("out.txt") == ".")
        #expect(AtomicFile.directoryName("/out.txt") == "/")
        #expect(AtomicFile.directoryName("a/b/out.txt") == "a/b")
    }
}
