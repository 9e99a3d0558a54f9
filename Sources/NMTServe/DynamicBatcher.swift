// Dynamic batching for one model: the sentences of concurrent requests wait at most `maxWait`
// for company and are decoded together, up to `maxBatch` sentences per decoder call, on one
// thread of their own (a Translator is not thread-safe, and decoding must not block the
// server's event loops). The queue is bounded: a request that would take it past `queueLimit`
// sentences is refused at once (the server answers 503) instead of growing memory.
//
// Only requests asking for the same output (n-best size, attention) share a decoder call, so a
// sentence's translation never depends on its neighbours' options. The decoder is batch-invariant
// (beam search per sentence, same kernels), so a shared call gives what nmt-translate gives.
import Foundation
import NMTInference

public enum ServeError: Error, Equatable {
    /// The queue is full (HTTP 503).
    case overloaded(queued: Int, limit: Int)
    /// The server is stopping.
    case stopping
}

public final class DynamicBatcher: @unchecked Sendable {
    /// What one request needs from the decoder.
    public struct Output: Hashable, Sendable {
        public var nBest: Int
        public var attention: Bool
        public init(nBest: Int = 1, attention: Bool = false) { self.nBest = nBest; self.attention = attention }
    }

    private struct Job {
        let sentences: [String]
        let output: Output
        let enqueued: Date
        let done: @Sendable (Result<[Translation], ServeError>) -> Void
    }

    public let maxBatch: Int
    public let maxWait: TimeInterval
    public let queueLimit: Int
    private let translator: Translator
    private let condition = NSCondition()
    private var jobs: [Job] = []
    private var queued = 0
    private var stopping = false
    private var thread: Thread?
    private var calls = 0
    private let observer: @Sendable (_ sentences: Int, _ seconds: Double, _ queued: Int) -> Void

    /// `observer` sees every decoder call: its sentence count, its seconds and the queue left behind.
    public init(translator: Translator, maxBatch: Int, maxWait: TimeInterval, queueLimit: Int,
                observer: @escaping @Sendable (Int, Double, Int) -> Void = { _, _, _ in }) {
        precondition(maxBatch >= 1 && queueLimit >= 1 && maxWait >= 0)
        self.translator = translator
        self.maxBatch = maxBatch
        self.maxWait = maxWait
        self.queueLimit = queueLimit
        self.observer = observer
        translator.options.batchSize = maxBatch
        // The thread holds the batcher until stop() ends it (so it never outlives what it reads).
        let t = Thread { self.loop() }
        t.name = "nmt-serve batcher"
        thread = t
        t.start()
    }

    /// Decoder calls made so far.
    public var decoderCalls: Int {
        condition.lock(); defer { condition.unlock() }
        return calls
    }

    /// Sentences waiting now.
    public var queuedSentences: Int {
        condition.lock(); defer { condition.unlock() }
        return queued
    }

    /// Translations of `sentences` in order; throws `ServeError.overloaded` at once when the queue is full.
    public func translate(_ sentences: [String], output: Output = Output()) async throws -> [Translation] {
        if sentences.isEmpty { return [] }
        return try await withCheckedThrowingContinuation { (c: CheckedContinuation<[Translation], Error>) in
            condition.lock()
            if stopping {
                condition.unlock()
                c.resume(throwing: ServeError.stopping)
                return
            }
            if queued + sentences.count > queueLimit {
                let q = queued
                condition.unlock()
                c.resume(throwing: ServeError.overloaded(queued: q, limit: queueLimit))
                return
            }
            jobs.append(Job(sentences: sentences, output: output, enqueued: Date()) { result in
                switch result {
                case .success(let t): c.resume(returning: t)
                case .failure(let e): c.resume(throwing: e)
                }
            })
            queued += sentences.count
            condition.signal()
            condition.unlock()
        }
    }

    /// Finishes the jobs already queued, then ends the thread; later requests get `.stopping`.
    public func stop() {
        condition.lock()
        stopping = true
        condition.broadcast()
        while thread != nil { condition.wait() }
        condition.unlock()
    }

    private func loop() {
        condition.lock()
        while true {
            while jobs.isEmpty && !stopping { condition.wait() }
            if jobs.isEmpty { break }   // stopping, nothing left
            // Wait for company: until the batch is full or the first job has waited maxWait.
            let deadline = jobs[0].enqueued.addingTimeInterval(maxWait)
            while !stopping && compatibleSentences() < maxBatch {
                if !condition.wait(until: deadline) { break }
            }
            // Take the first job and the later ones with the same output, in order, while they fit.
            let output = jobs[0].output
            var taken: [Job] = [jobs.removeFirst()]
            var count = taken[0].sentences.count
            var i = 0
            while i < jobs.count && count < maxBatch {
                if jobs[i].output == output && count + jobs[i].sentences.count <= maxBatch {
                    count += jobs[i].sentences.count
                    taken.append(jobs.remove(at: i))
                } else {
                    i += 1
                }
            }
            queued -= count
            calls += 1
            let left = queued
            condition.unlock()

            translator.options.nBest = output.nBest
            translator.options.attentionMatrix = output.attention
            let t0 = Date()
            let results = translator.translate(taken.flatMap(\.sentences))
            observer(count, Date().timeIntervalSince(t0), left)
            var start = 0
            for job in taken {
                job.done(.success(Array(results[start ..< start + job.sentences.count])))
                start += job.sentences.count
            }
            condition.lock()
        }
        thread = nil
        condition.broadcast()   // stop() waits for this
        condition.unlock()
    }

    /// Sentences of the queued jobs that could join the first job's call.
    private func compatibleSentences() -> Int {
        let output = jobs[0].output
        return jobs.reduce(0) { $0 + ($1.output == output ? $1.sentences.count : 0) }
    }
}
