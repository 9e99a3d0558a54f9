import Foundation
import Testing

/// nmt-translate --mbr SCALE (minimum Bayes risk over the beam) and its choice on held-out data:
/// --tune-rescore --mbr-grid, recorded by --tune-length-penalty in decoding.json.
@Suite struct MBRCLITests {
    /// A model trained briefly on six sentences, so that its beams differ and BLEU is not 0
    /// (about 4.6 on its own training data).
    func trained() throws -> (dir: String, model: String) {
        let dir = makeTempDir()
        write(dir + "/train.de", Array("""
            ein hund läuft über die grüne wiese .
            zwei männer spielen im weißen schnee .
            der alte mann schläft auf der bank .
            ein kleines kind lacht in der sonne .
            eine frau liest ein buch im park .
            drei hunde laufen über die straße .

            """.utf8))
        write(dir + "/train.en", Array("""
            a dog runs across the green meadow .
            two men play in the white snow .
            the old man sleeps on the bench .
            a small child laughs in the sun .
            a woman reads a book in the park .
            three dogs run across the street .

            """.utf8))
        for (f, lang) in [("train.de", "de"), ("train.en", "en")] {
            let r = try run(["build", dir + "/" + f, "--lang", lang, "-o", dir + "/\(lang).vocab"])
            #expect(r.status == 0, "\(r.stderr)")
        }
        let r = try runTool(nmtTrain, ["--src", dir + "/train.de", "--tgt", dir + "/train.en", "--src-vocab", dir + "/de.vocab",
                                       "--tgt-vocab", dir + "/en.vocab", "--embedding", "16", "--enc-hidden", "16", "--dec-hidden", "16",
                                       "--attention", "16", "--pre-output", "16", "--batch-tokens", "60", "--max-steps", "300", "--learning-rate", "0.01",
                                       "--dropout", "0", "--ema-decay", "0", "--quiet", "-o", dir + "/m"])
        #expect(r.status == 0, "\(r.stderr)")
        return (dir, dir + "/m/last")
    }

    func bleu(_ text: String) -> String? {
        text.split(separator: "\n").first { $0.hasPrefix("BLEU|") }.map { String($0.split(separator: " ")[2]) }
    }

    @Test func tuneRecordAndDecodeWithMBR() throws {
        let (dir, model) = try trained()
        let src = dir + "/train.de", ref = dir + "/train.en"
        // The grid without a rescorer: one row per scale, weights "-".
        let tune = try runTranslate(["-m", model, "--tune-rescore", src, ref, "--mbr-grid", "0,0.5,2", "--beam", "4"])
        let rows = lines(tune.stdout)
        #expect(tune.status == 0 && rows.count == 5 && rows[0] == "weights\tmbr\tbleu" && rows[1].hasPrefix("-\t0\t")
                && rows[2].hasPrefix("-\t0.5\t") && rows[3].hasPrefix("-\t2\t") && rows[4].hasPrefix("chosen\t-\t"), "\(tune.stdout)\(tune.stderr)")
        // Each row's BLEU is what decoding with that scale scores.
        for (row, scale) in zip(rows[1...3], ["0", "0.5", "2"]) {
            let d = try runTranslate(["-m", model, src, "--beam", "4", "--mbr", scale, "--ref", ref, "--quiet", "-o", dir + "/out.\(scale)"])
            #expect(d.status == 0 && bleu(d.stdout) == String(row.split(separator: "\t")[2]), "\(scale): \(d.stdout) vs \(row)")
        }
        let plain = try runTranslate(["-m", model, src, "--beam", "4", "--quiet"])
        #expect(read(dir + "/out.0") == plain.stdout)
        // At scale 0.5 the n-best list is the plain one reordered.
        let nb = try runTranslate(["-m", model, src, "--beam", "4", "--n-best", "4", "--quiet"])
        let nbMBR = try runTranslate(["-m", model, src, "--beam", "4", "--n-best", "4", "--mbr", "0.5", "--quiet"])
        #expect(nb.status == 0 && lines(nb.stdout).sorted() == lines(nbMBR.stdout).sorted())

        let unMBR = try runTranslate(["-m", model, src, "--beam", "4", "--length-penalty", "1", "--quiet"])
        // Recorded by --tune-length-penalty beside the beam and penalty, used without flags and said.
        let rec = try runTranslate(["-m", model, "--tune-length-penalty", src, ref, "--beam", "4", "--grid", "1", "--mbr", "0.5"])
        #expect(rec.status == 0, "\(rec.stderr)")
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: model + "/decoding.json"))) as! [String: Any]
        #expect((json["mbr"] as? Double) == 0.5 && json["beam"] as? Int == 4, "\(json)")
        let byFile = try runTranslate(["-m", model, src])
        let explicit = try runTranslate(["-m", model, src, "--beam", "4", "--length-penalty", "1", "--mbr", "0.5", "--quiet"])
        #expect(byFile.status == 0 && byFile.stdout == explicit.stdout)
        #expect(byFile.stderr.contains("length penalty 1, beam 4, MBR scale 0.5 from \(model)/decoding.json"), "\(byFile.stderr)")
        // --mbr 0 turns the file's MBR off (the file's beam and penalty still hold); the other
        // flags leave it on.
        let off = try runTranslate(["-m", model, src, "--mbr", "0", "--quiet"])
        #expect(off.stdout == unMBR.stdout && off.stdout != byFile.stdout)
        let flags = try runTranslate(["-m", model, src, "--beam", "4", "--length-penalty", "1"])
        #expect(flags.stdout == byFile.stdout && flags.stderr.contains("MBR scale 0.5 from"), "\(flags.stderr)")
        // Without MBR the file has no mbr key.
        let unset = try runTranslate(["-m", model, "--tune-length-penalty", src, ref, "--beam", "4", "--grid", "1", "--mbr", "0", "--force"])
        #expect(unset.status == 0 && !(read(model + "/decoding.json") ?? "mbr").contains("mbr"))

        // Usage errors.
        for args in [[src, "--mbr", "-1"], [src, "--mbr-grid", "0,1"],
                     ["--tune-rescore", src, ref, "--mbr-grid", "0,x"], ["--tune-rescore", src, ref, "--mbr-grid", "1", "--mbr", "1"]] {
            let bad = try runTranslate(["-m", model] + args)
            #expect(bad.status == 64, "\(args): \(bad.stderr)")
        }
        let noGrid = try runTranslate(["-m", model, "--tune-rescore", src, ref])
        #expect(noGrid.status != 0 && noGrid.stderr.contains("--mbr-grid"), "\(noGrid.stderr)")
    }
}
