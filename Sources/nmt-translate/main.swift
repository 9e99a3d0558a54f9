// nmt-translate: translate files or standard input with a trained swift-nmt model.
// Thin by design: parse arguments, call NMTInference (Translator, TranslationWriter) and NMTCLI
// (inputs in chunks), print. See docs/translate.md.
import ArgumentParser
import Foundation
import NMTCLI
import NMTInference
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

struct NMTTranslate: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "nmt-translate",
        abstract: "Translate text with a swift-nmt model (beam search), score sentence pairs, compute BLEU/chrF.",
        discussion: """
            Reads FILES (plain or gzip) or standard input, writes one translation per input line, in order \
            (an empty or invalid line gives an empty line). On standard input it is a streaming filter: \
            every --batch-size lines are translated and flushed.
            """)

    @Option(name: [.customShort("m"), .long], help: "Model directory (or a training directory: its best/, else its last/, or an ensemble directory written by nmt-train ensemble). Given several times: an ensemble, which averages the models' log-probabilities at every step (the models must share their vocabularies; alignments and attention come from the first).")
    var model: [String]

    @Argument(help: "Input files (default: standard input).")
    var files: [String] = []

    @Option(name: .shortAndLong, help: "Write the output to this file (atomically; refused if it exists, unless --force).")
    var output: String?

    @Option(help: "Beam size. Default: the beam of the model's decoding.json (see --tune-length-penalty), else 5.")
    var beam: Int?

    @Flag(help: "Greedy decoding (same as --beam 1).")
    var greedy = false

    @Option(help: "GNMT length penalty α (0 = raw log-probability). Default: the model's decoding.json (see --tune-length-penalty), else 0.6.")
    var lengthPenalty: Float?

    @Option(help: ArgumentHelp("Minimum Bayes risk: output, from the whole beam (reranked with --rescore), the hypothesis of highest expected sentence BLEU against the others, each weighted by softmax(SCALE × its score); 0: off, the best-scored. Default: the model's decoding.json, else 0. Choose SCALE on val: --tune-rescore with --mbr-grid.", valueName: "SCALE"))
    var mbr: Float?

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

    @Option(help: "Threads of the matrix products (default: all cores; shared out among the --workers).")
    var threads: Int?

    @Option(help: ArgumentHelp("Batches decoded at once, each on a thread of its own, the --threads shared out among them (Marian's --cpu-threads; default: as many as --threads, else the cores). A sentence's translation does not depend on N; the input is read --batch-size × 4N lines at a time (a terminal's line by line).", valueName: "N"))
    var workers: Int?

    @Option(help: "Reference translations: print BLEU and chrF of the output (sacreBLEU 2.6.0 defaults).")
    var ref: String?

    @Option(parsing: .upToNextOption, help: ArgumentHelp("Score sentence pairs instead of translating: 'logprob<TAB>perplexity' per pair.", valueName: "SRC TGT"))
    var score: [String] = []

    @Option(parsing: .upToNextOption, help: ArgumentHelp(
        "Choose the length penalty on validation data (never a test set): decode SRC at each --grid value, score against REF, and write the best and the beam it was decoded with into the model directory's decoding.json, used from then on when --length-penalty or --beam is not given.",
        valueName: "SRC REF"))
    var tuneLengthPenalty: [String] = []

    @Option(help: ArgumentHelp("Rescore the beam's n-best list with this model (a right-to-left one: nmt-train --reverse-target) and pick by beam score + WEIGHT × its length-normalised log-probability (WEIGHT 1 when absent). Repeatable.", valueName: "model[:weight]"))
    var rescore: [String] = []

    @Option(parsing: .upToNextOption, help: ArgumentHelp("Decode SRC once with the whole beam, rescore it with the --rescore models, and print the BLEU against REF of every combination of their weights from --rescore-grid, then the best (give it to --rescore MODEL:WEIGHT or nmt-train ensemble --rescore).", valueName: "SRC REF"))
    var tuneRescore: [String] = []

    @Option(help: ArgumentHelp("MBR scales (see --mbr) that --tune-rescore tries with every weight combination (comma-separated, 0: off); its table then gets an mbr column and its choice a second field. With it, --tune-rescore needs no --rescore.", valueName: "LIST"))
    var mbrGrid: String?

    @Option(help: "Weights tried by --tune-rescore for each rescorer (comma-separated).")
    var rescoreGrid: String = RescoreTuning.defaultGrid.map { String(format: "%g", $0) }.joined(separator: ",")

    @Option(help: "Length penalties tried by --tune-length-penalty (comma-separated).")
    var grid: String = LengthPenaltyTuning.defaultGrid.map { String(format: "%g", $0) }.joined(separator: ",")

    @Flag(help: "Overwrite the -o file (or, with --tune-length-penalty, the decoding.json) if it exists.")
    var force = false

    @Flag(help: "No progress or timing on standard error.")
    var quiet = false

    func validate() throws {
        if model.isEmpty { throw ValidationError("give a model: -m DIR (several -m for an ensemble)") }
        if let b = beam, b < 1 { throw ValidationError("--beam must be at least 1") }
        if nBest < 1 { throw ValidationError("--n-best must be at least 1") }
        if let b = greedy ? 1 : beam, nBest > b { throw ValidationError("--n-best \(nBest) is larger than the beam (\(b))") }
        if batchSize < 1 { throw ValidationError("--batch-size must be at least 1") }
        if maxSrcLen < 1 { throw ValidationError("--max-src-len must be at least 1") }
        if maxLenRatio < 0 || maxLenAdd < 0 || minLen < 0 { throw ValidationError("length limits must not be negative") }
        if shortlist < 0 || (1..<SpecialIds.count).contains(shortlist) {
            throw ValidationError("--shortlist must be 0 (all words) or at least \(SpecialIds.count) (it must hold </s>)")
        }
        if shortlist > 0 && !score.isEmpty { throw ValidationError("--score uses the whole vocabulary; drop --shortlist") }
        if let t = threads, t < 1 { throw ValidationError("--threads must be at least 1") }
        if let w = workers, w < 1 { throw ValidationError("--workers must be at least 1") }
        if !score.isEmpty && score.count != 2 { throw ValidationError("--score takes two files: SRC TGT") }
        if !score.isEmpty && !files.isEmpty { throw ValidationError("--score reads its own two files; give no input files") }
        if !tuneLengthPenalty.isEmpty {
            if tuneLengthPenalty.count != 2 { throw ValidationError("--tune-length-penalty takes two files: SRC REF") }
            if !files.isEmpty || !score.isEmpty || ref != nil || output != nil {
                throw ValidationError("--tune-length-penalty reads its own two files and writes decoding.json; give no input files, --score, --ref or -o")
            }
            if lengthPenalty != nil { throw ValidationError("--tune-length-penalty chooses the length penalty; drop --length-penalty") }
            _ = try parsedGrid()
        }
        if let a = lengthPenalty, !(a.isFinite && a >= 0) { throw ValidationError("--length-penalty must be a number ≥ 0") }
        if let m = mbr, !(m.isFinite && m >= 0) { throw ValidationError("--mbr must be a number ≥ 0 (0: off)") }
        if mbrGrid != nil {
            if tuneRescore.isEmpty { throw ValidationError("--mbr-grid is the grid of --tune-rescore: give --tune-rescore SRC REF") }
            if mbr != nil { throw ValidationError("--tune-rescore --mbr-grid chooses the MBR scale; drop --mbr") }
            _ = try parsedMBRGrid()
        }
        for r in rescore {
            do { _ = try RescoreError.parse(r) } catch { throw ValidationError("\(error)") }
        }
        if !rescore.isEmpty && !score.isEmpty { throw ValidationError("--score scores the given targets; drop --rescore") }
        if !tuneRescore.isEmpty {
            if tuneRescore.count != 2 { throw ValidationError("--tune-rescore takes two files: SRC REF") }
            if !files.isEmpty || !score.isEmpty || ref != nil || output != nil || !tuneLengthPenalty.isEmpty {
                throw ValidationError("--tune-rescore reads its own two files; give no input files, --score, --ref, -o or --tune-length-penalty")
            }
            _ = try parsedRescoreGrid()
        }
    }

    func run() throws {
        try console.run { try main() }
    }

    /// The comma-separated finite numbers of `text`, each within `allowed`; else `message`.
    func numberList(_ text: String, allowed: ClosedRange<Float>, _ message: String) throws -> [Float] {
        let values = text.split(separator: ",").map { Float($0.trimmingCharacters(in: .whitespaces)) }
        guard !values.isEmpty, values.allSatisfy({ $0 != nil && $0!.isFinite && allowed.contains($0!) }) else {
            throw ValidationError(message)
        }
        return values.map { $0! }
    }

    func parsedRescoreGrid() throws -> [Float] {
        try numberList(rescoreGrid, allowed: -Float.greatestFiniteMagnitude ... Float.greatestFiniteMagnitude,
                       "--rescore-grid: expected comma-separated numbers, got \(rescoreGrid)")
    }

    func parsedMBRGrid() throws -> [Float] {
        try numberList(mbrGrid ?? "0", allowed: 0 ... Float.greatestFiniteMagnitude,
                       "--mbr-grid: expected comma-separated numbers ≥ 0, got \(mbrGrid ?? "")")
    }

    func main() throws {
        if let t = threads { BLASThreads.set(t) }
        // Two single-threaded decoders beat one on two threads (README, Performance); one batch
        // (a terminal's line, a short file) still gets every thread.
        let workers = self.workers ?? threads ?? ProcessInfo.processInfo.activeProcessorCount
        let start = Date()
        let ensemble = try model.flatMap { try ModelDirectory.loadMembers($0, as: Seq2Seq.self) }
        // The decoding settings (decoding.json) of an ensemble directory are its own.
        let decodingDirectory = model.count == 1 && EnsembleDirectory.isEnsemble(model[0]) ? model[0] : ensemble[0].directory
        let tuned = try DecodingDefaults.load(modelDirectory: decodingDirectory)
        let alpha = DecodingDefaults.lengthPenalty(given: lengthPenalty, tuned: tuned)
        let beamSize = DecodingDefaults.beamSize(given: beam, tuned: tuned)
        let mbrScale = mbrGrid != nil ? 0 : DecodingDefaults.mbrScale(given: mbr, tuned: tuned)
        if !greedy, nBest > beamSize {   // (a given --beam was checked in validate())
            let from = tuned == nil ? "the default" : "from \(DecodingDefaults.path(inModelDirectory: decodingDirectory))"
            throw ValidationError("--n-best \(nBest) is larger than the beam (\(beamSize), \(from)): give --beam")
        }
        if let tuned, !quiet {
            var taken: [String] = []
            if lengthPenalty == nil && tuneLengthPenalty.isEmpty { taken.append("length penalty \(String(format: "%g", alpha))") }
            if beam == nil && !greedy { taken.append("beam \(beamSize)") }
            if mbr == nil && mbrGrid == nil && mbrScale > 0 { taken.append("MBR scale \(String(format: "%g", mbrScale))") }
            if !taken.isEmpty {
                writeStderr("nmt-translate: \(taken.joined(separator: ", ")) from \(DecodingDefaults.path(inModelDirectory: decodingDirectory)) (chosen on \(tuned.source))\n")
            }
        }
        let options = TranslateOptions(
            beamSize: beamSize, greedy: greedy, lengthPenalty: alpha, maxLenRatio: maxLenRatio,
            maxLenConstant: maxLenAdd, minLen: minLen, nBest: nBest, replaceUnk: replaceUnk,
            alignments: alignments, attentionMatrix: attentionSvg != nil, batchSize: batchSize,
            maxSourceLength: maxSrcLen, shortlist: shortlist, workers: workers, mbr: mbrScale)
        let translator = try Translator(ensemble: ensemble, options: options)
        // --rescore given, else the rescorers an ensemble directory records
        let fromDirectory = rescore.isEmpty && model.count == 1 && EnsembleDirectory.isEnsemble(model[0])
        try translator.addRescorers(fromDirectory ? try EnsembleDirectory.rescorers(model[0]) : rescore.compactMap(RescorerRef.parse))
        if score.count == 2 { return try runScore(translator, start: start) }
        if tuneLengthPenalty.count == 2 { return try runTune(translator, directory: decodingDirectory) }
        if tuneRescore.count == 2 { return try runTuneRescore(translator) }

        if let dir = attentionSvg { try AtomicFile.createDirectories(dir) }
        var writer = TranslationWriter(nBest: nBest > 1, alignments: alignments, attentionDirectory: attentionSvg,
                                       keepHypotheses: ref != nil)
        var decodeSeconds = 0.0
        func translateAll(into w: BufferedWriter) throws {
            // Workers take the batches of a chunk from one queue: four batches each keep them evenly busy.
            try Inputs.forEachChunk(files, size: workers > 1 ? batchSize * workers * 4 : batchSize, skipInvalid: skipInvalid, console: console,
                                    skippedAs: "translated as an empty line") { name, lines, numbers, _ in
                let t0 = Date()
                let results = translator.translate(lines)
                decodeSeconds += Date().timeIntervalSince(t0)
                for (k, t) in results.enumerated() {
                    for message in t.warnings { console.warn("\(name):\(numbers[k]): \(message)") }
                }
                try writer.write(results, to: w)
                try w.flush()   // a stream, and a person typing at a terminal, get each chunk at once
            }
            try w.flush()
        }
        if let out = output {
            try AtomicFile.write(to: out, force: force, translateAll)
        } else {
            try translateAll(into: BufferedWriter.standardOutput())
        }
        let seconds = Date().timeIntervalSince(start)
        if !quiet {
            let rate = Double(writer.sentences) / max(seconds, 1e-9)
            writeStderr("nmt-translate: \(writer.sentences) sentences in \(String(format: "%.3f", seconds)) s "
                        + "(\(String(format: "%.1f", rate)) sentences/s, decoding \(String(format: "%.3f", decodeSeconds)) s)\n")
        }
        if let ref { try report(hypotheses: writer.hypotheses, ref: ref) }
    }

    /// BLEU and chrF of the output against --ref (on stdout when the translations went to -o).
    func report(hypotheses: [String], ref: String) throws {
        let refs = try Inputs.readLines(ref, skipInvalid: skipInvalid, console: console)
        guard refs.count == hypotheses.count else {
            throw TextError.lineCountMismatch(source: files.isEmpty ? "<stdin>" : files.joined(separator: "+"),
                                              sourceLines: hypotheses.count, target: ref, targetLines: refs.count)
        }
        let bleu = corpusBLEU(hypotheses: hypotheses, references: [refs])
        let chrf = corpusCHRF(hypotheses: hypotheses, references: [refs])
        let text = bleu.formatted() + "\n" + chrf.formatted() + "\n"
        if output != nil {
            let w = BufferedWriter.standardOutput()
            try w.write(text)
            try w.flush()
        } else {
            writeStderr(text)
        }
    }

    func parsedGrid() throws -> [Float] {
        try numberList(grid, allowed: 0 ... 10, "--grid must be comma-separated numbers from 0 to 10, e.g. 0,0.5,1")
    }

    /// --tune-length-penalty SRC REF: one decode of SRC per grid value; the table on stdout.
    func runTune(_ translator: Translator, directory: String) throws {
        let target = DecodingDefaults.path(inModelDirectory: directory)
        if !force && AtomicFile.fileExists(target) {
            throw DecodingDefaultsError.unreadable(path: target, reason: "exists (give --force to choose again)")
        }
        let src = try Inputs.readLines(tuneLengthPenalty[0], skipInvalid: skipInvalid, console: console)
        let refs = try Inputs.readLines(tuneLengthPenalty[1], skipInvalid: skipInvalid, console: console)
        guard src.count == refs.count else {
            throw TextError.lineCountMismatch(source: tuneLengthPenalty[0], sourceLines: src.count,
                                              target: tuneLengthPenalty[1], targetLines: refs.count)
        }
        let out = BufferedWriter.standardOutput()
        try out.write("length_penalty\tbleu\n")
        let (best, trials) = try LengthPenaltyTuning.tune(translator, sources: src, references: refs, grid: try parsedGrid()) { t in
            try? out.write(String(format: "%g\t%.2f\n", t.lengthPenalty, t.bleu))
            try? out.flush()
        }
        let chosen = DecodingDefaults(lengthPenalty: best, beam: translator.options.effectiveBeam, mbr: translator.options.mbr,
                                      source: tuneLengthPenalty[0], reference: tuneLengthPenalty[1], trials: trials)
        try chosen.write(modelDirectory: directory, force: force)
        try out.write(String(format: "chosen\t%g\n", best))
        try out.flush()
        if !quiet { writeStderr("nmt-translate: wrote \(target)\n") }
    }

    /// --tune-rescore SRC REF
    func runTuneRescore(_ translator: Translator) throws {
        guard !translator.rescorers.isEmpty || mbrGrid != nil else {
            throw ValidationError("--tune-rescore needs --rescore MODEL (or an ensemble directory that records rescorers), or --mbr-grid")
        }
        let src = try Inputs.readLines(tuneRescore[0], skipInvalid: skipInvalid, console: console)
        let refs = try Inputs.readLines(tuneRescore[1], skipInvalid: skipInvalid, console: console)
        guard src.count == refs.count else {
            throw TextError.lineCountMismatch(source: tuneRescore[0], sourceLines: src.count, target: tuneRescore[1], targetLines: refs.count)
        }
        let candidates = translator.rescoreCandidates(src)
        let (best, trials) = RescoreTuning.tune(candidates, references: refs, rescorers: translator.rescorers.count,
                                                grid: try parsedRescoreGrid(), mbrGrid: try parsedMBRGrid())
        let out = BufferedWriter.standardOutput()
        // weights of no rescorer: "-"
        func weights(_ w: [Float]) -> String { w.isEmpty ? "-" : w.map { String(format: "%g", $0) }.joined(separator: ",") }
        let withMBR = mbrGrid != nil
        try out.write(withMBR ? "weights\tmbr\tbleu\n" : "weights\tbleu\n")
        for t in trials {
            try out.write("\(weights(t.weights))\t\(withMBR ? String(format: "%g\t", t.mbr) : "")\(String(format: "%.2f", t.bleu))\n")
        }
        try out.write("chosen\t\(weights(best.weights))\(withMBR ? String(format: "\t%g", best.mbr) : "")\n")
        try out.flush()
    }

    /// --score SRC TGT
    func runScore(_ translator: Translator, start: Date) throws {
        let src = try Inputs.readLines(score[0], skipInvalid: skipInvalid, console: console)
        let tgt = try Inputs.readLines(score[1], skipInvalid: skipInvalid, console: console)
        guard src.count == tgt.count else {
            throw TextError.lineCountMismatch(source: score[0], sourceLines: src.count, target: score[1], targetLines: tgt.count)
        }
        var totals = PairScoreTotals()
        func body(_ w: BufferedWriter) throws {
            totals = try translator.writeScores(sources: src, targets: tgt, to: w)
            try w.flush()
        }
        if let out = output { try AtomicFile.write(to: out, force: force, body) } else { try body(BufferedWriter.standardOutput()) }
        let seconds = Date().timeIntervalSince(start)
        writeStderr("nmt-translate: \(totals.pairs) pairs, \(totals.tokens) target tokens, log-prob \(String(format: "%.4f", totals.logProb)), "
                    + "perplexity \(String(format: "%.4f", totals.perplexity))"
                    + (quiet ? "" : String(format: " (%.2f s)", seconds)) + "\n")
    }
}

NMTTranslate.main()
