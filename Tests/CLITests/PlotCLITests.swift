import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Testing

/// Learning curves: a run writes curve.svg at each validation, and nmt-train plot draws several
/// runs; the SVG parses and holds one point per validation and panel.
@Suite struct PlotCLITests {
    /// The data-step attributes of the validation points of an SVG (nil if it does not parse).
    func points(_ path: String) -> [String]? {
        final class Collector: NSObject, XMLParserDelegate {
            var steps: [String] = []
            func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
                        attributes: [String: String]) {
                if name == "circle", attributes["class"] == "valid", let s = attributes["data-step"] { steps.append(s) }
            }
        }
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        let parser = XMLParser(data: data)
        let c = Collector()
        parser.delegate = c
        return parser.parse() ? c.steps : nil
    }

    @Test func curvesHoldOnePointPerValidation() throws {
        let (dir, args) = try TrainCLITests().corpora()
        let r = try runTool(nmtTrain, args + ["-o", dir + "/a", "--max-epochs", "3"])
        #expect(r.status == 0, "\(r.stderr)")
        let log = read(dir + "/a/train.log.jsonl") ?? ""
        let steps = log.split(separator: "\n").filter { $0.contains("\"type\":\"valid\"") }.compactMap {
            ((try? JSONSerialization.jsonObject(with: Data($0.utf8))) as? [String: Any])?["step"] as? Int
        }
        #expect(steps.count == 3)
        // Perplexity and BLEU: two points per validation, at the validations' steps.
        let own = points(dir + "/a/curve.svg")
        #expect(own?.sorted() == (steps + steps).map(String.init).sorted(), "\(own ?? [])")
        let b = try runTool(nmtTrain, args + ["-o", dir + "/b", "--max-epochs", "2", "--seed", "2"])
        #expect(b.status == 0, "\(b.stderr)")
        let p = try runTool(nmtTrain, ["plot", dir + "/a", dir + "/b", "-o", dir + "/both.svg", "--minutes"])
        #expect(p.status == 0, "\(p.stderr)")
        #expect(points(dir + "/both.svg")?.count == 2 * 3 + 2 * 2)
        let again = try runTool(nmtTrain, ["plot", dir + "/a", "-o", dir + "/both.svg"])
        #expect(again.status != 0 && again.stderr.contains("both.svg"), "\(again.stderr)")
        let none = try runTool(nmtTrain, ["plot", dir + "/nothing", "-o", dir + "/x.svg"])
        #expect(none.status != 0 && none.stderr.contains("nothing/train.log.jsonl"), "\(none.stderr)")
    }
}
