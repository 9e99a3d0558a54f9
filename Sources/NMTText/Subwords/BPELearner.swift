// Learning BPE merges from word counts (Sennrich et al. 2016, as subword-nmt's learn-bpe):
// every word is a sequence of symbols (its Unicode scalars, the last one word-final); the most
// frequent adjacent pair over the corpus (each word weighted by its count) becomes a new symbol,
// again and again, until `merges` merges are learned or no pair occurs `minFrequency` times.
//
// Incremental and memory-bounded: symbols are dense ids, pair counts live in one dictionary,
// each pair knows the words it occurs in, and a max-heap with lazy deletion yields the next
// pair, so a merge touches only the words that contain it. Ties go to the pair whose symbols
// come first in byte order (deterministic: the same counts give the same merges file).

public struct BPELearner {
    /// Words with their counts (the tokenizer's tokens without the joiner mark).
    public private(set) var wordCounts: [String: Int] = [:]

    public init() {}

    public mutating func add(word: String, count: Int = 1) {
        if !word.isEmpty { wordCounts[word, default: 0] += count }
    }

    /// Adds a token: its joiner mark, if any, is not part of the word.
    public mutating func add(token: String, joiner: String, count: Int = 1) {
        add(word: BPEModel.splitJoiner(token, joiner).word, count: count)
    }

    public func learn(merges maxMerges: Int, minFrequency: Int = 2, progress: ((Int) -> Void)? = nil) -> BPEModel {
        let table = SymbolTable()
        // Words in a fixed order (count descending, then bytes) so ids and ties are reproducible.
        let entries = wordCounts.sorted { a, b in
            a.value != b.value ? a.value > b.value : a.key.utf8.lexicographicallyPrecedes(b.key.utf8)
        }
        var words: [[Int32]] = []
        var freq: [Int] = []
        words.reserveCapacity(entries.count)
        for (word, count) in entries {
            let scalars = Array(word.unicodeScalars)
            var syms: [Int32] = []
            syms.reserveCapacity(scalars.count)
            for (i, s) in scalars.enumerated() {
                syms.append(table.id(i == scalars.count - 1 ? String(s) + BPEModel.endOfWord : String(s)))
            }
            words.append(syms)
            freq.append(count)
        }
        var counts: [UInt64: Int] = [:]
        var whereIs: [UInt64: [Int32]] = [:]
        for (w, syms) in words.enumerated() where syms.count > 1 {
            for i in 0..<(syms.count - 1) {
                let k = BPEModel.key(syms[i], syms[i + 1])
                counts[k, default: 0] += freq[w]
                whereIs[k, default: []].append(Int32(w))
            }
        }
        var heap = PairHeap(table: table)
        for (k, c) in counts { heap.push(count: c, key: k) }
        var merges: [(left: String, right: String)] = []
        var seen = [Int32](repeating: -1, count: words.count)
        while merges.count < maxMerges {
            guard let (count, key) = heap.popValid(counts), count >= minFrequency else { break }
            let a = Int32(truncatingIfNeeded: key >> 32), b = Int32(truncatingIfNeeded: key & 0xFFFF_FFFF)
            let merged = table.id(table.text(a) + table.text(b))
            merges.append((table.text(a), table.text(b)))
            let stamp = Int32(merges.count)
            var changed: Set<UInt64> = []
            for w32 in whereIs[key] ?? [] {
                let w = Int(w32)
                if seen[w] == stamp { continue }
                seen[w] = stamp
                let old = words[w]
                guard old.count > 1 else { continue }
                var out: [Int32] = []
                out.reserveCapacity(old.count)
                var i = 0, hit = false
                while i < old.count {
                    if i < old.count - 1 && old[i] == a && old[i + 1] == b { out.append(merged); i += 2; hit = true } else { out.append(old[i]); i += 1 }
                }
                if !hit { continue }
                let f = freq[w]
                for j in 0..<(old.count - 1) {
                    let k = BPEModel.key(old[j], old[j + 1])
                    counts[k, default: 0] -= f
                    changed.insert(k)
                }
                if out.count > 1 {
                    for j in 0..<(out.count - 1) {
                        let k = BPEModel.key(out[j], out[j + 1])
                        counts[k, default: 0] += f
                        changed.insert(k)
                        whereIs[k, default: []].append(w32)
                    }
                }
                words[w] = out
            }
            counts[key] = nil
            whereIs[key] = nil
            for k in changed {
                if let c = counts[k] {
                    if c <= 0 { counts[k] = nil } else { heap.push(count: c, key: k) }
                }
            }
            if merges.count % 1000 == 0 { progress?(merges.count) }
        }
        return BPEModel(merges: merges)
    }
}

/// Symbol texts ↔ dense ids (a class: the heap reads the table the learner grows).
final class SymbolTable {
    private(set) var texts: [String] = []
    private var ids: [String: Int32] = [:]
    func id(_ s: String) -> Int32 {
        if let i = ids[s] { return i }
        let i = Int32(texts.count)
        texts.append(s)
        ids[s] = i
        return i
    }
    func text(_ i: Int32) -> String { texts[Int(i)] }
}

/// A max-heap of (count, pair) with lazy deletion: an entry whose count is no longer the pair's
/// count is dropped when it surfaces. Ties: the pair whose (left, right) texts come first in byte order.
struct PairHeap {
    let table: SymbolTable
    private var items: [(count: Int, key: UInt64)] = []

    init(table: SymbolTable) { self.table = table }

    private func above(_ x: (count: Int, key: UInt64), _ y: (count: Int, key: UInt64)) -> Bool {
        if x.count != y.count { return x.count > y.count }
        if x.key == y.key { return false }
        let xl = table.text(Int32(truncatingIfNeeded: x.key >> 32)), yl = table.text(Int32(truncatingIfNeeded: y.key >> 32))
        if xl != yl { return xl.utf8.lexicographicallyPrecedes(yl.utf8) }
        let xr = table.text(Int32(truncatingIfNeeded: x.key & 0xFFFF_FFFF)), yr = table.text(Int32(truncatingIfNeeded: y.key & 0xFFFF_FFFF))
        return xr.utf8.lexicographicallyPrecedes(yr.utf8)
    }

    mutating func push(count: Int, key: UInt64) {
        items.append((count, key))
        var i = items.count - 1
        while i > 0 {
            let p = (i - 1) / 2
            if !above(items[i], items[p]) { break }
            items.swapAt(i, p)
            i = p
        }
    }

    private mutating func pop() -> (count: Int, key: UInt64)? {
        guard let top = items.first else { return nil }
        let last = items.removeLast()
        if !items.isEmpty {
            items[0] = last
            var i = 0
            while true {
                let l = 2 * i + 1, r = l + 1
                var m = i
                if l < items.count && above(items[l], items[m]) { m = l }
                if r < items.count && above(items[r], items[m]) { m = r }
                if m == i { break }
                items.swapAt(i, m)
                i = m
            }
        }
        return top
    }

    /// The most frequent pair whose entry is current.
    mutating func popValid(_ counts: [UInt64: Int]) -> (Int, UInt64)? {
        while let top = pop() {
            if counts[top.key] == top.count { return (top.count, top.key) }
        }
        return nil
    }
}

extension BPELearner {
    /// Counts the words of every file (plain or gzip), each tokenized with its own settings.
    public mutating func addFiles(_ files: [(path: String, settings: TokenizerSettings)], skipInvalidUTF8: Bool = false,
                                  progress: ((String, Int) -> Void)? = nil) throws {
        for (path, settings) in files {
            var words = VocabularyBuilder(settings: settings)
            try words.addFile(path, tokenizer: try Tokenizer(settings: settings), skipInvalidUTF8: skipInvalidUTF8) { progress?(path, $0) }
            if words.totalTokens == 0 { throw TextError.emptyInput(path: path) }
            add(words)
        }
    }

    /// Adds the words a vocabulary builder counted (their joiner marks are not part of them).
    public mutating func add(_ words: VocabularyBuilder) {
        for (token, c) in words.counts { add(token: token, joiner: words.settings.joiner, count: c) }
    }
}
