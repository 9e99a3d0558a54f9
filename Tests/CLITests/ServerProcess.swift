import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Testing

/// The built nmt-serve binary, next to nmt-vocab.
let nmtServe: String = URL(fileURLWithPath: nmtVocab).deletingLastPathComponent().appendingPathComponent("nmt-serve").path

/// nmt-serve started for real on a free loopback port (--port 0), stopped with SIGTERM.
final class ServerProcess: @unchecked Sendable {
    let process = Process()
    let port: Int
    private let errPipe = Pipe()
    private let outPipe = Pipe()
    private let stderrText = Collected()

    var base: String { "http://127.0.0.1:\(port)" }

    init(_ args: [String]) throws {
        process.executableURL = URL(fileURLWithPath: nmtServe)
        process.arguments = ["--port", "0"] + args
        process.standardOutput = outPipe
        process.standardError = errPipe
        try process.run()
        let errHandle = errPipe.fileHandleForReading, collected = stderrText
        DispatchQueue.global().async {
            collected.data = errHandle.readDataToEndOfFile()
            collected.done.signal()
        }
        // The first stdout line names the port.
        var line = Data()
        let out = outPipe.fileHandleForReading
        while !line.contains(0x0A) {
            let chunk = out.availableData
            if chunk.isEmpty { break }
            line.append(chunk)
        }
        let text = String(decoding: line, as: UTF8.self)
        guard let r = text.range(of: "listening on http://127.0.0.1:"),
              let p = Int(text[r.upperBound...].prefix { $0.isNumber }) else {
            process.waitUntilExit()
            collected.done.wait()
            throw ServerStartError(output: text + String(decoding: collected.data, as: UTF8.self))
        }
        port = p
    }

    /// SIGTERM, then the exit status and everything written to stderr.
    func stop() -> (status: Int32, reason: Process.TerminationReason, stderr: String) {
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
        if !stderrText.finished { stderrText.done.wait(); stderrText.finished = true }
        return (process.terminationStatus, process.terminationReason, String(decoding: stderrText.data, as: UTF8.self))
    }

    deinit { if process.isRunning { process.terminate(); process.waitUntilExit() } }
}

/// What a reader thread collected, and a signal when it is complete.
final class Collected: @unchecked Sendable {
    var data = Data()
    var finished = false
    let done = DispatchSemaphore(value: 0)
}

struct ServerStartError: Error, CustomStringConvertible {
    var output: String
    var description: String { "nmt-serve did not start: \(output)" }
}

struct HTTPAnswer {
    var status: Int
    var body: Data
    var contentType: String
    var text: String { String(decoding: body, as: UTF8.self) }
    /// The body as JSON (nil if it is not JSON).
    var json: Any? { try? JSONSerialization.jsonObject(with: body, options: [.fragmentsAllowed]) }
    var object: [String: Any] { json as? [String: Any] ?? [:] }
}

/// One session for the tests' requests, with room for 64 concurrent connections to one host.
let testSession: URLSession = {
    let c = URLSessionConfiguration.ephemeral
    c.httpMaximumConnectionsPerHost = 64
    c.timeoutIntervalForRequest = 60
    return URLSession(configuration: c)
}()

/// One HTTP request.
func http(_ method: String, _ url: String, body: Data? = nil, contentType: String = "application/json") async throws -> HTTPAnswer {
    var request = URLRequest(url: URL(string: url)!)
    request.httpMethod = method
    request.timeoutInterval = 60
    if let body {
        request.httpBody = body
        request.setValue(contentType, forHTTPHeaderField: "Content-Type")
    }
    let (data, response) = try await testSession.data(for: request)
    let r = response as! HTTPURLResponse
    return HTTPAnswer(status: r.statusCode, body: data, contentType: r.value(forHTTPHeaderField: "Content-Type") ?? "")
}

func json(_ value: Any) -> Data { try! JSONSerialization.data(withJSONObject: value, options: [.fragmentsAllowed]) }
