/// Bounded min-heap that keeps the `capacity` largest (score, index) pairs seen.
/// Ties prefer the smaller index, so results are deterministic. Used by the beam search for
/// partial selection over K×V candidates; usable for any top-k over score rows.
public struct TopK: Sendable {
    public struct Entry: Sendable, Equatable { public var score: Float; public var index: Int }
    public let capacity: Int
    public private(set) var heap: [Entry] = []

    public init(capacity: Int) {
        self.capacity = capacity
        heap.reserveCapacity(capacity)
    }

    public mutating func reset() { heap.removeAll(keepingCapacity: true) }

    /// a is "worse" than b (belongs nearer the heap top).
    @inline(__always)
    static func worse(_ a: Entry, _ b: Entry) -> Bool {
        a.score < b.score || (a.score == b.score && a.index > b.index)
    }

    /// Offers values[i] + rowBase for i in 0..<count, with indices baseIndex + i.
    @inline(__always)
    public mutating func push(rowBase: Float, values: UnsafePointer<Float>, count: Int, baseIndex: Int) {
        var i = 0
        // Fill phase.
        while heap.count < capacity && i < count {
            let e = Entry(score: rowBase + values[i], index: baseIndex + i)
            heap.append(e)
            siftUp(heap.count - 1)
            i += 1
        }
        if i == count { return }
        var minScore = heap[0].score
        while i < count {
            let s = rowBase + values[i]
            // Later indices lose ties, so only strictly better values enter.
            if s > minScore {
                heap[0] = Entry(score: s, index: baseIndex + i)
                siftDown(0)
                minScore = heap[0].score
            }
            i += 1
        }
    }

    @inline(__always)
    private mutating func siftUp(_ j0: Int) {
        var j = j0
        while j > 0 {
            let p = (j - 1) / 2
            if TopK.worse(heap[j], heap[p]) { heap.swapAt(j, p); j = p } else { break }
        }
    }

    @inline(__always)
    private mutating func siftDown(_ j0: Int) {
        var j = j0
        let n = heap.count
        while true {
            let l = 2 * j + 1, r = l + 1
            var m = j
            if l < n && TopK.worse(heap[l], heap[m]) { m = l }
            if r < n && TopK.worse(heap[r], heap[m]) { m = r }
            if m == j { return }
            heap.swapAt(j, m)
            j = m
        }
    }

    /// The kept entries, best first (ties: smaller index first).
    public func sortedDescending() -> [Entry] {
        heap.sorted { TopK.worse($1, $0) }
    }
}
