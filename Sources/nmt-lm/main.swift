// nmt-lm: score text with a trained language model (nmt-train lm), or sample sentences from it.
// Thin by design: parse arguments, call NMTInference's LMScorer / LMSampler, print.

import ArgumentParser
import Foundation
import NMTCLI
import NMTInference
import NMTTensor
import NMTText

let console = Console("nmt-lm")

struct Score: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Log-probability, token count and perplexity of every line, then the corpus perplexity.",
        usage: "nmt-lm score --model <model> [<options>] [<files> ...]",
        discussion: """
        One output line per input line, in order: "logprob<TAB>tokens<TAB>perplexity" (natural
        log; tokens = the line's words and the end of the sentence; words outside the vocabulary
        are scored as <unk>). An empty input line gives an empty output line and does not count.
        The last line is "corpus perplexity: P".
        Example: nmt-lm score -m runs/lm/lstm corpora/multi30k/test_2016_flickr.en.gz
        """)

    @Option(name: [.customShort("m"), .long], help: "Language model directory (or a training directory: its best/, else its last/).")
    var model: String
    @Argument(help: "Input files (default: standard input).") var files: [String] = []
    @Flag(help: "One JSON object per line (and a last object with the corpus perplexity).") var json = false
    @Flag(help: "Skip lines with invalid UTF-8 (with a warning; an empty record keeps the alignment) instead of stopping.")
    var skipInvalid = false
    @Option(help: "Threads for matrix products.") var threads = 1
    @Flag(help: "Score with a Kneser–Ney trigram counted on the model's training corpus (same vocabulary and tokens) instead of the model: the baseline.")
    var trigram = false

    func run() throws {
        guard threads >= 1 else { throw ValidationError("--threads must be at least 1") }
        BLASThreads.set(threads)
        try console.run {
            let loaded = try ModelDirectory.load(model, as: LanguageModel.self)
            let scorer: LineScoring
            if trigram {
                guard !loaded.config.corpus.isEmpty else { throw ValidationError("\(loaded.directory): the model names no training corpus") }
                scorer = try TrigramScorer(corpus: loaded.config.corpus, vocab: loaded.vocab, skipInvalidUTF8: skipInvalid)
            } else {
                scorer = try LMScorer(loaded)
            }
            let w = BufferedWriter.standardOutput()
            var corpus = CorpusScore()
            try Inputs.forEachChunk(files, size: 256, skipInvalid: skipInvalid, console: console, skippedAs: "empty record written") {
                _, lines, numbers, interactive in
                for (n, s) in zip(numbers, scorer.score(lines)) {
                    guard let s else {
                        try w.write(json ? "{\"line\": \(n), \"tokens\": 0}\n" : "\n")
                        continue
                    }
                    corpus.add(s)
                    if json {
                        try w.write(String(format: "{\"line\": %d, \"logprob\": %.6f, \"tokens\": %d, \"unknown\": %d, \"ppl\": %.4f}\n",
                                           n, s.logProbability, s.tokens, s.unknown, s.perplexity))
                    } else {
                        try w.write(String(format: "%.4f\t%d\t%.2f\n", s.logProbability, s.tokens, s.perplexity))
                    }
                }
                if interactive { try w.flush() }
            }
            if json {
                try w.write(String(format: "{\"corpus_perplexity\": %.4f, \"lines\": %d, \"tokens\": %d, \"logprob\": %.6f}\n",
                                   corpus.perplexity, corpus.lines, corpus.tokens, corpus.logProbability))
            } else {
                try w.write(String(format: "corpus perplexity: %.2f\n", corpus.perplexity))
            }
            try w.flush()
        }
    }
}

struct Generate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Sample sentences (detokenized), one per line.",
        usage: "nmt-lm generate --model <model> [<options>]",
        discussion: """
        Each sentence starts from the beginning of a sentence (and --prefix) and draws one word at
        a time from the model's distribution (sharpened or flattened by --temperature, cut to the
        --top-k most probable words and to the --top-p nucleus) until the end of the sentence.
        <unk> is never drawn. The same --seed gives the same sentences.
        Example: nmt-lm generate -m runs/lm/lstm --count 5 --prefix "A man" --top-p 0.9 --seed 7
        """)

    @Option(name: [.customShort("m"), .long], help: "Language model directory (or a training directory).")
    var model: String
    @Option(help: "Sentences to sample.") var count = 5
    @Option(help: "Text every sentence starts with.") var prefix = ""
    @Option(help: "Softmax temperature (< 1 sharper, > 1 flatter).") var temperature: Double = 1
    @Option(help: "Draw only among the k most probable words (0: all).") var topK = 0
    @Option(help: "Draw only from the smallest set of words whose probability reaches p (1: off).") var topP: Double = 1
    @Option(help: "Longest continuation, in tokens.") var maxLength = 50
    @Option(help: "Random seed.") var seed: UInt64 = 1
    @Option(help: "Threads for matrix products.") var threads = 1

    func run() throws {
        guard threads >= 1 else { throw ValidationError("--threads must be at least 1") }
        BLASThreads.set(threads)
        try console.run {
            let loaded = try ModelDirectory.load(model, as: LanguageModel.self)
            var o = SamplingOptions()
            o.count = count; o.prefix = prefix; o.temperature = temperature; o.topK = topK; o.topP = topP
            o.maxLength = maxLength; o.seed = seed
            let w = BufferedWriter.standardOutput()
            for s in try LMSampler(loaded).generate(o) { try w.write(s + "\n") }
            try w.flush()
        }
    }
}

struct Gradients: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "How far back the gradient reaches: mean ‖∂L/∂s_t‖ against the distance to the loss.",
        usage: "nmt-lm gradients --model <model> [<options>] [<files> ...]",
        discussion: """
        For each input sentence, L = −ln p(</s>) at its end and s_t the top layer's recurrent state
        after step t ((h, c) for the LSTM family); prints "distance<TAB>mean norm<TAB>sentences"
        for distances 0 … --max-distance, the mean over the sentences long enough to have it.
        scripts/plot_gradient_flow.py draws several models' outputs in one SVG.
        Example: nmt-lm gradients -m runs/lm/rnn corpora/multi30k/val.en.gz --max-distance 25
        """)

    @Option(name: [.customShort("m"), .long], help: "Language model directory (or a training directory).")
    var model: String
    @Argument(help: "Input files (default: standard input).") var files: [String] = []
    @Option(help: "Largest distance reported.") var maxDistance = 25
    @Option(help: "Sentences used at most (the first ones).") var sentences = 500
    @Flag(help: "Skip lines with invalid UTF-8 (with a warning) instead of stopping.") var skipInvalid = false
    @Option(help: "Threads for matrix products.") var threads = 1

    func run() throws {
        guard threads >= 1, maxDistance >= 0, sentences >= 1 else {
            throw ValidationError("--threads and --sentences must be at least 1, --max-distance at least 0")
        }
        BLASThreads.set(threads)
        try console.run {
            let loaded = try ModelDirectory.load(model, as: LanguageModel.self)
            let tok = try loaded.vocab.makeTokenizer()
            var sums = [Double](repeating: 0, count: maxDistance + 1), counts = [Int](repeating: 0, count: maxDistance + 1)
            var used = 0
            try Inputs.forEachLine(files, skipInvalid: skipInvalid, console: console, skippedAs: "line skipped", line: { _, line in
                guard used < sentences else { return }
                let ids = loaded.vocab.encode(tok.tokenize(line.text))
                if ids.isEmpty { return }
                used += 1
                for (d, v) in loaded.model.stateGradientNorms(sentence: ids).enumerated() where d <= maxDistance {
                    sums[d] += v; counts[d] += 1
                }
            })
            let w = BufferedWriter.standardOutput()
            try w.write("distance\tmean_norm\tsentences\n")
            for d in 0...maxDistance where counts[d] > 0 {
                try w.write(String(format: "%d\t%.6g\t%d\n", d, sums[d] / Double(counts[d]), counts[d]))
            }
            try w.flush()
        }
    }
}

struct NMTLM: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "nmt-lm",
        abstract: "Score text with a recurrent language model, or sample from it (train one with nmt-train lm).",
        subcommands: [Score.self, Generate.self, Gradients.self])
}

NMTLM.main()
