// Several batches decoded at once, each on a thread of its own (nmt-translate --workers N; what
// Marian's --cpu-threads and CTranslate2's inter_threads do). Small per-step products keep two
// engine threads waiting on each other more than they compute (greedy batches of 64 ran 1.54×
// as fast on two threads as on one, session 12); two single-threaded decoders keep both cores
// busy instead.
//
//   batches (longest first) ─► a shared queue ─► worker w: Translator w (this one, or a twin over
//   the same read-only models with scorer buffers of its own), BLASThreads.count ÷ workers
//   threads of its own ─► each batch's translations into their input positions
//
// A batch is decoded exactly as one worker decodes it, so the translations do not depend on the
// number of workers (the test checks it).

import Foundation
import NMTTensor

extension Translator {
    /// Decodes `batches` (indices into `prepared`), writing each sentence's translation into
    /// `results`: one batch after another, or on min(options.workers, batches) threads.
    func decode(_ batches: [[Int]], prepared: [PreparedSource], into results: inout [Translation?]) {
        let workers = min(max(1, options.workers), batches.count)
        if workers <= 1 {
            for idx in batches {
                for (i, t) in zip(idx, translateBatch(idx, prepared: prepared)) { results[i] = t }
            }
            return
        }
        let team = Unchecked([self] + twins(workers - 1))
        let input = Unchecked((batches, prepared))
        let sink = BatchSink(count: batches.count)
        let threads = max(1, BLASThreads.count / workers)   // the threads shared out among the workers
        let done = DispatchGroup()
        for w in 0..<workers {
            done.enter()
            let thread = Thread {
                // A new thread starts with the machine's default OpenMP team: give it its share.
                BLASThreads.setForThisThread(threads)
                let translator = team.value[w], (batches, prepared) = input.value
                while let k = sink.next() {
                    sink.put(k, translator.translateBatch(batches[k], prepared: prepared))
                }
                done.leave()
            }
            thread.stackSize = 8 << 20
            thread.name = "nmt decoding worker \(w + 1)"
            thread.start()
        }
        done.wait()
        for (k, idx) in batches.enumerated() {
            for (i, t) in zip(idx, sink.take(k)) { results[i] = t }
        }
    }

    /// `n` translators over this one's models and vocabularies with its options (one worker each)
    /// and twins of its rescorers: kept for the next call, their options renewed at each.
    private func twins(_ n: Int) -> [Translator] {
        var o = options
        o.workers = 1
        while workerTwins.count < n { workerTwins.append(twin(options: o)) }
        let team = Array(workerTwins.prefix(n))
        for t in team { t.options = o }
        return team
    }

    /// A translator that decodes as this one does, with buffers of its own.
    func twin(options o: TranslateOptions) -> Translator {
        // The models and vocabularies have passed the initializer's checks already.
        let t = try! Translator(model: model, sourceVocab: sourceVocab, targetVocab: targetVocab, options: o,
                                ensemble: Array(models.dropFirst()))
        for (mine, its) in zip(scorer.members, t.scorer.members) {
            its.shortlist = mine.shortlist
            its.suppressedTokens = mine.suppressedTokens
        }
        t.rescorers = rescorers.map { r in
            Rescorer(translator: r.translator.twin(options: r.translator.options), weight: r.weight, name: r.name)
        }
        return t
    }
}

/// A value handed to worker threads that only read it (or, for translators, use one each).
private struct Unchecked<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}

/// The queue of batch numbers and the translations the workers hand back.
private final class BatchSink: @unchecked Sendable {
    private let lock = NSLock()
    private var nextBatch = 0
    private var done: [[Translation]?]

    init(count: Int) { done = Array(repeating: nil, count: count) }

    /// The next batch to decode, nil when all are taken.
    func next() -> Int? {
        lock.lock(); defer { lock.unlock() }
        guard nextBatch < done.count else { return nil }
        nextBatch += 1
        return nextBatch - 1
    }

    func put(_ k: Int, _ translations: [Translation]) {
        lock.lock(); defer { lock.unlock() }
        done[k] = translations
    }

    func take(_ k: Int) -> [Translation] {
        lock.lock(); defer { lock.unlock() }
        return done[k]!
    }
}
