import Hummingbird
import Logging

/// Logs every request, at info for the operator API, and at debug for CRL and validity
/// requests, which come by the thousand a second and are counted elsewhere (verifiers' in the
/// audit log). OCSP requests are answered before this (``OCSPMiddleware``), and so are the
/// validity lookups answered on the event loop (``EventLoopResponder``), which it never sees.
struct RequestLogMiddleware<Context: RequestContext>: RouterMiddleware {
    static func level(forPath path: String) -> Logger.Level {
        path.hasPrefix("/crl/") || path.hasPrefix("/v1/validity") ? .debug : .info
    }

    func handle(_ request: Request, context: Context,
                next: (Request, Context) async throws -> Response) async throws -> Response {
        context.logger.log(level: Self.level(forPath: request.uri.path), "request",
                           metadata: ["hb.request.method": "\(request.method)", "hb.request.path": "\(request.uri.path)"])
        return try await next(request, context)
    }
}
