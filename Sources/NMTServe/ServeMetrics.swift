// What /metrics reports, through swift-metrics (the executable bootstraps swift-prometheus):
// requests and errors by API and status, request latency, decoder-call batch sizes, queue depth,
// sentences and target tokens (counters, and per second over the last minute).
import CoreMetrics
import Foundation

public final class ServeMetrics: @unchecked Sendable {
    private let lock = NSLock()
    private var recent: [(second: Int, sentences: Int, tokens: Int)] = []   // one entry per second, the last minute
    private let sentencesPerSecond = Gauge(label: "nmt_sentences_per_second")
    private let tokensPerSecond = Gauge(label: "nmt_tokens_per_second")
    private let latency = CoreMetrics.Timer(label: "nmt_request_duration_seconds")
    private let batchSizes = Recorder(label: "nmt_batch_sentences", aggregate: true)
    private let queue = Gauge(label: "nmt_queue_sentences")
    private let batchSeconds = CoreMetrics.Timer(label: "nmt_batch_duration_seconds")

    public init() {}

    func request(api: String, status: Int, seconds: Double) {
        Counter(label: "nmt_requests_total", dimensions: [("api", api), ("status", String(status))]).increment()
        if status >= 400 { Counter(label: "nmt_errors_total", dimensions: [("api", api), ("status", String(status))]).increment() }
        latency.recordNanoseconds(Int64(seconds * 1e9))
    }

    /// One decoder call of a batcher.
    public func batch(model: String, sentences: Int, seconds: Double, queued: Int) {
        Counter(label: "nmt_decoder_calls_total", dimensions: [("model", model)]).increment()
        batchSizes.record(sentences)
        batchSeconds.recordNanoseconds(Int64(seconds * 1e9))
        queue.record(queued)
    }

    func translated(model: String, sentences: Int, tokens: Int) {
        Counter(label: "nmt_sentences_total", dimensions: [("model", model)]).increment(by: sentences)
        Counter(label: "nmt_target_tokens_total", dimensions: [("model", model)]).increment(by: tokens)
        let second = Int(Date().timeIntervalSince1970)
        lock.lock()
        if recent.last?.second == second {
            recent[recent.count - 1].sentences += sentences
            recent[recent.count - 1].tokens += tokens
        } else {
            recent.append((second, sentences, tokens))
        }
        recent.removeAll { second - $0.second >= 60 }
        let s = recent.reduce(0) { $0 + $1.sentences }, t = recent.reduce(0) { $0 + $1.tokens }
        let span = Double(max(1, second - recent[0].second + 1))
        lock.unlock()
        sentencesPerSecond.record(Double(s) / span)
        tokensPerSecond.record(Double(t) / span)
    }
}
