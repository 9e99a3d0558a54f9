// The HTTP side on Hummingbird 2: routes to TranslationService, the page, the OpenAPI
// description, health and metrics. Graceful shutdown (SIGTERM/SIGINT finish in-flight requests)
// comes from swift-service-lifecycle through `Application.runService`.
import Foundation
import Hummingbird
import Logging
import NIOCore

/// A request context that knows the client's address (for the per-client request limit).
public struct ServeContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    public let remoteAddress: SocketAddress?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress
    }

    /// The client's IP address (without the port), or "unknown".
    var client: String { remoteAddress?.ipAddress ?? "unknown" }
}

public enum HTTPServer {
    /// Routes of the server over `service`; `metricsText` renders /metrics.
    public static func router(service: TranslationService, metricsText: @escaping @Sendable () -> String) -> Router<ServeContext> {
        let router = Router(context: ServeContext.self)
        let limit = service.limits.maxBodyBytes
        let settings = service.registry.settings, models = service.registry.models
        let spec = jsonBytes(openAPISpec(limits: service.limits, maxAlternatives: min(settings.maxAlternatives, (models.map(\.beam).min() ?? 1) - 1),
                                         sources: Array(Set(models.map(\.source))).sorted(), targets: Array(Set(models.map(\.target))).sorted()))

        router.get("/") { _, _ in
            respond(APIResponse(status: 200, body: Array(webPage.utf8), contentType: "text/html; charset=utf-8"))
        }
        router.get("/health") { _, _ in
            respond(.json(["status": "ok", "models": service.registry.models.map(\.name)]))
        }
        router.get("/metrics") { _, _ in
            respond(APIResponse(status: 200, body: Array(metricsText().utf8), contentType: "text/plain; version=0.0.4"))
        }
        router.get("/openapi.json") { _, _ in respond(APIResponse(status: 200, body: spec)) }
        router.get("/languages") { _, _ in respond(service.languages()) }
        router.get("/translator/models") { _, _ in respond(service.openNMTModels()) }
        router.post("/translate") { request, context in
            var request = request
            guard let body = await collect(&request, limit: limit, service: service, api: "translate") else { return tooLarge(limit) }
            return respond(await service.libreTranslate(body: body, contentType: request.headers[.contentType], client: context.client))
        }
        router.post("/translator/translate") { request, context in
            var request = request
            guard let body = await collect(&request, limit: limit, service: service, api: "translator/translate") else { return tooLarge(limit) }
            return respond(await service.openNMTTranslate(body: body, client: context.client))
        }
        return router
    }

    /// The body, or nil when it is larger than `limit` (counted as a 413).
    static func collect(_ request: inout Request, limit: Int, service: TranslationService, api: String) async -> [UInt8]? {
        do {
            let buffer = try await request.collectBody(upTo: limit)
            return Array(buffer.readableBytesView)
        } catch {
            service.metrics.request(api: api, status: 413, seconds: 0)
            return nil
        }
    }

    static func tooLarge(_ limit: Int) -> Response {
        respond(.error(APIError(413, "Invalid request: the body is larger than \(limit) bytes")))
    }

    static func respond(_ r: APIResponse) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = r.contentType
        return Response(status: HTTPResponse.Status(code: r.status), headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: r.body)))
    }
}
