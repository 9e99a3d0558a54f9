// Temporary directories for tests, removed when the test process exits.

import Foundation

nonisolated(unsafe) private var temporaryDirectories: [String] = []
private let temporaryDirectoriesLock = NSLock()
private let removeTemporaryDirectoriesAtExit: Void = {
    atexit {
        temporaryDirectoriesLock.lock()
        for dir in temporaryDirectories { try? FileManager.default.removeItem(atPath: dir) }
        temporaryDirectoriesLock.unlock()
    }
}()

/// A fresh empty directory under /tmp named `<prefix>.XXXXXX`, removed (with its contents) when
/// the test process exits.
public func makeTemporaryDirectory(prefix: String) -> String {
    _ = removeTemporaryDirectoriesAtExit
    var template = Array("/tmp/\(prefix).XXXXXX".utf8CString)
    let dir = String(cString: mkdtemp(&template)!)
    temporaryDirectoriesLock.lock()
    temporaryDirectories.append(dir)
    temporaryDirectoriesLock.unlock()
    return dir
}
