// The APIs, independent of the HTTP framework: a body in, a status and a JSON body out.
//   LibreTranslate: POST /translate, GET /languages (https://libretranslate.com/docs)
//   OpenNMT-py's REST server: POST /translator/translate, GET /translator/models
// Checks run in this order, each with LibreTranslate's status: the client's request rate (429),
// the body (400), the API key (403) and its character budget (429), the sizes (400), the
// language pair (400); a full queue answers 503 at once.
import Foundation
import NMTInference

public struct APIResponse: Sendable {
    public var status: Int
    public var body: [UInt8]
    public var contentType = "application/json"
    public init(status: Int, body: [UInt8], contentType: String = "application/json") {
        self.status = status; self.body = body; self.contentType = contentType
    }
    public static func json(_ value: Any, status: Int = 200) -> APIResponse { APIResponse(status: status, body: jsonBytes(value)) }
    public static func error(_ e: APIError) -> APIResponse { .json(["error": e.message], status: e.status) }
}

public final class TranslationService: @unchecked Sendable {
    public let registry: ModelRegistry
    public let limits: RequestLimits
    public let keys: APIKeys?
    public let metrics: ServeMetrics
    private let clientRequests = MinuteCounter()
    private let keyCharacters = MinuteCounter()

    public init(registry: ModelRegistry, limits: RequestLimits, keys: APIKeys?, metrics: ServeMetrics) {
        self.registry = registry
        self.limits = limits
        self.keys = keys
        self.metrics = metrics
    }

    /// Runs `body` with the request counted, timed and its errors turned into JSON answers.
    func handle(_ api: String, client: String, _ body: () async throws -> APIResponse) async -> APIResponse {
        let start = Date()
        var response: APIResponse
        do {
            if limits.requestsPerMinute > 0 && !clientRequests.allow(client, limit: limits.requestsPerMinute) {
                throw APIError(429, "Too many requests: at most \(limits.requestsPerMinute) per minute from one client")
            }
            response = try await body()
        } catch let e as APIError {
            response = .error(e)
        } catch let e as ServeError {
            switch e {
            case let .overloaded(queued, limit):
                response = .error(APIError(503, "The server is busy (\(queued) of \(limit) sentences queued); try again"))
            case .stopping:
                response = .error(APIError(503, "The server is stopping"))
            }
        } catch {
            response = .error(APIError(500, "Internal error: \(error)"))
        }
        metrics.request(api: api, status: response.status, seconds: Date().timeIntervalSince(start))
        return response
    }

    /// Sentences of the texts: each line of each text is translated on its own.
    static func lines(of texts: [String]) -> [[String]] {
        texts.map { $0.split(separator: "\n", omittingEmptySubsequences: false).map { String($0.trimmingCharacters(in: .init(charactersIn: "\r"))) } }
    }

    /// Size limits and the key's budget for `texts`; returns the lines to translate.
    func admit(_ texts: [String], apiKey: String?) throws -> [[String]] {
        let characters = texts.reduce(0) { $0 + $1.count }
        if let keys {
            guard let apiKey, !apiKey.isEmpty else { throw APIError(403, "Invalid API key: this server needs an api_key") }
            guard let k = keys.find(apiKey) else { throw APIError(403, "Invalid API key") }
            let budget = keys.keys[k].charactersPerMinute
            if budget > 0 && !keyCharacters.allow("key\(k)", cost: characters, limit: budget) {
                throw APIError(429, "Too many characters: this key may translate \(budget) per minute")
            }
        }
        if characters > limits.maxCharacters {
            throw APIError(400, "Invalid request: \(characters) characters, at most \(limits.maxCharacters) per request")
        }
        let lines = Self.lines(of: texts)
        let count = lines.reduce(0) { $0 + $1.count }
        if count > limits.maxSentences {
            throw APIError(400, "Invalid request: \(count) lines, at most \(limits.maxSentences) per request")
        }
        return lines
    }

    /// Translates lines with a model's batcher; texts come back joined by newlines.
    func translate(_ lines: [[String]], model: ServedModel, output: DynamicBatcher.Output) async throws -> [[Translation]] {
        let flat = lines.flatMap { $0 }
        let results = try await model.batcher.translate(flat, output: output)
        metrics.translated(model: model.name, sentences: flat.count, tokens: results.reduce(0) { $0 + $1.tokens.count })
        var out: [[Translation]] = []
        var i = 0
        for l in lines { out.append(Array(results[i ..< i + l.count])); i += l.count }
        return out
    }

    // MARK: LibreTranslate

    public func libreTranslate(body: [UInt8], contentType: String?, client: String) async -> APIResponse {
        await handle("translate", client: client) {
            let f = try RequestFields.parse(body, contentType: contentType)
            guard let q = try f.texts("q") else { throw APIError(400, "Invalid request: missing q parameter") }
            let (texts, wasArray) = q
            if texts.isEmpty || texts.allSatisfy({ $0.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty }) {
                throw APIError(400, "Invalid request: q is empty")
            }
            guard let source = try f.string("source"), !source.isEmpty else { throw APIError(400, "Invalid request: missing source parameter") }
            guard let target = try f.string("target"), !target.isEmpty else { throw APIError(400, "Invalid request: missing target parameter") }
            let format = try f.string("format") ?? "text"
            guard format == "text" else { throw APIError(400, "Invalid request: format \(format) is not supported (only text)") }
            let alternatives = try f.int("alternatives") ?? 0
            guard (0...registry.settings.maxAlternatives).contains(alternatives) else {
                throw APIError(400, "Invalid request: alternatives must be 0 to \(registry.settings.maxAlternatives)")
            }
            let attention = try f.bool("attention") ?? false
            let lines = try admit(texts, apiKey: try f.string("api_key"))
            if source == "auto" { throw APIError(400, "Invalid request: language detection is not supported; give source") }
            guard let model = registry.model(source: source, target: target) else {
                let known = registry.models.map { "\($0.source)→\($0.target)" }.joined(separator: ", ")
                throw APIError(400, "\(source)→\(target) is not supported (this server translates \(known))")
            }
            guard alternatives + 1 <= model.beam else {
                throw APIError(400, "Invalid request: \(alternatives) alternatives need a beam of \(alternatives + 1) (the server's \(model.name) decodes with \(model.beam))")
            }
            let results = try await translate(lines, model: model, output: DynamicBatcher.Output(nBest: alternatives + 1, attention: attention))
            func text(_ ts: [Translation]) -> String { ts.map(\.text).joined(separator: "\n") }
            func alts(_ ts: [Translation]) -> [String] {
                (1...max(1, alternatives)).map { k in ts.map { k < $0.nBest.count ? $0.nBest[k].text : $0.text }.joined(separator: "\n") }
            }
            var answer: [String: Any] = [:]
            answer["translatedText"] = wasArray ? results.map(text) as Any : text(results[0]) as Any
            if alternatives > 0 { answer["alternatives"] = wasArray ? results.map(alts) as Any : alts(results[0]) as Any }
            if attention {
                // One picture per line, as nmt-translate --attention-svg draws it (an empty line: none).
                let svgs = results.map { ts in ts.map { t in
                    t.attention.map { attentionSVG(sourceTokens: t.sourceTokens, targetTokens: t.tokens, weights: $0) } ?? ""
                } }
                answer["attention"] = wasArray ? svgs as Any : svgs[0] as Any
            }
            return .json(answer)
        }
    }

    public func languages() -> APIResponse {
        var targets: [String: [String]] = [:]
        for m in registry.models { targets[m.source, default: []].append(m.target) }
        let list = targets.keys.sorted().map { code -> [String: Any] in
            ["code": code, "name": languageName(code), "targets": targets[code]!.sorted()]
        }
        return .json(list)
    }

    // MARK: OpenNMT-py

    public func openNMTTranslate(body: [UInt8], client: String) async -> APIResponse {
        await handle("translator/translate", client: client) {
            guard let items = try RequestFields.parseJSON(body) as? [Any], !items.isEmpty else {
                throw APIError(400, "Invalid request: expected a non-empty JSON array of {\"src\": …, \"id\": …}")
            }
            var model: ServedModel?
            var texts: [String] = []
            for item in items {
                guard let object = item as? [String: Any], let src = object["src"] as? String else {
                    throw APIError(400, "Invalid request: every item needs \"src\" (a string)")
                }
                let m = try openNMTModel(object["id"])
                if let model, model !== m { throw APIError(400, "Invalid request: one request, one model id") }
                model = m
                texts.append(src)
            }
            let lines = try admit(texts, apiKey: nil)
            let results = try await translate(lines, model: model!, output: DynamicBatcher.Output())
            let out: [[String: Any]] = zip(texts, results).map { src, ts in
                ["src": src, "tgt": ts.map(\.text).joined(separator: "\n"), "n_best": 1,
                 "pred_score": Double(ts.reduce(Float(0)) { $0 + $1.score })]
            }
            return .json([out])
        }
    }

    /// OpenNMT-py names models by integer ids: here the position of --model, from 100 as in its
    /// examples' conf.json (100, 101, …); a model's name is accepted too.
    func openNMTModel(_ id: Any?) throws -> ServedModel {
        guard let id else {
            if registry.models.count == 1 { return registry.models[0] }
            throw APIError(400, "Invalid request: \"id\" is needed (GET /translator/models lists them)")
        }
        if let name = id as? String, let m = registry.model(named: name) { return m }
        if let n = id as? NSNumber, !isBoolean(n), let i = Int(exactly: n.doubleValue), registry.models.indices.contains(i - 100) {
            return registry.models[i - 100]
        }
        throw APIError(400, "Invalid request: no model with id \(id)")
    }

    public func openNMTModels() -> APIResponse {
        .json(registry.models.enumerated().map { i, m -> [String: Any] in
            ["model_id": 100 + i, "name": m.name, "loaded": true, "source": m.source, "target": m.target,
             "opt": ["models": [m.directory], "beam_size": m.beam, "mbr": Double("\(m.mbr)") ?? 0]]
        })
    }
}

/// English names of the languages a model may have (the code itself otherwise).
func languageName(_ code: String) -> String {
    let names = ["ar": "Arabic", "cs": "Czech", "da": "Danish", "de": "German", "el": "Greek", "en": "English",
                 "es": "Spanish", "fi": "Finnish", "fr": "French", "hu": "Hungarian", "it": "Italian", "ja": "Japanese",
                 "ko": "Korean", "nl": "Dutch", "pl": "Polish", "pt": "Portuguese", "ro": "Romanian", "ru": "Russian",
                 "sv": "Swedish", "tr": "Turkish", "uk": "Ukrainian", "zh": "Chinese"]
    return names[code] ?? code
}
