// Attention heatmaps as standalone SVG files (nmt-translate --attention-svg DIR).
//
// Source tokens run along the top (one column each, labels rotated), target tokens down the
// left (one row each); cell (j, i) is shaded by the weight target token j gave source token i
// (white 0 → dark blue 1), with the weight as a tooltip. Labels are XML-escaped.


/// Escapes `& < > " '` for XML text and attribute values.
public func xmlEscaped(_ s: String) -> String {
    var out = ""
    out.reserveCapacity(s.utf8.count)
    for ch in s.unicodeScalars {
        switch ch {
        case "&": out += "&amp;"
        case "<": out += "&lt;"
        case ">": out += "&gt;"
        case "\"": out += "&quot;"
        case "'": out += "&apos;"
        default:
            // Control characters are not allowed in XML 1.0.
            if ch.value < 0x20 && ch != "\t" { out += "?" } else { out.unicodeScalars.append(ch) }
        }
    }
    return out
}

/// An SVG heatmap of `weights` [target token][source token].
public func attentionSVG(sourceTokens: [String], targetTokens: [String], weights: [[Float]]) -> String {
    let cell = 24, font = 12
    func labelWidth(_ toks: [String]) -> Int { min(240, 12 + 8 * (toks.map(\.count).max() ?? 0)) }
    let left = labelWidth(targetTokens), top = labelWidth(sourceTokens)
    let w = left + cell * sourceTokens.count + 10, h = top + cell * targetTokens.count + 10
    var s = """
        <?xml version="1.0" encoding="UTF-8"?>
        <svg xmlns="http://www.w3.org/2000/svg" width="\(w)" height="\(h)" viewBox="0 0 \(w) \(h)" font-family="sans-serif" font-size="\(font)">
        <rect x="0" y="0" width="\(w)" height="\(h)" fill="white"/>

        """
    for (i, tok) in sourceTokens.enumerated() {
        let x = left + i * cell + cell / 2 + font / 3, y = top - 6
        s += "<text x=\"\(x)\" y=\"\(y)\" transform=\"rotate(-60 \(x) \(y))\">\(xmlEscaped(tok))</text>\n"
    }
    for (j, tok) in targetTokens.enumerated() {
        let y = top + j * cell + cell / 2 + font / 3
        s += "<text x=\"\(left - 6)\" y=\"\(y)\" text-anchor=\"end\">\(xmlEscaped(tok))</text>\n"
    }
    for (j, row) in weights.enumerated() where j < targetTokens.count {
        for (i, a) in row.enumerated() where i < sourceTokens.count {
            let v = max(0, min(1, a.isFinite ? a : 0))
            // White → dark blue.
            let r = Int(255 - v * 247), g = Int(255 - v * 207), b = Int(255 - v * 148)
            s += "<rect x=\"\(left + i * cell)\" y=\"\(top + j * cell)\" width=\"\(cell)\" height=\"\(cell)\" fill=\"rgb(\(r),\(g),\(b))\" stroke=\"#ddd\"><title>\(xmlEscaped(targetTokens[j])) → \(xmlEscaped(sourceTokens[i])): \(String(format3(v)))</title></rect>\n"
        }
    }
    s += "</svg>\n"
    return s
}

private func format3(_ v: Float) -> String {
    let n = Int((v * 1000).rounded())
    let frac = String(n % 1000)
    return "\(n / 1000).\(String(repeating: "0", count: 3 - frac.count))\(frac)"
}
