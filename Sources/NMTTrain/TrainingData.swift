// Loading a parallel corpus for training: read both sides (plain or .gz), tokenize each with
// its vocabulary's saved settings, map to ids, drop pairs that are too long or have an empty
// side, and count what was dropped.

import NMTText

public struct ParallelData: Sendable {
    public var pairs: [SentencePair] = []
    /// The raw lines kept, in the order of `pairs` (validation needs them for BLEU).
    public var sourceLines: [String] = []
    public var targetLines: [String] = []
    public var droppedEmpty = 0
    public var droppedLong = 0
    public var skippedInvalid = 0
    public var sourceTokens = 0
    public var targetTokens = 0
    public var sourceUnknown = 0
    public var targetUnknown = 0

    public init() {}

    public var summary: String {
        "\(pairs.count) pairs, \(targetTokens) target tokens; dropped \(droppedEmpty) with an empty side, "
            + "\(droppedLong) longer than the limit; skipped \(skippedInvalid) with invalid UTF-8"
    }

    /// Reads `sourcePath`/`targetPath` line by line (they must have as many lines).
    /// Pairs with more than `maxLength` tokens on either side are dropped (0 = no limit).
    /// `reverseTarget`: target ids last token first (a right-to-left model's training data).
    public static func load(sourcePath: String, targetPath: String, sourceVocab: Vocabulary,
                            targetVocab: Vocabulary, maxLength: Int, keepLines: Bool = false,
                            skipInvalidUTF8: Bool = false, reverseTarget: Bool = false) throws -> ParallelData {
        let reader = try ParallelLineReader(sourcePath: sourcePath, targetPath: targetPath, skipInvalidUTF8: skipInvalidUTF8)
        let srcTok = try sourceVocab.makeTokenizer()
        let tgtTok = try targetVocab.makeTokenizer()
        var data = ParallelData()
        while let (s, t) = try reader.next() {
            let src = sourceVocab.encode(srcTok.tokenize(s.text))
            var tgt = targetVocab.encode(tgtTok.tokenize(t.text))
            if reverseTarget { tgt.reverse() }
            if src.isEmpty || tgt.isEmpty { data.droppedEmpty += 1; continue }
            if maxLength > 0 && (src.count > maxLength || tgt.count > maxLength) { data.droppedLong += 1; continue }
            data.pairs.append(SentencePair(source: src, target: tgt))
            data.sourceTokens += src.count
            data.targetTokens += tgt.count
            data.sourceUnknown += src.lazy.filter { $0 == SpecialIds.unk }.count
            data.targetUnknown += tgt.lazy.filter { $0 == SpecialIds.unk }.count
            if keepLines { data.sourceLines.append(s.text); data.targetLines.append(t.text) }
        }
        data.skippedInvalid = reader.skippedPairCount
        return data
    }
}
