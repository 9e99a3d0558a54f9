// Our own elementwise work on the engines' threads' cores: fixed chunks of rows, run on up to
// BLASThreads.count threads while the engines are idle. A chunk's result never depends on the
// thread that ran it, and callers reduce per-chunk (or per-row) results in order, so the
// arithmetic is the same for any thread count.

import Dispatch

public enum Parallel {
    /// Calls `body` on the ranges [0, chunk), [chunk, 2·chunk), … covering 0..<count, on up to
    /// BLASThreads.count threads (in any order, concurrently: `body` must write disjoint memory).
    public static func forEachChunk(_ count: Int, chunk: Int, _ body: (Range<Int>) -> Void) {
        precondition(chunk > 0)
        let chunks = (count + chunk - 1) / chunk
        if chunks <= 1 || BLASThreads.count <= 1 {
            for c in 0..<chunks { body(c * chunk ..< min(count, (c + 1) * chunk)) }
            return
        }
        withoutActuallyEscaping(body) { body in
            nonisolated(unsafe) let run = body
            DispatchQueue.concurrentPerform(iterations: chunks) { c in
                run(c * chunk ..< min(count, (c + 1) * chunk))
            }
        }
    }
}
