// nmt-vocab learn-bpe: learns BPE merges from one or more corpora, for example jointly on the
// source and the target language, and writes a merges file that `nmt-vocab build --subwords
// bpe --bpe FILE` (and subword-nmt's apply-bpe) reads.

import ArgumentParser
import NMTCLI
import NMTText

struct LearnBPE: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "learn-bpe",
        abstract: "Learn byte-pair-encoding merges on corpora (FILE or FILE:LANG) and write a merges file.",
        usage: "nmt-vocab learn-bpe <files> ... -o <output> [<options>]",
        discussion: "Joint BPE for a language pair: nmt-vocab learn-bpe train.de.gz:de train.en.gz:en --size 10000 -o de-en.bpe, then nmt-vocab build train.de.gz --lang de --subwords bpe --bpe de-en.bpe -o de.vocab (and the same for en).")

    @Argument(help: "Corpus files, each FILE or FILE:LANG (LANG: the tokenizer's language; default --lang).")
    var files: [String]

    @Option(help: "Language of the files given without :LANG.")
    var lang: String?

    @Option(help: "Number of merges to learn.")
    var size = 10_000

    @Option(help: "Stop early when the most frequent pair occurs fewer times than this.")
    var minFrequency = 2

    @Option(name: [.short, .long], help: "Output merges file.")
    var output: String

    @Flag(help: "Overwrite an existing output file.")
    var force = false

    @Flag(help: "Skip (and count) lines that are not valid UTF-8 instead of failing.")
    var skipInvalid = false

    func run() throws {
        try console.run {
            if !force && AtomicFile.fileExists(output) { throw TextError.outputExists(path: output) }
            var inputs: [(String, TokenizerSettings)] = []
            for f in files {
                var path = f, language = lang
                if let colon = f.lastIndex(of: ":"), !f[f.index(after: colon)...].contains("/") {
                    path = String(f[..<colon]); language = String(f[f.index(after: colon)...])
                }
                guard let language else { throw ValidationError("\(f): give FILE:LANG or --lang") }
                inputs.append((path, TokenizerSettings(lang: language)))
            }
            var learner = BPELearner()
            try learner.addFiles(inputs, skipInvalidUTF8: skipInvalid) { file, n in console.progress("\(file): \(n) lines") }
            let model = learner.learn(merges: size, minFrequency: minFrequency) { console.progress("\($0) merges") }
            console.progress("")
            try model.write(to: output, force: force)
            writeStderr("\(output): \(model.merges.count) merges from \(learner.wordCounts.count) word types \(model.contentHash)\n")
        }
    }
}
