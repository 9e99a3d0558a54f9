// nmt-fill: complete masked words (`___` or `<mask>`) with a trained fill model, or evaluate one.
// Thin by design: parse arguments, call NMTTrain's Filler / FillEvaluation, print.
import ArgumentParser
import Foundation
import NMTCLI
import NMTInference
import NMTModel
import NMTTensor
import NMTText
#if canImport(Glibc)
import Glibc
#endif

let console = Console("nmt-fill")




func jsonString(_ s: String) -> String {
    let data = try! JSONSerialization.data(withJSONObject: [s], options: [.withoutEscapingSlashes])
    let text = String(decoding: data, as: UTF8.self)
    return String(text.dropFirst().dropLast())
}

struct NMTFill: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "nmt-fill",
        abstract: "Fill in masked words (___ or <mask>) with a bidirectional LSTM fill model.",
        usage: "nmt-fill --model <model> [<options>] [<files> ...]",
        discussion: """
        Each input line may hold one or more blanks. Per blank, the --top-k most \
        probable words are printed with their probabilities. Several blanks are filled \
        jointly by iterative refinement (all blanks masked, then each re-predicted with \
        the others filled by their current best word, until nothing changes; at most \
        3 rounds).

        Examples:
          echo "A man is ___ a bike." | nmt-fill -m runs/fill/en
          echo "A dog ___ in the snow." | nmt-fill -m runs/fill/en \\
            --choices "runs|sleeps|swims"
          nmt-fill -m runs/fill/en --left-model runs/fill/en-left \\
            --eval corpora/multi30k/test_2016_flickr.en.gz
        """)

    @Option(name: [.customShort("m"), .long], help: "Fill model directory (or a training directory: its best/, else its last/).")
    var model: String

    @Argument(help: "Input files (default: standard input).")
    var files: [String] = []

    @Option(help: "Candidates printed per blank.") var topK = 5
    @Flag(help: "One JSON object per input line.") var json = false
    @Option(help: "Rank only these words, separated by | (e.g. \"runs|sleeps|swims\").") var choices: String?
    @Flag(help: "Skip lines with invalid UTF-8 (with a warning) instead of stopping.") var skipInvalid = false
    @Option(help: "Threads for matrix products.") var threads = 1

    @Option(help: "Evaluate on this file: mask one word per sentence and report top-1, top-5 and MRR.")
    var eval: String?
    @Option(help: "Seed of the evaluation masks.") var seed: UInt64 = 1
    @Option(help: "Left-to-right LSTM LM (a --left-only fill model) to evaluate on the same masks.")
    var leftModel: String?
    @Option(parsing: .upToNextOption, help: "Corpus for the n-gram and unigram baselines (default: the model's training corpus).")
    var ngramCorpus: [String] = []

    func validate() throws {
        if topK < 1 { throw ValidationError("--top-k must be at least 1") }
        if threads < 1 { throw ValidationError("--threads must be at least 1") }
        if eval != nil && !files.isEmpty { throw ValidationError("--eval reads its own file; give no input files") }
    }

    func run() throws {
        BLASThreads.set(threads)
        try console.run {
            let loaded = try ModelDirectory.load(model, as: FillModel.self)
            if let eval {
                try evaluate(loaded, path: eval)
            } else {
                try fillAll(loaded)
            }
        }
    }

    func fillAll(_ loaded: LoadedModel<FillModel>) throws {
        let filler = try Filler(loaded)
        let choiceList = choices.map { $0.split(separator: "|", omittingEmptySubsequences: false).map(String.init) }
        let w = BufferedWriter.standardOutput()
        defer { try? w.flush() }   // what was filled before an error is printed
        try Inputs.forEachLine(files, skipInvalid: skipInvalid, console: console, skippedAs: "line skipped",
                               line: { reader, line in
            do {
                let r = try filler.fill(line.text, lineNumber: line.number, topK: topK, choices: choiceList)
                try w.write(json ? jsonLine(line, r) : textLines(r))
            } catch let e as FillError {
                guard case .noBlank = e else { throw e }
                console.warn("\(reader.path):\(line.number): no blank (___ or <mask>) in the sentence; line kept as it is")
                try w.write(json ? "{\"line\": \(line.number), \"input\": \(jsonString(line.text)), \"error\": \"no blank\"}\n"
                                 : line.text + "\n")
            }
        }, endOfInput: { _ in try w.flush() })
        try w.flush()
    }

    func textLines(_ r: FillResult) -> String {
        var out = r.marked + "\n"
        for (i, b) in r.blanks.enumerated() {
            let cands = b.candidates.map { c in
                c.inVocabulary ? String(format: "%@ %.4f", c.word as NSString, c.probability)
                               : "\(c.word) (not in the vocabulary)"
            }
            out += "  \(i + 1): " + cands.joined(separator: "  ") + "\n"
        }
        return out
    }

    func jsonLine(_ line: Line, _ r: FillResult) -> String {
        let blanks = r.blanks.enumerated().map { (i, b) -> String in
            let c = b.candidates.map {
                "{\"word\": \(jsonString($0.word)), \"p\": \(String(format: "%.6f", $0.probability))"
                    + ($0.inVocabulary ? "" : ", \"unknown\": true") + "}"
            }
            return "{\"blank\": \(i + 1), \"token\": \(b.tokenIndex), \"candidates\": [\(c.joined(separator: ", "))]}"
        }
        return "{\"line\": \(line.number), \"input\": \(jsonString(line.text)), \"filled\": \(jsonString(r.filled)), "
            + "\"rounds\": \(r.rounds), \"blanks\": [\(blanks.joined(separator: ", "))]}\n"
    }

    func evaluate(_ loaded: LoadedModel<FillModel>, path: String) throws {
        let vocab = loaded.vocab
        let tokens = try FillEvaluation.loadTokens(path: path, vocab: vocab, skipInvalidUTF8: skipInvalid)
        let items = FillEvaluation.makeMasks(tokens: tokens, vocab: vocab, seed: seed)
        let unknown = items.filter { $0.gold == SpecialIds.unk }.count
        var rows: [(String, RankStats)] = []
        let main = loaded.config.model.bidirectional ? "fill model, both sides" : "LSTM LM, left only"
        rows.append(("\(main) (\(loaded.directory))", FillEvaluation.evaluate(loaded.model, items: items)))
        if let leftModel {
            let left = try ModelDirectory.load(leftModel, as: FillModel.self)
            guard left.vocab.contentHash == vocab.contentHash else {
                throw ValidationError("--left-model \(leftModel) uses another vocabulary: the masks would not be comparable")
            }
            let name = left.config.model.bidirectional ? "fill model, both sides" : "LSTM LM, left only"
            rows.append(("\(name) (\(left.directory))", FillEvaluation.evaluate(left.model, items: items)))
        }
        let corpus = ngramCorpus.isEmpty ? loaded.config.corpus : ngramCorpus
        let data = try MonolingualData.load(paths: corpus, vocab: vocab, maxLength: 0, skipInvalidUTF8: skipInvalid)
        let ngram = NGramModel(sentences: data.sentences, vocabSize: vocab.count)
        rows.append(("trigram Kneser-Ney, both sides (w-2..w+2)", FillEvaluation.evaluate(ngram, items: items, bothSides: true)))
        rows.append(("trigram Kneser-Ney, left only", FillEvaluation.evaluate(ngram, items: items, bothSides: false)))
        rows.append(("unigram frequency", FillEvaluation.evaluateUnigram(ngram, items: items)))
        let w = BufferedWriter.standardOutput()
        if json {
            let rs = rows.map { "{\"system\": \(jsonString($0.0)), \"top1\": \($0.1.top1Accuracy), \"top5\": \($0.1.top5Accuracy), \"mrr\": \($0.1.mrr)}" }
            try w.write("{\"file\": \(jsonString(path)), \"masked\": \(items.count), \"seed\": \(seed), \"unknown_gold\": \(unknown), "
                        + "\"systems\": [\(rs.joined(separator: ", "))]}\n")
        } else {
            try w.write("\(path): \(items.count) sentences, one word masked in each (seed \(seed), words only); "
                        + "\(unknown) masked words are outside the vocabulary and count as misses\n")
            let width = max(40, rows.map(\.0.count).max() ?? 0)
            func pad(_ s: String) -> String { s + String(repeating: " ", count: max(0, width - s.count)) }
            try w.write("| \(pad("system")) | top-1 | top-5 |   MRR |\n")
            try w.write("| \(String(repeating: "-", count: width)) | ----: | ----: | ----: |\n")
            for (name, s) in rows {
                try w.write(String(format: "| %@ | %5.1f | %5.1f | %.3f |\n", pad(name) as NSString,
                                   100 * s.top1Accuracy, 100 * s.top5Accuracy, s.mrr))
            }
            try w.write("n-gram and unigram counts from: \(corpus.joined(separator: ", ")) (\(data.tokens) tokens)\n")
        }
        try w.flush()
    }
}

NMTFill.main()
