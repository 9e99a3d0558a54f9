// nmt-serve: a translation server (LibreTranslate- and OpenNMT-py-compatible APIs, a web page,
// dynamic batching, limits, Prometheus metrics). Thin: parse arguments, load the models, start
// Hummingbird; the work is in NMTServe. See docs/serve.md.
import ArgumentParser
import Foundation
import Hummingbird
import Logging
import Metrics
import NMTCLI
import NMTServe
import NMTTensor
import Prometheus
import ServiceLifecycle
#if canImport(Glibc)
import Glibc
#endif

let console = Console("nmt-serve")

@main
struct NMTServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "nmt-serve",
        abstract: "Serve swift-nmt models over HTTP: LibreTranslate and OpenNMT-py APIs, a web page, metrics.",
        discussion: """
            Models load once and are shared. Sentences of concurrent requests for one model are decoded \
            together (--max-batch, --max-wait-ms). SIGTERM or SIGINT stops accepting connections and \
            finishes the requests in flight. With --port 0 the system picks a free port; the first line \
            on standard output says which: "nmt-serve: listening on http://HOST:PORT".
            """)

    @Option(help: ArgumentHelp("A YAML file of options, keys named as the flags (model: a list); flags given here win.", valueName: "FILE"))
    var config: String?

    @Option(name: [.customShort("m"), .long], help: ArgumentHelp("A model: NAME=DIR, or DIR (named SRC-TGT by its vocabularies); repeat for more.", valueName: "NAME=DIR"))
    var model: [String] = []

    @Option(help: "Address to bind (127.0.0.1: this machine only).")
    var host = "127.0.0.1"

    @Option(help: "Port (0: any free port).")
    var port = 5000

    @Option(help: "Beam size (default: each model's decoding.json, else 5).")
    var beam: Int?

    @Option(help: "GNMT length penalty α (default: each model's decoding.json, else 0.6).")
    var lengthPenalty: Float?

    @Option(help: ArgumentHelp("Minimum Bayes risk scale (nmt-translate --mbr; 0: off). Default: each model's decoding.json, else 0.", valueName: "SCALE"))
    var mbr: Float?

    @Option(help: "Most sentences in one decoder call.")
    var maxBatch = 32

    @Option(help: "Longest wait, in milliseconds, for other requests to share a decoder call.")
    var maxWaitMs = 5.0

    @Option(help: "Most sentences waiting per model; beyond, requests get 503 at once.")
    var queue = 256

    @Option(help: "Largest request body in bytes (413 beyond).")
    var maxBodyBytes = 1 << 20

    @Option(help: "Most characters per request.")
    var maxChars = 20_000

    @Option(help: "Most lines (sentences) per request.")
    var maxSentences = 128

    @Option(help: "Most requests per minute from one client address (0: no limit).")
    var rateLimit = 0

    @Option(help: "Most alternatives (n-best) a request may ask for; needs --beam above it.")
    var maxAlternatives = 4

    @Option(help: ArgumentHelp("API keys file: 'KEY [CHARACTERS_PER_MINUTE]' per line; then every translation request needs api_key.", valueName: "FILE"))
    var apiKeys: String?

    @Option(help: "BLAS threads (default: all cores).")
    var threads: Int?

    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel = "info"

    @Option(help: "Log lines as text (time, level, message) or as JSON lines for a log collector (text, json).")
    var logFormat = "text"

    /// Expands --config FILE into flags before parsing, so the file's values are checked like flags.
    static func main() async {
        do {
            let arguments = try ServeConfigFile.expand(Array(CommandLine.arguments.dropFirst()))
            var command = try parseAsRoot(arguments)
            if var asyncCommand = command as? AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch let e as ConfigFileError {
            console.error(e.description)
            Foundation.exit(1)
        } catch {
            exit(withError: error)
        }
    }

    func validate() throws {
        if model.isEmpty { throw ValidationError("give at least one --model NAME=DIR (or a config file with model:)") }
        if !(0...65535).contains(port) { throw ValidationError("--port must be 0 to 65535") }
        if (beam ?? 1) < 1 || maxBatch < 1 || queue < 1 || maxBodyBytes < 1 || maxChars < 1 || maxSentences < 1 {
            throw ValidationError("--beam, --max-batch, --queue, --max-body-bytes, --max-chars and --max-sentences must be at least 1")
        }
        if maxWaitMs < 0 || rateLimit < 0 || maxAlternatives < 0 { throw ValidationError("--max-wait-ms, --rate-limit and --max-alternatives must not be negative") }
        if let t = threads, t < 1 { throw ValidationError("--threads must be at least 1") }
        if let m = mbr, !(m.isFinite && m >= 0) { throw ValidationError("--mbr must be a number ≥ 0 (0: off)") }
        if Logger.Level(rawValue: logLevel) == nil { throw ValidationError("--log-level \(logLevel): one of trace, debug, info, notice, warning, error, critical") }
        if LogFormat(rawValue: logFormat) == nil { throw ValidationError("--log-format \(logFormat): text or json") }
    }

    func run() async throws {
        signal(SIGPIPE, SIG_IGN)
        do {
            try await serve()
        } catch let e as ExitCode {
            throw e
        } catch {
            console.error("\(error)")
            throw ExitCode(1)
        }
    }

    func serve() async throws {
        if let t = threads { BLASThreads.set(t) }
        let level = Logger.Level(rawValue: logLevel)!
        let json = LogFormat(rawValue: logFormat) == .json
        LoggingSystem.bootstrap { label in
            if json { return ToolLogHandler(label: label, level: level, format: .json) }
            var h = StreamLogHandler.standardError(label: label)
            h.logLevel = level
            return h
        }
        let prometheus = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: prometheus)
        factory.valueHistogramBuckets["nmt_batch_sentences"] = [1, 2, 4, 8, 16, 32, 64, 128, 256]
        MetricsSystem.bootstrap(factory)
        let logger = Logger(label: "nmt-serve")

        var settings = DecodeSettings()
        settings.beam = beam
        settings.lengthPenalty = lengthPenalty
        settings.mbr = mbr
        settings.maxBatch = maxBatch
        settings.maxWaitMilliseconds = maxWaitMs
        settings.queueLimit = queue
        settings.maxAlternatives = maxAlternatives
        var limits = RequestLimits()
        limits.maxBodyBytes = maxBodyBytes
        limits.maxCharacters = maxChars
        limits.maxSentences = maxSentences
        limits.requestsPerMinute = rateLimit
        let keys = try apiKeys.map { try APIKeys.load(path: $0) }

        let metrics = ServeMetrics()
        let registry = try ModelRegistry(specs: try model.map { try ModelSpec(parsing: $0) }, settings: settings) { name, n, s, q in
            metrics.batch(model: name, sentences: n, seconds: s, queued: q)
        }
        for m in registry.models {
            logger.info("model \(m.name): \(m.source)→\(m.target) from \(m.directory)")
        }
        let service = TranslationService(registry: registry, limits: limits, keys: keys, metrics: metrics)
        let router = HTTPServer.router(service: service) { prometheus.emitToString() }
        let host = self.host
        let app = Application(
            router: router,
            configuration: .init(address: .hostname(host, port: port), serverName: "nmt-serve"),
            onServerRunning: { channel in
                let bound = channel.localAddress?.port ?? 0
                let line = "nmt-serve: listening on http://\(host):\(bound)\n"
                FileHandle.standardOutput.write(Data(line.utf8))
            },
            logger: logger)
        try await app.runService()
        registry.stop()
        logger.info("stopped")
    }
}
