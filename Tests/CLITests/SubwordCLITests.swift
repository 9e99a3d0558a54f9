import Foundation
import Testing

/// Subwords end to end: joint BPE learned by nmt-vocab, subword vocabularies, nmt-train and
/// nmt-translate with no extra flag, no <unk> in the output, and the errors of a damaged setup.
@Suite struct SubwordCLITests {
    @Test func jointBPETrainsTranslatesAndNeverWritesUnk() throws {
        let dir = makeTempDir()
        write(dir + "/train.de", Array("ein hund läuft schnell\nzwei männer spielen fußball\nder mann schläft\nein kind lacht laut\n".utf8))
        write(dir + "/train.en", Array("a dog runs fast\ntwo men play football\nthe man sleeps\na child laughs loudly\n".utf8))
        let learn = try run(["learn-bpe", dir + "/train.de:de", dir + "/train.en:en", "--size", "30", "-o", dir + "/joint.bpe"])
        #expect(learn.status == 0, "\(learn.stderr)")
        for (f, lang) in [("train.de", "de"), ("train.en", "en")] {
            let r = try run(["build", dir + "/" + f, "--lang", lang, "--subwords", "bpe", "--bpe", dir + "/joint.bpe",
                             "-o", dir + "/\(lang).vocab"])
            #expect(r.status == 0, "\(r.stderr)")
            #expect(FileManager.default.fileExists(atPath: dir + "/\(lang).bpe"))
        }
        let tok = try run(["tokenize", "--vocab", dir + "/de.vocab"], stdin: "ein Überraschungsgast 😀\n")
        #expect(tok.status == 0 && tok.stdout.contains("<0xF0>") && !tok.stdout.contains("<unk>"), "\(tok.stdout)")
        let train = try runTool(nmtTrain, ["--src", dir + "/train.de", "--tgt", dir + "/train.en", "--src-vocab", dir + "/de.vocab",
                                           "--tgt-vocab", dir + "/en.vocab", "--embedding", "8", "--enc-hidden", "8",
                                           "--dec-hidden", "8", "--attention", "8", "--pre-output", "8", "--batch-tokens", "40",
                                           "--max-epochs", "2", "--quiet", "-o", dir + "/m"])
        #expect(train.status == 0, "\(train.stderr)")
        for f in ["last/source.bpe", "last/target.bpe", "last/source.vocab"] {
            #expect(FileManager.default.fileExists(atPath: dir + "/m/" + f), "missing \(f)")
        }
        write(dir + "/in.de", Array("ein hund läuft\nXZ_OPT --verbose systemd.exec 漢字 😀\n".utf8))
        let t = try runTool(nmtTranslate, ["-m", dir + "/m", dir + "/in.de", "--greedy", "--alignments"])
        #expect(t.status == 0, "\(t.stderr)")
        #expect(t.stdout.split(separator: "\n").count == 2 && !t.stdout.contains("<unk>"), "\(t.stdout)")
        let score = try runTool(nmtTranslate, ["-m", dir + "/m", "--score", dir + "/train.de", dir + "/train.en"])
        #expect(score.status == 0 && score.stdout.split(separator: "\n").count == 4, "\(score.stderr)")
        // A model directory whose subword model is missing: one line naming the file.
        try FileManager.default.removeItem(atPath: dir + "/m/last/source.bpe")
        let broken = try runTool(nmtTranslate, ["-m", dir + "/m/last", dir + "/in.de"])
        #expect(broken.status == 1 && broken.stderr.contains(dir + "/m/last/source.bpe"), "\(broken.stderr)")
        #expect(broken.stderr.split(separator: "\n").count == 1, "\(broken.stderr)")
        // A vocabulary next to another language's merges.
        try FileManager.default.copyItem(atPath: dir + "/joint.bpe", toPath: dir + "/other.bpe")
        let other = try run(["learn-bpe", dir + "/train.de:de", "--size", "5", "-o", dir + "/other.bpe", "--force"])
        #expect(other.status == 0)
        try FileManager.default.removeItem(atPath: dir + "/de.bpe")
        try FileManager.default.copyItem(atPath: dir + "/other.bpe", toPath: dir + "/de.bpe")
        let mismatch = try run(["tokenize", "--vocab", dir + "/de.vocab"], stdin: "ein hund\n")
        #expect(mismatch.status == 1 && mismatch.stderr.contains(dir + "/de.bpe: not the BPE model"), "\(mismatch.stderr)")
    }
}
