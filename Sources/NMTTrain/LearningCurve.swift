// Learning curves: train.log.jsonl of one or more runs drawn as an SVG with three panels,
// training loss (nll per target token), validation perplexity and validation BLEU, against the
// update step or the training minutes. Each validation is a marked point (class "valid",
// data-step), so a test can count them. nmt-train writes RUN/curve.svg at every validation;
// `nmt-train plot RUN… -o FILE` draws several runs together.

import Foundation
import NMTText

public struct LearningCurve {
    public struct Point: Equatable { public var step: Double; public var minutes: Double; public var value: Double }
    public struct Run {
        public var name: String
        public var trainLoss: [Point] = []
        public var validPerplexity: [Point] = []
        public var validBLEU: [Point] = []
    }

    public var runs: [Run]
    /// The x axis: update steps (default) or minutes of training.
    public var byMinutes = false

    public init(runs: [Run], byMinutes: Bool = false) { self.runs = runs; self.byMinutes = byMinutes }

    /// Reads `dir/train.log.jsonl` (lines that do not parse are skipped).
    public static func read(runDirectory dir: String, name: String? = nil) throws -> Run {
        let path = dir.hasSuffix(".jsonl") ? dir : dir + "/train.log.jsonl"
        guard let data = FileManager.default.contents(atPath: path) else {
            throw TextError.cannotRead(path: path, reason: AtomicFile.fileExists(path) ? "unreadable" : "no such file (is it a run directory?)")
        }
        var run = Run(name: name ?? dir)
        for line in data.split(separator: 0x0A) {
            guard let o = try? JSONSerialization.jsonObject(with: Data(line)) as? [String: Any],
                  let type = o["type"] as? String, let step = (o["step"] as? NSNumber)?.doubleValue else { continue }
            let minutes = ((o["elapsed_s"] as? NSNumber)?.doubleValue ?? 0) / 60
            func point(_ key: String) -> Point? {
                (o[key] as? NSNumber).map { Point(step: step, minutes: minutes, value: $0.doubleValue) }
            }
            if type == "train", let p = point("nll") { run.trainLoss.append(p) }
            if type == "valid" {
                // Monolingual runs log a perplexity under their own name ("fill ppl", "lm ppl").
                if let p = point("ppl") ?? o.keys.sorted().first(where: { $0.hasSuffix("ppl") }).flatMap(point) { run.validPerplexity.append(p) }
                if let p = point("bleu") { run.validBLEU.append(p) }
            }
        }
        return run
    }

    static let colors = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf"]

    /// The picture.
    public func svg() -> String {
        let width = 720.0, panelHeight = 200.0, left = 70.0, right = 20.0, top = 60.0, gap = 60.0
        // (title, series, log scale)
        let panels: [(title: String, series: (Run) -> [Point], log: Bool)] = [
            ("training loss (nll per target token)", { $0.trainLoss }, false),
            ("validation perplexity (log scale)", { $0.validPerplexity }, true),
            ("validation BLEU", { $0.validBLEU }, false),
        ]
        let height = top + Double(panels.count) * (panelHeight + gap) + 20
        func x(_ p: Point) -> Double { byMinutes ? p.minutes : p.step }
        let all = runs.flatMap { r in panels.flatMap { $0.series(r) } }
        let xMax = max(all.map(x).max() ?? 1, 1e-9)
        var out = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width))\" height=\"\(Int(height))\" font-family=\"sans-serif\" font-size=\"12\">\n"
        out += "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
        // Legend.
        for (i, r) in runs.enumerated() {
            let c = Self.colors[i % Self.colors.count], lx = left + Double(i) * 220
            out += "<rect x=\"\(f(lx))\" y=\"12\" width=\"12\" height=\"12\" fill=\"\(c)\"/>"
            out += "<text x=\"\(f(lx + 16))\" y=\"22\">\(escape(r.name))</text>\n"
        }
        for (k, panel) in panels.enumerated() {
            let y0 = top + Double(k) * (panelHeight + gap)
            func scaled(_ v: Double) -> Double { panel.log ? log10(max(v, 1e-9)) : v }
            let values = runs.flatMap { panel.series($0).map(\.value) }.filter(\.isFinite).map(scaled)
            var lo = values.min() ?? 0, hi = values.max() ?? 1
            if hi - lo < 1e-9 { lo -= 1; hi += 1 }
            func px(_ p: Point) -> Double { left + x(p) / xMax * (width - left - right) }
            func py(_ v: Double) -> Double { y0 + panelHeight - (scaled(v) - lo) / (hi - lo) * panelHeight }
            out += "<g class=\"panel\">\n<text x=\"\(f(left))\" y=\"\(f(y0 - 8))\" font-weight=\"bold\">\(panel.title)</text>\n"
            out += "<rect x=\"\(f(left))\" y=\"\(f(y0))\" width=\"\(f(width - left - right))\" height=\"\(f(panelHeight))\" fill=\"none\" stroke=\"#999\"/>\n"
            for t in 0...4 {
                let s = lo + (hi - lo) * Double(t) / 4, v = panel.log ? pow(10, s) : s
                out += "<text x=\"\(f(left - 6))\" y=\"\(f(py(v) + 4))\" text-anchor=\"end\">\(String(format: "%.2f", v))</text>\n"
                let xv = xMax * Double(t) / 4, xs = left + Double(t) / 4 * (width - left - right)
                out += "<text x=\"\(f(xs))\" y=\"\(f(y0 + panelHeight + 14))\" text-anchor=\"middle\">\(byMinutes ? String(format: "%.0f", xv) : String(Int(xv)))</text>\n"
            }
            out += "<text x=\"\(f(width - right))\" y=\"\(f(y0 + panelHeight + 30))\" text-anchor=\"end\">\(byMinutes ? "minutes of training" : "update step")</text>\n"
            for (i, r) in runs.enumerated() {
                let c = Self.colors[i % Self.colors.count]
                let pts = panel.series(r).filter { $0.value.isFinite }
                guard !pts.isEmpty else { continue }
                out += "<polyline class=\"series\" fill=\"none\" stroke=\"\(c)\" stroke-width=\"1.5\" points=\"" + pts.map { "\(f(px($0))),\(f(py($0.value)))" }.joined(separator: " ") + "\"/>\n"
                if k > 0 {   // validation panels: one marked point per validation
                    for p in pts {
                        out += "<circle class=\"valid\" data-run=\"\(escape(r.name))\" data-step=\"\(Int(p.step))\" cx=\"\(f(px(p)))\" cy=\"\(f(py(p.value)))\" r=\"3\" fill=\"\(c)\"><title>step \(Int(p.step)): \(String(format: "%.2f", p.value))</title></circle>\n"
                    }
                }
            }
            out += "</g>\n"
        }
        return out + "</svg>\n"
    }

    func f(_ v: Double) -> String { String(format: "%.1f", v) }
    func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }
}
