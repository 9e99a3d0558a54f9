import Foundation
import Testing

/// Debian's chromedriver (package chromium-driver, which brings chromium); scripts/test.sh installs it.
let chromedriver: String? = ["/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver"].first { FileManager.default.isExecutableFile(atPath: $0) }

/// The web page in a real browser: headless Chromium driven through chromedriver (W3C WebDriver
/// over HTTP) loads the page, types a sentence, clicks Translate and reads the translation and the
/// attention picture from the page; a screenshot is written beside the test's files.
@Suite(.serialized) struct ServePageBrowserTests {
    @Test(.enabled(if: chromedriver != nil, "chromium-driver is not installed (scripts/test.sh installs it)"))
    func pageTranslatesInChromium() throws {
        let (dir, model) = try servedModelFixture()
        // A sentence the tiny random model translates to something (it may end some at once).
        write(dir + "/page.de", Array((serveSentences.joined(separator: "\n") + "\n").utf8))
        let outputs = lines(try runTranslate(["-m", model, dir + "/page.de", "--quiet"]).stdout)
        guard let k = outputs.firstIndex(where: { !$0.isEmpty }) else {
            Issue.record("the fixture model translates every sentence to nothing")
            return
        }
        let sentence = serveSentences[k], expected = outputs[k]
        let server = try ServerProcess(["-m", model])
        defer { _ = server.stop() }

        let port = try freeLoopbackPort()
        let driver = Process()
        driver.executableURL = URL(fileURLWithPath: chromedriver!)
        driver.arguments = ["--port=\(port)", "--allowed-ips=127.0.0.1"]
        driver.standardOutput = FileHandle.nullDevice
        driver.standardError = FileHandle.nullDevice
        try driver.run()
        defer { kill(driver.processIdentifier, SIGKILL); driver.waitUntilExit() }   // chromedriver ignores SIGTERM
        let wd = "http://127.0.0.1:\(port)"
        try waitFor(seconds: 60) { (try? wdHTTP("GET", wd + "/status", timeout: 10))?.object["value"] != nil }

        let caps: [String: Any] = ["capabilities": ["alwaysMatch": ["browserName": "chrome", "goog:chromeOptions": [
            "binary": ["/usr/bin/chromium", "/usr/lib/chromium/chromium"].first { FileManager.default.isExecutableFile(atPath: $0) } ?? "/usr/bin/chromium",
            "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1200,900"]]]]]
        let session = try wdHTTP("POST", wd + "/session", body: json(caps))
        guard let sid = (session.object["value"] as? [String: Any])?["sessionId"] as? String else {
            Issue.record("no WebDriver session: \(session.text)")
            return
        }
        let s = wd + "/session/" + sid
        defer { _ = try? wdHTTP("DELETE", s, timeout: 5) }   // closes the browser

        _ = try wdHTTP("POST", s + "/url", body: json(["url": server.base + "/"]))
        let textarea = try element(s, "#source")
        _ = try wdHTTP("POST", s + "/element/\(textarea)/value", body: json(["text": sentence]))
        try waitFor(seconds: 60) { (try? self.element(s, "#pair option")) != nil }   // languages loaded
        _ = try wdHTTP("POST", s + "/element/\(try element(s, "#go"))/click", body: json([String: Any]()))
        let output = try element(s, "#translation")
        var state = ""
        try waitFor(seconds: 60) {   // the page marks the output when the answer is in
            state = ((try? wdHTTP("GET", s + "/element/\(output)/attribute/data-state"))?.object["value"] as? String) ?? ""
            return state == "done" || state == "error"
        }
        let shown = (try wdHTTP("GET", s + "/element/\(output)/text").object["value"] as? String) ?? ""
        let error = (try wdHTTP("GET", s + "/element/\(try element(s, "#error"))/text").object["value"] as? String) ?? ""
        #expect(state == "done" && error.isEmpty, "the page says: \(error)")
        #expect(shown == expected, "page shows \(shown), nmt-translate gives \(expected)")
        #expect((try? element(s, "#attention svg")) != nil, "no attention picture on the page")
        let shot = try wdHTTP("GET", s + "/screenshot")
        let png = Data(base64Encoded: shot.object["value"] as? String ?? "") ?? Data()
        #expect(png.starts(with: [0x89, 0x50, 0x4E, 0x47]), "the screenshot is not a PNG")
        try png.write(to: URL(fileURLWithPath: dir + "/nmt-serve-page.png"))
        if let keep = ProcessInfo.processInfo.environment["NMT_SCREENSHOT"] { try png.write(to: URL(fileURLWithPath: keep)) }
    }

    /// The WebDriver element id of the first match of a CSS selector.
    func element(_ session: String, _ css: String) throws -> String {
        let r = try wdHTTP("POST", session + "/element", body: json(["using": "css selector", "value": css]))
        guard let v = r.object["value"] as? [String: Any], let id = v.values.first as? String, r.status == 200 else {
            throw WebDriverError(message: "\(css): \(r.text)")
        }
        return id
    }
}

struct WebDriverError: Error { var message: String }

/// Polls `condition` every 100 ms until it holds; fails after `seconds`. Synchronous on purpose:
/// an async wait needs a thread of the cooperative pool (one per core), which the other tests'
/// blocking waits can hold for minutes in a full run.
func waitFor(seconds: Double, _ condition: () throws -> Bool) throws {
    let end = Date().addingTimeInterval(seconds)
    while Date() < end {
        if try condition() { return }
        usleep(100_000)
    }
    throw WebDriverError(message: "timed out after \(seconds) s")
}

/// A loopback port free at the moment of asking (the kernel's choice for a port-0 bind).
func freeLoopbackPort() throws -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var addr = sockaddr_in()
    addr.sin_family = sa_family_t(AF_INET)
    addr.sin_addr.s_addr = inet_addr("127.0.0.1")
    addr.sin_port = 0
    var len = socklen_t(MemoryLayout<sockaddr_in>.size)
    let ok = withUnsafeMutablePointer(to: &addr) { p in
        p.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) == 0 && getsockname(fd, $0, &len) == 0 }
    }
    guard ok else { throw WebDriverError(message: "no free port") }
    return Int(UInt16(bigEndian: addr.sin_port))
}


/// A plain HTTP/1.1 request over a socket, "Connection: close", read to the end: for chromedriver,
/// with which Foundation's URLSession (libcurl) spun on this machine instead of answering.
func wdHTTP(_ method: String, _ url: String, body: Data? = nil, timeout: Int = 180) throws -> HTTPAnswer {
    let u = URL(string: url)!
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { throw WebDriverError(message: "socket") }
    defer { close(fd) }
    var tv = timeval(tv_sec: timeout, tv_usec: 0)   // generous: Chromium starts slowly on a loaded machine
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
    var addr = sockaddr_in()
    addr.sin_family = sa_family_t(AF_INET)
    addr.sin_addr.s_addr = inet_addr("127.0.0.1")
    addr.sin_port = UInt16(u.port!).bigEndian
    let connected = withUnsafePointer(to: &addr) { p in
        p.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
    }
    guard connected else { throw WebDriverError(message: "connect \(url)") }
    let payload = body ?? Data()
    var head = "\(method) \(u.path) HTTP/1.1\r\nHost: 127.0.0.1:\(u.port!)\r\nConnection: close\r\n"
    head += "Content-Type: application/json\r\nContent-Length: \(payload.count)\r\n\r\n"
    let request = Data(head.utf8) + payload
    try request.withUnsafeBytes { raw in
        var sent = 0
        while sent < raw.count {
            let n = send(fd, raw.baseAddress! + sent, raw.count - sent, 0)
            guard n > 0 else { throw WebDriverError(message: "send \(url)") }
            sent += n
        }
    }
    // Read the head, then the body by its Content-Length (chromedriver keeps the connection
    // open whatever the request says, so reading to the end would wait for ever).
    var response = Data()
    var buffer = [UInt8](repeating: 0, count: 65536)
    func more() -> Bool {
        let n = recv(fd, &buffer, buffer.count, 0)
        if n <= 0 { return false }
        response.append(contentsOf: buffer[0..<n])
        return true
    }
    while response.range(of: Data("\r\n\r\n".utf8)) == nil { guard more() else { break } }
    guard let split = response.range(of: Data("\r\n\r\n".utf8)) else { throw WebDriverError(message: "no answer from \(url)") }
    let header = String(decoding: response[..<split.lowerBound], as: UTF8.self)
    let status = Int(header.split(separator: " ").dropFirst().first ?? "") ?? 0
    let fields = header.lowercased().split(separator: "\r\n")
    let length = fields.first { $0.hasPrefix("content-length:") }.flatMap { Int($0.dropFirst("content-length:".count).trimmingCharacters(in: .whitespaces)) }
    let chunked = fields.contains { $0.hasPrefix("transfer-encoding:") && $0.contains("chunked") }
    let bodyStart = split.upperBound - response.startIndex
    if let length {
        while response.count - bodyStart < length { guard more() else { break } }
    } else if chunked {
        while response.range(of: Data("\r\n0\r\n\r\n".utf8)) == nil { guard more() else { break } }
    } else {
        while more() {}
    }
    var content = Data(response[(response.startIndex + bodyStart)...])
    if chunked { content = dechunk(content) }
    return HTTPAnswer(status: status, body: content, contentType: "application/json")
}

/// The body of a chunked transfer encoding.
func dechunk(_ data: Data) -> Data {
    var out = Data(), i = data.startIndex
    while let lineEnd = data[i...].range(of: Data("\r\n".utf8)) {
        let size = Int(String(decoding: data[i..<lineEnd.lowerBound], as: UTF8.self).split(separator: ";")[0], radix: 16) ?? 0
        if size == 0 { break }
        let start = lineEnd.upperBound
        out.append(data[start..<min(start + size, data.endIndex)])
        i = min(start + size + 2, data.endIndex)
    }
    return out
}
