// The OpenAPI 3.0 description served at /openapi.json (schemathesis and client generators read it).
import Foundation

/// `sources`/`targets`: the language codes served (schema enums, so generated requests can succeed);
/// `maxAlternatives`: the most a request may ask for (below the beam).
public func openAPISpec(limits: RequestLimits, maxAlternatives: Int, sources: [String], targets: [String]) -> [String: Any] {
    let error: [String: Any] = ["type": "object", "required": ["error"], "properties": ["error": ["type": "string"]]]
    func errors(_ codes: [Int]) -> [String: Any] {
        var r: [String: Any] = [:]
        for c in codes {
            r[String(c)] = ["description": HTTPStatusText.text(c), "content": ["application/json": ["schema": error]]]
        }
        return r
    }
    func ok(_ schema: [String: Any], _ description: String = "OK") -> [String: Any] {
        ["description": description, "content": ["application/json": ["schema": schema]]]
    }
    let texts: [String: Any] = ["oneOf": [["type": "string"], ["type": "array", "items": ["type": "string"]]]]
    let translateRequest: [String: Any] = [
        "type": "object", "required": ["q", "source", "target"],
        "properties": [
            "q": texts.merging(["description": "Text, or an array of texts; each line is translated on its own."]) { a, _ in a },
            "source": ["type": "string", "enum": sources, "description": "Source language code (GET /languages)."],
            "target": ["type": "string", "enum": targets, "description": "Target language code."],
            "format": ["type": "string", "enum": ["text"]],
            "alternatives": ["type": "integer", "minimum": 0, "maximum": maxAlternatives],
            "api_key": ["type": "string"],
            "attention": ["type": "boolean", "description": "Also return one SVG attention picture per line (swift-nmt)."],
        ] as [String: Any],
    ]
    let translateResponse: [String: Any] = [
        "type": "object", "required": ["translatedText"],
        "properties": ["translatedText": texts,
                       "alternatives": ["type": "array", "items": texts],
                       "attention": ["type": "array", "items": ["oneOf": [["type": "string"], ["type": "array", "items": ["type": "string"]]]]]] as [String: Any],
    ]
    let language: [String: Any] = [
        "type": "object", "required": ["code", "name", "targets"],
        "properties": ["code": ["type": "string"], "name": ["type": "string"], "targets": ["type": "array", "items": ["type": "string"]]],
    ]
    let onmtItem: [String: Any] = ["type": "object", "required": ["src"],
                                   "properties": ["src": ["type": "string"], "id": ["oneOf": [["type": "integer"], ["type": "string"]]]] as [String: Any]]
    let onmtOut: [String: Any] = ["type": "object", "properties": ["src": ["type": "string"], "tgt": ["type": "string"],
                                                                   "n_best": ["type": "integer"], "pred_score": ["type": "number"]]]
    return [
        "openapi": "3.0.3",
        "info": ["title": "nmt-serve", "version": "1",
                 "description": "swift-nmt translation server: LibreTranslate- and OpenNMT-py-compatible APIs. Bodies up to \(limits.maxBodyBytes) bytes, \(limits.maxCharacters) characters and \(limits.maxSentences) lines per request."],
        "paths": [
            "/translate": ["post": [
                "summary": "Translate (LibreTranslate API)",
                "requestBody": ["required": true, "content": [
                    "application/json": ["schema": translateRequest],
                    "application/x-www-form-urlencoded": ["schema": translateRequest]]] as [String: Any],
                "responses": ["200": ok(translateResponse)].merging(errors([400, 403, 413, 429, 500, 503])) { a, _ in a },
            ] as [String: Any]],
            "/languages": ["get": ["summary": "Language pairs (LibreTranslate API)",
                                   "responses": ["200": ok(["type": "array", "items": language])]] as [String: Any]],
            "/translator/translate": ["post": [
                "summary": "Translate (OpenNMT-py REST API)",
                "requestBody": ["required": true, "content": ["application/json": ["schema": ["type": "array", "minItems": 1, "items": onmtItem]]]] as [String: Any],
                "responses": ["200": ok(["type": "array", "items": ["type": "array", "items": onmtOut]])].merging(errors([400, 413, 429, 500, 503])) { a, _ in a },
            ] as [String: Any]],
            "/translator/models": ["get": ["summary": "Models (OpenNMT-py REST API)",
                                           "responses": ["200": ok(["type": "array", "items": ["type": "object"]])]] as [String: Any]],
            "/health": ["get": ["summary": "Liveness", "responses": ["200": ok(["type": "object"])]] as [String: Any]],
            "/metrics": ["get": ["summary": "Prometheus metrics", "responses": ["200": ["description": "text/plain exposition format",
                                                                                      "content": ["text/plain": ["schema": ["type": "string"]]]]]] as [String: Any]],
        ] as [String: Any],
    ]
}

enum HTTPStatusText {
    static func text(_ code: Int) -> String {
        switch code {
        case 400: return "Bad request"
        case 403: return "Invalid or missing API key"
        case 413: return "Body too large"
        case 429: return "Too many requests"
        case 500: return "Internal error"
        case 503: return "Busy or stopping"
        default: return "Status \(code)"
        }
    }
}
