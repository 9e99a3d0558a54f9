// Sampling sentences from a language model: every row starts from <s> (and the tokens of an
// optional prefix), then draws one token at a time from softmax(logits / temperature),
// restricted to the k most probable tokens (top-k) and then to the smallest set whose
// probability reaches p (top-p, nucleus), until </s> or the length limit. Padding, <s>, <mask>
// and <unk> are never drawn. A seed makes the output reproducible; the text is detokenized.

import Foundation
import NMTLayers
import NMTModel
import NMTStore
import NMTTensor
import NMTText

public struct SamplingOptions: Sendable {
    public var count = 5
    public var prefix = ""
    public var temperature: Double = 1
    public var topK = 0          // 0: all tokens
    public var topP: Double = 1  // 1: no nucleus cut
    public var maxLength = 50    // tokens after the prefix
    public var seed: UInt64 = 1
    public init() {}
}

public enum SamplingError: Error, CustomStringConvertible, Equatable {
    case badOption(String)
    public var description: String {
        switch self { case .badOption(let s): return s }
    }
}

public final class LMSampler {
    public let model: LanguageModel
    public let vocab: Vocabulary
    let tokenizer: Tokenizer
    let detokenizer: Detokenizer

    public init(model: LanguageModel, vocab: Vocabulary) throws {
        self.model = model
        self.vocab = vocab
        tokenizer = try vocab.makeTokenizer()
        detokenizer = Detokenizer(joiner: vocab.settings.joiner)
    }

    public convenience init(_ loaded: LoadedModel<LanguageModel>) throws {
        try self.init(model: loaded.model, vocab: loaded.vocab)
    }

    /// `options.count` sentences, each the prefix followed by the sampled continuation.
    public func generate(_ options: SamplingOptions) throws -> [String] {
        guard options.count >= 1 else { throw SamplingError.badOption("--count must be at least 1") }
        guard options.temperature > 0 else { throw SamplingError.badOption("--temperature must be positive") }
        guard options.topK >= 0 else { throw SamplingError.badOption("--top-k must be 0 (all) or positive") }
        guard options.topP > 0 && options.topP <= 1 else { throw SamplingError.badOption("--top-p must be in (0, 1]") }
        let R = options.count, V = model.config.vocab
        let prefixTokens = tokenizer.tokenize(options.prefix)
        let prefixIds = vocab.encode(prefixTokens)
        var rng = RNG(seed: options.seed)
        let state = model.initialState(rows: R)
        var logits = model.step([Int32](repeating: SpecialIds.bos, count: R), state: state)
        for id in prefixIds { logits = model.step([Int32](repeating: id, count: R), state: state) }
        var drawn = [[Int32]](repeating: [], count: R)
        var done = [Bool](repeating: false, count: R)
        var probs = [Double](repeating: 0, count: V)
        var order = [Int](repeating: 0, count: V)
        for _ in 0..<options.maxLength {
            var next = [Int32](repeating: SpecialIds.eos, count: R)
            for r in 0..<R where !done[r] {
                let id = sample(logits.row(r), V: V, options, &probs, &order, &rng)
                if id == SpecialIds.eos { done[r] = true } else { drawn[r].append(id) }
                next[r] = id
            }
            if done.allSatisfy({ $0 }) { break }
            logits = model.step(next, state: state)
        }
        // Subword pieces carry the joiner on their continuation side: the detokenizer glues them.
        return drawn.map { ids in detokenizer.detokenize(prefixTokens + ids.map { vocab.token(for: $0) }) }
    }

    /// One draw from a row of logits under the options.
    func sample(_ z: UnsafePointer<Float>, V: Int, _ o: SamplingOptions, _ p: inout [Double], _ order: inout [Int],
                _ rng: inout RNG) -> Int32 {
        let banned: Set<Int> = [Int(SpecialIds.pad), Int(SpecialIds.bos), Int(SpecialIds.mask), Int(SpecialIds.unk)]
        var m = -Double.infinity
        for j in 0..<V where !banned.contains(j) { m = max(m, Double(z[j]) / o.temperature) }
        var n = 0
        for j in 0..<V where !banned.contains(j) {
            p[j] = exp(Double(z[j]) / o.temperature - m)
            order[n] = j; n += 1
        }
        // Most probable first (ties by id, so the order is reproducible).
        var ids = Array(order[0..<n])
        ids.sort { p[$0] != p[$1] ? p[$0] > p[$1] : $0 < $1 }
        if o.topK > 0 && o.topK < ids.count { ids.removeLast(ids.count - o.topK) }
        var total = ids.reduce(0.0) { $0 + p[$1] }
        if o.topP < 1 {
            var cumulative = 0.0, keep = 0
            for id in ids {
                cumulative += p[id]; keep += 1
                if cumulative >= o.topP * total { break }
            }
            ids.removeLast(ids.count - keep)
            total = ids.reduce(0.0) { $0 + p[$1] }
        }
        var u = Double(rng.nextFloat()) * total
        for id in ids {
            u -= p[id]
            if u < 0 { return Int32(id) }
        }
        return Int32(ids.last!)
    }
}
