// nmt-vocab: build vocabularies and run the tokenizer as a text filter.
// Thin by design: parse arguments, call NMTText, print.
import ArgumentParser
import NMTCLI
import NMTText
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

let console = Console("nmt-vocab")

extension Normalization: ExpressibleByArgument {}

enum SubwordKind: String, ExpressibleByArgument, CaseIterable {
    case none, bpe
}

@main
struct NMTVocab: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "nmt-vocab",
        abstract: "Build vocabularies and tokenize text for swift-nmt.",
        subcommands: [Build.self, LearnBPE.self, Tokenize.self, Detokenize.self, Normalize.self, Stats.self]
    )
}

/// Tokenizer options shared by tokenize and normalize: either a vocabulary or explicit settings.
struct TokenizerOptions: ParsableArguments {
    @Option(help: "Language tag used as the ICU locale (de, en, fr, cs, zh, ja, th, ...).")
    var lang: String?

    @Option(help: "Use the tokenizer settings stored in this vocabulary file.")
    var vocab: String?

    @Option(help: "Unicode normalization: none, nfc or nfkc (default nfkc; with --lang only).")
    var normalization: Normalization?

    @Flag(help: "Locale-aware lowercasing (with --lang only).")
    var lowercase = false

    func validate() throws {
        if lang == nil && vocab == nil { throw ValidationError("give --lang or --vocab") }
        if lang != nil && vocab != nil { throw ValidationError("--lang and --vocab exclude each other") }
        if vocab != nil && (normalization != nil || lowercase) {
            throw ValidationError("--normalization and --lowercase come from the vocabulary with --vocab")
        }
    }

    /// The vocabulary (if --vocab) and a tokenizer with the right settings.
    func make() throws -> (Vocabulary?, Tokenizer) {
        if let v = vocab {
            let vocabulary = try Vocabulary.load(path: v)
            return (vocabulary, try Tokenizer(settings: vocabulary.settings))
        }
        let settings = TokenizerSettings(lang: lang!, normalization: normalization ?? .nfkc, lowercase: lowercase)
        return (nil, try Tokenizer(settings: settings))
    }
}

// MARK: - build

struct Build: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Count tokens in corpora (plain or .gz) and write a vocabulary.",
        usage: "nmt-vocab build <files> ... --lang <lang> [<options>]",
        discussion: "Default output: vocab/<first file's name without .gz>.vocab, e.g. train.de.gz -> vocab/train.de.vocab.")

    @Argument(help: "Corpus files, one sentence per line (plain text or gzip).")
    var files: [String]

    @Option(help: "Language tag used as the ICU locale (de, en, fr, cs, zh, ja, th, ...).")
    var lang: String

    @Option(name: [.short, .long], help: "Output vocabulary path.")
    var output: String?

    @Option(help: "Keep tokens seen at least this many times.")
    var minCount = 1

    @Option(help: "Maximum vocabulary size, the 5 special tokens included.")
    var maxSize: Int?

    @Flag(help: "Locale-aware lowercasing.")
    var lowercase = false

    @Option(help: "Unicode normalization: none, nfc or nfkc.")
    var normalization: Normalization = .nfkc

    @Flag(help: "Overwrite an existing output file.")
    var force = false

    @Flag(help: "Skip (and count) lines that are not valid UTF-8 instead of failing.")
    var skipInvalid = false

    @Option(help: "Subword units: none (whole words) or bpe (learn byte-pair merges on these files; written beside the vocabulary as <name>.bpe).")
    var subwords: SubwordKind = .none

    @Option(help: "With --subwords bpe: the number of merges to learn (subword-nmt's -s).")
    var size = 10_000

    @Option(help: "Use this BPE merges file (from learn-bpe, e.g. one learned jointly on both languages) instead of learning one.")
    var bpe: String?

    func validate() throws {
        if files.isEmpty { throw ValidationError("give at least one corpus file") }
        if size < 1 { throw ValidationError("--size must be at least 1") }
        if bpe != nil && subwords == .none { throw ValidationError("--bpe needs --subwords bpe") }
    }

    func run() throws {
        try console.run {
            let settings = TokenizerSettings(lang: lang, normalization: normalization, lowercase: lowercase)
            let tokenizer = try Tokenizer(settings: settings)
            let out = output ?? Build.defaultOutput(for: files[0])
            // Refuse early, before spending time counting (AtomicFile checks again at the end).
            if !force && AtomicFile.fileExists(out) { throw TextError.outputExists(path: out) }
            var builder = VocabularyBuilder(settings: settings)
            for file in files {
                let before = builder.totalTokens
                let skippedBefore = builder.linesSkipped
                try builder.addFile(file, tokenizer: tokenizer, skipInvalidUTF8: skipInvalid) { n in
                    console.progress("\(file): \(n) lines")
                }
                console.progress("")
                if builder.linesSkipped > skippedBefore {
                    console.warn("\(file): skipped \(builder.linesSkipped - skippedBefore) line(s) with invalid UTF-8")
                }
                if builder.totalTokens == before { throw TextError.emptyInput(path: file) }
            }
            if subwords == .bpe { return try buildSubwords(builder, out: out) }
            let vocabulary = try builder.build(minCount: minCount, maxSize: maxSize)
            try AtomicFile.createDirectories(AtomicFile.directoryName(out))
            try vocabulary.write(to: out, force: force)
            writeStderr("\(out): \(vocabulary.count) entries (\(builder.counts.count) types, \(builder.totalTokens) tokens in \(builder.linesRead) lines) \(vocabulary.contentHash)\n")
        }
    }

    /// The subword vocabulary of the counted words: with the merges of --bpe, or with merges
    /// learned on the same counts.
    func buildSubwords(_ builder: VocabularyBuilder, out: String) throws {
        let model: BPEModel
        if let bpe {
            model = try BPEModel.load(path: bpe)
        } else {
            var learner = BPELearner()
            learner.add(builder)
            model = learner.learn(merges: size) { console.progress("\($0) merges") }
            console.progress("")
        }
        let vocabulary = try builder.buildSubwords(model: model, minCount: minCount)
        try AtomicFile.createDirectories(AtomicFile.directoryName(out))
        try vocabulary.write(to: out, force: force)
        writeStderr("\(out): \(vocabulary.count) entries (\(model.merges.count) BPE merges in \(Vocabulary.subwordsPath(for: out))) \(vocabulary.contentHash)\n")
    }

    static func defaultOutput(for file: String) -> String {
        var base = file.split(separator: "/").last.map(String.init) ?? file
        if base.hasSuffix(".gz") { base.removeLast(3) }
        return "vocab/\(base).vocab"
    }
}

// MARK: - tokenize

struct Tokenize: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Tokenize text: one line in, one line of space-separated tokens (or ids) out.",
        usage: "nmt-vocab tokenize [<options>] [<files> ...]")

    @OptionGroup var options: TokenizerOptions

    @Flag(help: "Print token ids (needs --vocab).")
    var ids = false

    @Flag(help: "Skip (and count) lines that are not valid UTF-8 instead of failing.")
    var skipInvalid = false

    @Argument(help: "Input files (plain or gzip); standard input if none.")
    var files: [String] = []

    func validate() throws {
        if ids && options.vocab == nil { throw ValidationError("--ids needs --vocab") }
    }

    func run() throws {
        try console.run {
            let (vocabulary, tokenizer) = try options.make()
            let out = BufferedWriter.standardOutput()
            var line: [UInt8] = []
            try Inputs.forEach(files, skipInvalid: skipInvalid) { reader in
                while let l = try reader.next() {
                    line.removeAll(keepingCapacity: true)
                    var first = true
                    tokenizer.tokenize(l.text) { word in
                        // A subword vocabulary prints the word's pieces (or their ids).
                        for token in vocabulary?.pieces(of: word) ?? [word] {
                            if !first { line.append(0x20) }
                            first = false
                            if ids, let v = vocabulary {
                                line.append(contentsOf: String(v.id(for: token)).utf8)
                            } else {
                                line.append(contentsOf: token.utf8)
                            }
                        }
                    }
                    line.append(10)
                    try out.write(contentsOf: line)
                }
                Inputs.reportSkipped(reader, console: console)
            }
            try out.flush()
        }
    }
}

// MARK: - detokenize

struct Detokenize: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Join space-separated tokens (or ids) back into text.")

    @Option(help: "Vocabulary: its joiner is used, and with --ids its tokens.")
    var vocab: String?

    @Flag(help: "Input lines are token ids (needs --vocab); <pad> <s> </s> <mask> are dropped.")
    var ids = false

    @Argument(help: "Input files; standard input if none.")
    var files: [String] = []

    func validate() throws {
        if ids && vocab == nil { throw ValidationError("--ids needs --vocab") }
    }

    func run() throws {
        try console.run {
            let vocabulary = try vocab.map { try Vocabulary.load(path: $0) }
            let detok = Detokenizer(joiner: vocabulary?.settings.joiner ?? TokenizerSettings.defaultJoiner)
            let out = BufferedWriter.standardOutput()
            try Inputs.forEach(files, skipInvalid: false) { reader in
                while let l = try reader.next() {
                    var tokens = Detokenizer.splitTokens(l.text)
                    if ids, let v = vocabulary {
                        var idList: [TokenID] = []
                        for t in tokens {
                            guard let id = TokenID(t), id >= 0, Int(id) < v.count else {
                                throw TextError.invalidSettings("\(reader.path):\(l.number): \"\(t)\" is not an id of \(vocab!)")
                            }
                            idList.append(id)
                        }
                        tokens = v.decode(idList)
                    }
                    try out.write(detok.detokenize(tokens))
                    try out.write("\n")
                }
            }
            try out.flush()
        }
    }
}

// MARK: - normalize

struct Normalize: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print each line as the tokenizer sees it (normalized, lowercased if configured, whitespace collapsed and trimmed): detokenize(tokenize(x)) equals this.",
        usage: "nmt-vocab normalize [<options>] [<files> ...]")

    @OptionGroup var options: TokenizerOptions

    @Flag(help: "Skip (and count) lines that are not valid UTF-8 instead of failing.")
    var skipInvalid = false

    @Argument(help: "Input files (plain or gzip); standard input if none.")
    var files: [String] = []

    func run() throws {
        try console.run {
            let (_, tokenizer) = try options.make()
            let out = BufferedWriter.standardOutput()
            try Inputs.forEach(files, skipInvalid: skipInvalid) { reader in
                while let l = try reader.next() {
                    try out.write(tokenizer.normalize(l.text))
                    try out.write("\n")
                }
                Inputs.reportSkipped(reader, console: console)
            }
            try out.flush()
        }
    }
}

// MARK: - stats

struct Stats: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Token and type counts of a corpus and its out-of-vocabulary rates.")

    @Argument(help: "Corpus file (plain or gzip).")
    var file: String

    @Option(help: "Vocabulary file.")
    var vocab: String

    @Flag(help: "Skip (and count) lines that are not valid UTF-8 instead of failing.")
    var skipInvalid = false

    func run() throws {
        try console.run {
            let vocabulary = try Vocabulary.load(path: vocab)
            let tokenizer = try Tokenizer(settings: vocabulary.settings)
            let reader = try LineReader(path: file, skipInvalidUTF8: skipInvalid)
            var counts: [String: Int] = [:]
            var tokens = 0, oovTokens = 0, lines = 0
            while let l = try reader.next() {
                lines += 1
                tokenizer.tokenize(l.text) { t in
                    counts[t, default: 0] += 1
                    tokens += 1
                    if !vocabulary.contains(t) { oovTokens += 1 }
                }
            }
            Inputs.reportSkipped(reader, console: console)
            let oovTypes = counts.keys.filter { !vocabulary.contains($0) }.count
            func pct(_ a: Int, _ b: Int) -> String {
                guard b > 0 else { return "0.00%" }
                let hundredths = Int((Double(a) / Double(b) * 10_000).rounded())
                let frac = hundredths % 100
                return "\(hundredths / 100).\(frac < 10 ? "0" : "")\(frac)%"
            }
            let out = BufferedWriter.standardOutput()
            try out.write("""
                file: \(file)
                vocabulary: \(vocab) (\(vocabulary.count) entries, \(vocabulary.contentHash))
                lines: \(lines)
                tokens: \(tokens)
                types: \(counts.count)
                oov tokens: \(oovTokens) (\(pct(oovTokens, tokens)))
                oov types: \(oovTypes) (\(pct(oovTypes, counts.count)))

                """)
            try out.flush()
        }
    }
}
