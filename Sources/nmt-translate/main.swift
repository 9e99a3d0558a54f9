// nmt-translate: translate files or standard input with a trained swift-nmt model.
// Thin by design: parse arguments, call NMTTrain's Translator, print. See docs/translate.md.
import NMTInference
import NMTLayers
import NMTStore
import ArgumentParser
import NMTCLI
import Foundation
import NMTMetrics
import NMTModel
import NMTTensor
import NMTText
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

let console = Console("nmt-translate")





func f4(_ x: Double) -> String { String(format: "%.4f", x) }

struct NMTTranslate: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "nmt-translate",
        abstract: "Translate text with a swift-nmt model (beam search), score sentence pairs, compute BLEU/chrF.",
        discussion: """
            Reads FILES (plain or gzip) or standard input, writes one translation per input line, in order \
            (an empty or invalid line gives an empty line). On standard input it is a streaming filter: \
            every --batch-size lines are translated and flushed.
            """)

    @Option(name: [.customShort("m"), .long], help: "Model directory (or a training directory: its best/ model).")
    var model: String

    @Argument(help: "Input files (default: standard input).")
    var files: [String] = []

    @Option(name: .shortAndLong, help: "Write the output to this file (atomically; refused if it exists, unless --force).")
    var output: String?

    @Option(help: "Beam size.")
    var beam: Int = 5

    @Flag(help: "Greedy decoding (same as --beam 1).")
    var greedy = false

    @Option(help: "GNMT length penalty α (0 = raw log-probability).")
    var lengthPenalty: Float = 0.6

    @Option(help: "Maximum output length = ratio × source tokens + --max-len-add.")
    var maxLenRatio: Float = 2

    @Option(help: "Constant part of the maximum output length.")
    var maxLenAdd: Int = 10

    @Option(help: "Minimum output length (tokens before </s>).")
    var minLen: Int = 0

    @Option(help: "Print the N best hypotheses as 'i ||| hypothesis ||| score' lines.")
    var nBest: Int = 1

    @Flag(help: "Replace each output <unk> with the source token of highest attention.")
    var replaceUnk = false

    @Flag(help: "Append ' ||| src-tgt ...' alignment links (attention argmax) to each hypothesis.")
    var alignments = false

    @Option(help: "Write one SVG attention heatmap per sentence into this directory.")
    var attentionSvg: String?

    @Option(help: "Sentences decoded together.")
    var batchSize: Int = 64

    @Option(help: "Cut longer sources to this many tokens (with a warning).")
    var maxSrcLen: Int = 200

    @Option(help: "Score only the K most frequent target words at each step (0: all). Faster; see README for its BLEU cost.")
    var shortlist: Int = 0

    @Flag(help: "Translate lines that are not valid UTF-8 as empty lines (with a warning) instead of stopping.")
    var skipInvalid = false

    @Option(help: "BLAS threads (default: OpenBLAS's choice, all cores).")
    var threads: Int?

    @Option(help: "Reference translations: print BLEU and chrF of the output (sacreBLEU 2.6.0 defaults).")
    var ref: String?

    @Option(parsing: .upToNextOption, help: ArgumentHelp("Score sentence pairs instead of translating: 'logprob<TAB>perplexity' per pair.", valueName: "SRC TGT"))
    var score: [String] = []

    @Flag(help: "Overwrite the -o file if it exists.")
    var force = false

    @Flag(help: "No progress or timing on standard error.")
    var quiet = false

    // For tests and benchmarks: write a random-weight model to -m DIR and exit.
    @Option(parsing: .upToNextOption, help: .hidden)
    var initRandom: [String] = []

    @Flag(help: .hidden)
    var tiny = false

    func validate() throws {
        if beam < 1 { throw ValidationError("--beam must be at least 1") }
        if nBest < 1 { throw ValidationError("--n-best must be at least 1") }
        if nBest > (greedy ? 1 : beam) { throw ValidationError("--n-best \(nBest) is larger than the beam (\(greedy ? 1 : beam))") }
        if batchSize < 1 { throw ValidationError("--batch-size must be at least 1") }
        if maxSrcLen < 1 { throw ValidationError("--max-src-len must be at least 1") }
        if maxLenRatio < 0 || maxLenAdd < 0 || minLen < 0 { throw ValidationError("length limits must not be negative") }
        if shortlist < 0 || (1...4).contains(shortlist) {
            throw ValidationError("--shortlist must be 0 (all words) or at least 5 (it must hold </s>)")
        }
        if shortlist > 0 && !score.isEmpty { throw ValidationError("--score uses the whole vocabulary; drop --shortlist") }
        if let t = threads, t < 1 { throw ValidationError("--threads must be at least 1") }
        if !initRandom.isEmpty && initRandom.count != 2 { throw ValidationError("--init-random takes SRC_VOCAB TGT_VOCAB") }
        if !score.isEmpty && score.count != 2 { throw ValidationError("--score takes two files: SRC TGT") }
        if !score.isEmpty && !files.isEmpty { throw ValidationError("--score reads its own two files; give no input files") }
    }

    func run() throws {
        try console.run { try main() }
    }

    func main() throws {
        if let t = threads { BLASThreads.set(t) }
        if initRandom.count == 2 {
            if !force && AtomicFile.fileExists(model) { throw TextError.outputExists(path: model) }
            let src = try Vocabulary.load(path: initRandom[0]), tgt = try Vocabulary.load(path: initRandom[1])
            let config = tiny
                ? ModelConfig(sourceVocab: src.count, targetVocab: tgt.count, embedding: 8, encoderHidden: 6,
                              encoderLayers: 1, decoderHidden: 10, attention: 7, preOutput: 9)
                : ModelConfig(sourceVocab: src.count, targetVocab: tgt.count)
            try ModelDirectory.save(Seq2Seq(config, seed: 1), sourceVocab: src, targetVocab: tgt, to: model)
            return
        }
        let start = Date()
        let loaded = try ModelDirectory.load(model, as: Seq2Seq.self)
        let options = TranslateOptions(
            beamSize: beam, greedy: greedy, lengthPenalty: lengthPenalty, maxLenRatio: maxLenRatio,
            maxLenConstant: maxLenAdd, minLen: minLen, nBest: nBest, replaceUnk: replaceUnk,
            alignments: alignments, attentionMatrix: attentionSvg != nil, batchSize: batchSize,
            maxSourceLength: maxSrcLen, shortlist: shortlist)
        let translator = try Translator(loaded, options: options)
        if score.count == 2 {
            try runScore(translator, start: start)
            return
        }
        if let dir = attentionSvg { try AtomicFile.createDirectories(dir) }
        var session = Session(command: self, translator: translator)
        if let out = output {
            try AtomicFile.write(to: out, force: force) { w in try session.translateAll(into: w) }
        } else {
            try session.translateAll(into: BufferedWriter.standardOutput())
        }
        let seconds = Date().timeIntervalSince(start)
        if !quiet {
            let rate = Double(session.sentences) / max(seconds, 1e-9)
            writeStderr("nmt-translate: \(session.sentences) sentences in \(String(format: "%.2f", seconds)) s "
                        + "(\(String(format: "%.1f", rate)) sentences/s, decoding \(String(format: "%.2f", session.decodeSeconds)) s)\n")
        }
        if let ref {
            let refs = try readLines(ref, skipInvalid: skipInvalid)
            guard refs.count == session.hypotheses.count else {
                throw TextError.lineCountMismatch(source: files.isEmpty ? "<stdin>" : files.joined(separator: "+"),
                                                  sourceLines: session.hypotheses.count, target: ref, targetLines: refs.count)
            }
            let bleu = corpusBLEU(hypotheses: session.hypotheses, references: [refs])
            let chrf = corpusCHRF(hypotheses: session.hypotheses, references: [refs])
            let report = bleu.formatted() + "\n" + chrf.formatted() + "\n"
            if output != nil {
                let w = BufferedWriter.standardOutput()
                try w.write(report)
                try w.flush()
            } else {
                writeStderr(report)
            }
        }
    }

    /// --score SRC TGT
    func runScore(_ translator: Translator, start: Date) throws {
        let src = try readLines(score[0], skipInvalid: skipInvalid)
        let tgt = try readLines(score[1], skipInvalid: skipInvalid)
        guard src.count == tgt.count else {
            throw TextError.lineCountMismatch(source: score[0], sourceLines: src.count, target: score[1], targetLines: tgt.count)
        }
        var totalLP = 0.0, totalTokens = 0
        func body(_ w: BufferedWriter) throws {
            var i = 0
            let chunk = 1024
            while i < src.count {
                let j = min(i + chunk, src.count)
                let scores = try translator.score(sources: Array(src[i..<j]), targets: Array(tgt[i..<j]))
                for s in scores {
                    try w.write("\(f4(s.logProb))\t\(f4(s.perplexity))\n")
                    totalLP += s.logProb
                    totalTokens += s.tokens
                }
                i = j
            }
        }
        if let out = output {
            try AtomicFile.write(to: out, force: force, body)
        } else {
            let w = BufferedWriter.standardOutput()
            try body(w)
            try w.flush()
        }
        let seconds = Date().timeIntervalSince(start)
        writeStderr("nmt-translate: \(src.count) pairs, \(totalTokens) target tokens, log-prob \(f4(totalLP)), "
                    + "perplexity \(f4(exp(-totalLP / Double(max(totalTokens, 1)))))"
                    + (quiet ? "" : String(format: " (%.2f s)", seconds)) + "\n")
    }
}

/// Whole file as lines; with skipInvalid, an invalid line becomes "" (with a warning) so line
/// numbers stay aligned.
func readLines(_ path: String, skipInvalid: Bool) throws -> [String] {
    let reader = try LineReader(path: path, skipInvalidUTF8: skipInvalid)
    var lines: [String] = []
    while let line = try reader.next() {
        while lines.count < line.number - 1 { lines.append(""); console.warn("\(path):\(lines.count): invalid UTF-8, used as an empty line") }
        lines.append(line.text)
    }
    while lines.count < reader.lineCount { lines.append(""); console.warn("\(path):\(lines.count): invalid UTF-8, used as an empty line") }
    return lines
}

/// The translation loop: reads chunks of --batch-size lines, translates, writes, flushes.
struct Session {
    let command: NMTTranslate
    let translator: Translator
    var sentences = 0
    var decodeSeconds = 0.0
    var hypotheses: [String] = []     // kept only with --ref

    init(command: NMTTranslate, translator: Translator) {
        self.command = command
        self.translator = translator
    }

    mutating func translateAll(into w: BufferedWriter) throws {
        let inputs: [String?] = command.files.isEmpty ? [nil] : command.files
        for input in inputs {
            let reader = try input.map { try LineReader(path: $0, skipInvalidUTF8: command.skipInvalid) }
                ?? LineReader(standardInputNamed: "<stdin>", skipInvalidUTF8: command.skipInvalid)
            let name = reader.path
            var chunk: [String] = []
            var chunkLines: [Int] = []
            var expected = 1
            func addSkipped(upTo n: Int) {
                while expected < n {
                    console.warn("\(name):\(expected): invalid UTF-8, translated as an empty line")
                    chunk.append(""); chunkLines.append(expected); expected += 1
                }
            }
            while let line = try reader.next() {
                addSkipped(upTo: line.number)
                chunk.append(line.text); chunkLines.append(line.number); expected = line.number + 1
                if chunk.count >= command.batchSize || reader.isInteractive {
                    try flushChunk(&chunk, &chunkLines, name: name, into: w)
                    if reader.isInteractive { try w.flush() }   // a person is typing: answer each line
                }
            }
            addSkipped(upTo: reader.lineCount + 1)
            try flushChunk(&chunk, &chunkLines, name: name, into: w)
        }
        try w.flush()
    }

    mutating func flushChunk(_ chunk: inout [String], _ lineNumbers: inout [Int], name: String, into w: BufferedWriter) throws {
        if chunk.isEmpty { return }
        let t0 = Date()
        let results = translator.translate(chunk)
        decodeSeconds += Date().timeIntervalSince(t0)
        let nBest = command.nBest > 1
        for (k, t) in results.enumerated() {
            for message in t.warnings { console.warn("\(name):\(lineNumbers[k]): \(message)") }
            let i = sentences + k
            if nBest {
                for h in t.nBest {
                    var line = "\(i) ||| \(h.text) ||| \(f4(Double(h.score)))"
                    if command.alignments { line += " ||| " + links(h.alignment) }
                    try w.write(line + "\n")
                }
            } else {
                var line = t.text
                if command.alignments { line += " ||| " + links(t.alignment) }
                try w.write(line + "\n")
            }
            if command.ref != nil { hypotheses.append(t.text) }
            if let dir = command.attentionSvg, let a = t.attention {
                let svg = attentionSVG(sourceTokens: t.sourceTokens, targetTokens: t.tokens, weights: a)
                try AtomicFile.write(string: svg, to: "\(dir)/\(i).svg", force: true)
            }
        }
        sentences += results.count
        try w.flush()
        chunk.removeAll(keepingCapacity: true)
        lineNumbers.removeAll(keepingCapacity: true)
    }

    func links(_ a: [AlignmentLink]?) -> String {
        (a ?? []).map { "\($0.source)-\($0.target)" }.joined(separator: " ")
    }
}

NMTTranslate.main()
