import Foundation
import Testing

/// nmt-translate --tune-length-penalty SRC REF: a grid on validation data, decoding.json in the
/// model directory, used when --length-penalty is not given.
@Suite struct TuneCLITests {
    @Test func tuneWritesDefaultsThatTranslateUses() throws {
        let (dir, model) = try translateFixture()
        // Without a decoding.json the beam is 5: six hypotheses per sentence are refused.
        let six = try runTranslate(["-m", model, dir + "/src.de", "--n-best", "6"])
        #expect(six.status == 1 && six.stderr.contains("beam (5, the default)"), "\(six.stderr)")
        let r = try runTranslate(["-m", model, "--tune-length-penalty", dir + "/src.de", dir + "/tgt.en", "--grid", "0,1.5", "--beam", "3"])
        #expect(r.status == 0, "\(r.stderr)")
        let rows = lines(r.stdout)
        #expect(rows.count == 4 && rows[0] == "length_penalty\tbleu" && rows[1].hasPrefix("0\t") && rows[2].hasPrefix("1.5\t"), "\(rows)")
        let bleus = rows[1...2].map { Double($0.split(separator: "\t")[1])! }
        #expect(rows[3] == "chosen\t" + (bleus[1] > bleus[0] ? "1.5" : "0"))
        let file = model + "/decoding.json"
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: file))) as! [String: Any]
        #expect((json["trials"] as? [Any])?.count == 2 && json["beam"] as? Int == 3)

        // Never silently replaced; --force chooses again.
        let again = try runTranslate(["-m", model, "--tune-length-penalty", dir + "/src.de", dir + "/tgt.en", "--grid", "2"])
        #expect(again.status != 0 && again.stderr.contains(file) && again.stderr.contains("--force"), "\(again.stderr)")
        let forced = try runTranslate(["-m", model, "--tune-length-penalty", dir + "/src.de", dir + "/tgt.en", "--grid", "2", "--force"])
        #expect(forced.status == 0 && lines(forced.stdout).last == "chosen\t2", "\(forced.stderr)")

        // Without a flag the file's penalty and beam (3, kept by the forced choice) are used, and
        // said; a flag wins.
        let plain = try runTranslate(["-m", model, dir + "/src.de"])
        let explicit = try runTranslate(["-m", model, dir + "/src.de", "--beam", "3", "--length-penalty", "2"])
        #expect(plain.status == 0 && explicit.status == 0)
        #expect(plain.stdout == explicit.stdout)
        #expect(plain.stderr.contains("length penalty 2, beam 3 from \(file)"), "\(plain.stderr)")
        #expect(!explicit.stderr.contains("decoding.json"))
        let beamGiven = try runTranslate(["-m", model, dir + "/src.de", "--beam", "4"])
        #expect(beamGiven.stderr.contains("length penalty 2 from \(file)"), "\(beamGiven.stderr)")
        // The beam really is 3: three hypotheses per sentence can be asked for, four cannot
        // (with the built-in beam of 5 they could).
        let three = try runTranslate(["-m", model, dir + "/src.de", "--n-best", "3"])
        #expect(three.status == 0 && lines(three.stdout).count == 3 * lines(explicit.stdout).count, "\(three.stderr)")
        let four = try runTranslate(["-m", model, dir + "/src.de", "--n-best", "4"])
        #expect(four.status == 1 && four.stderr.contains("beam (3, from \(file))") && four.stderr.contains("--beam"), "\(four.stderr)")
        #expect(try runTranslate(["-m", model, dir + "/src.de", "--n-best", "4", "--beam", "4"]).status == 0)

        // A damaged file is an error naming it, not a silent fallback.
        write(file, Array("{\"format\":".utf8))
        let damaged = try runTranslate(["-m", model, dir + "/src.de"])
        #expect(damaged.status != 0 && damaged.stderr.contains(file), "\(damaged.stderr)")
        // Usage errors.
        for args in [["--tune-length-penalty", dir + "/src.de"],
                     ["--tune-length-penalty", dir + "/src.de", dir + "/tgt.en", "--length-penalty", "1"],
                     ["--tune-length-penalty", dir + "/src.de", dir + "/tgt.en", "--grid", "1,x"]] {
            let bad = try runTranslate(["-m", model] + args)
            #expect(bad.status == 64, "\(args): \(bad.stderr)")
        }
    }
}
