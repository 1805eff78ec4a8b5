import Foundation
import Hummingbird
import JPKIAuthority
import JPKIConfiguration
import JPKIPublication
import JPKIStore
import HummingbirdAuth
import NIOCore

/// OCSP over HTTP, RFC 6960 Appendix A.1 with the RFC 5019 profile, at the URL written into
/// certificates' authorityInfoAccess: `POST /ocsp` with an `application/ocsp-request` body,
/// and `GET /ocsp/{url-encoded base64 of the request}`. Answers are
/// `application/ocsp-response`, HTTP 200 whatever the OCSP status, as clients expect (in
/// registered mode, 401 without a verifier's credential and 429 past its rate, each with an
/// OCSP body too).
///
/// A pre-signed answer to a GET carries Cache-Control max-age (up to its nextUpdate,
/// RFC 5019 §6.2), Expires, Last-Modified (its thisUpdate) and an ETag, and answers 304 to
/// a matching If-None-Match or If-Modified-Since. An answer signed for this request (a
/// nonce, several certificates) is `no-store`.
///
/// With `ocsp.access: registered` only verifiers may ask, with their credential; their
/// requests are rate limited and audited.
///
/// With an open responder, GETs of a pre-signed response in memory are answered before this,
/// on the event loop (``EventLoopResponder``); this answers the rest, and every POST.
///
/// A middleware at the head of the chain rather than routes: OCSP requests come by the
/// thousand a second, and skipping the route lookup (a trie walk over a long base64 path),
/// request logging, JSON errors and operator authentication, none of which an OCSP answer
/// needs, was about a tenth of the cost of each in a profile (perf) under wrk.
struct OCSPMiddleware<Context: RequestContext>: RouterMiddleware {
    let ocsp: OCSPService
    let gate: VerifierGate
    let credentials: CredentialDirectory

    /// RFC 6960 requests are a few hundred octets; 16 KiB is ample for the 16 CertIDs one may name.
    static var maximumRequestSize: Int { 16 * 1024 }

    func handle(_ request: Request, context: Context,
                next: (Request, Context) async throws -> Response) async throws -> Response {
        let path = request.uri.path
        guard path.hasPrefix("/ocsp") else { return try await next(request, context) }
        switch (request.method, path) {
        case (.post, "/ocsp"):
            guard request.headers[.contentType]?.lowercased().hasPrefix("application/ocsp-request") == true else {
                return Self.problem(.unsupportedMediaType, "an OCSP request is sent as application/ocsp-request (RFC 6960 Appendix A.1.1)")
            }
            guard let body = try? await request.body.collect(upTo: Self.maximumRequestSize) else {
                return Self.problem(.contentTooLarge, "an OCSP request is at most \(Self.maximumRequestSize) bytes")
            }
            return try await answer(request, body: Array(body.readableBytesView)[...], cacheable: false)
        case (.get, _) where path.hasPrefix("/ocsp/"):
            // The path is taken raw: base64 may hold '/', which some clients do not escape.
            let der = OCSPGetPath.decode(path.dropFirst(6))
            return try await answer(request, body: der.map { $0[...] }, cacheable: true)
        default:
            return try await next(request, context)
        }
    }

    func answer(_ request: Request, body: ArraySlice<UInt8>?, cacheable: Bool) async throws -> Response {
        var verifier: Verifier?
        if ocsp.settings.accessMode == .registered {
            guard let token = request.headers.bearer?.token,
                  let registered = credentials.verifier(presenting: token) else {
                return Self.ocspResponse(OCSPResponseEnvelope.unsuccessful(.unauthorized), status: .unauthorized,
                                         extra: [.wwwAuthenticate: "Bearer"])
            }
            if let retryAfter = gate.rateLimiter.admit(registered) {
                return Self.ocspResponse(OCSPResponseEnvelope.unsuccessful(.tryLater), status: .tooManyRequests,
                                         extra: [.retryAfter: "\(retryAfter)"])
            }
            verifier = registered
        }
        let now = Date()
        let answer = body.map { ocsp.responder.respond(to: $0, at: now) } ?? OCSPAnswer.malformed
        if let verifier {
            do {
                try await gate.audit.record(AuditEvent(actor: verifier.id, action: "verifier.ocsp", details: [
                    "tier": verifier.tier.rawValue, "status": "\(answer.status)", "answers": answer.answered.joined(separator: "; "),
                ]))
            } catch {
                // Unrecorded, so not disclosed: the verifier may ask again.
                return Self.ocspResponse(OCSPResponseEnvelope.unsuccessful(.tryLater), status: .ok, extra: [.cacheControl: "no-store"])
            }
        }
        guard let presigned = answer.presigned, cacheable else {
            return Self.ocspResponse(answer.body, status: .ok, extra: [.cacheControl: "no-store"])
        }
        // A registered verifier's answer is its own: a shared cache must not hand it to others
        // (RFC 9111 §3.5), which would bypass the credential, the rate limit and the audit.
        var headers = OCSPCaching.headers(presigned, at: Int64(now.timeIntervalSince1970), maxAge: ocsp.settings.httpMaxAge,
                                          shared: verifier == nil)
        if APIRoutes.isFresh(request.headers, etag: presigned.entityTag, lastModified: presigned.thisUpdate) {
            return Response(status: .notModified, headers: headers)
        }
        headers[.contentType] = "application/ocsp-response"
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: answer.body)))
    }

    static func ocspResponse(_ body: [UInt8], status: HTTPResponse.Status, extra: HTTPFields) -> Response {
        var headers: HTTPFields = [.contentType: "application/ocsp-response"]
        headers.append(contentsOf: extra)
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }

    /// An HTTP-level refusal, as JSON like every other error of the service.
    static func problem(_ status: HTTPResponse.Status, _ message: String) -> Response {
        let code = status == .contentTooLarge ? "body_too_large" : "unsupported_media_type"
        let body = #"{"error":{"code":"\#(code)","message":"\#(message)"}}"#
        return Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: body)))
    }
}

extension APIRoutes {
    /// `GET /ocsp/{request}` answered on the event loop (``EventLoopResponder``) when the
    /// responder is open and the answer is a pre-signed response in memory; nil otherwise, and
    /// ``OCSPMiddleware`` answers.
    static func ocspAnswer(to request: HTTPRequest, ocsp: OCSPService) -> EventLoopAnswer? {
        // '?' and "%3F" are not base64: a path with a query string fails to decode here, and
        // the middleware, which reads the path without it, answers.
        guard request.method == .get, ocsp.settings.accessMode == .open, let path = request.path,
              path.hasPrefix("/ocsp/") else { return nil }
        let now = Date()
        guard let presigned = ocsp.responder.presignedFromMemory(get: path, requestStart: path.utf8.index(path.startIndex, offsetBy: 6),
                                                                 at: now) else { return nil }
        var headers = OCSPCaching.headers(presigned, at: Int64(now.timeIntervalSince1970), maxAge: ocsp.settings.httpMaxAge, shared: true)
        if isFresh(request.headerFields, etag: presigned.entityTag, lastModified: presigned.thisUpdate) {
            return .now(EventLoopResponse(head: HTTPResponse(status: .notModified, headerFields: headers), body: nil))
        }
        headers[.contentType] = "application/ocsp-response"
        return .now(EventLoopResponse(head: HTTPResponse(status: .ok, headerFields: headers), body: ByteBuffer(bytes: presigned.responseBytes())))
    }
}

/// HTTP caching of a pre-signed answer to a GET (RFC 5019 §6.2): fresh for max-age (the
/// configured `ocsp.httpMaxAgeSeconds`, never past the response's nextUpdate), validated by its
/// thisUpdate (Last-Modified) and its signature (ETag).
enum OCSPCaching {
    /// With `shared` false, `private`: a registered verifier's answer is its own.
    static func headers(_ presigned: PresignedResponse, at seconds: Int64, maxAge: Int, shared: Bool) -> HTTPFields {
        let age = max(0, min(Int64(maxAge), presigned.nextUpdate - seconds))
        return [
            .cacheControl: "\(shared ? "public" : "private"), max-age=\(age), no-transform, must-revalidate",
            .expires: HTTPDate.format(seconds + age),
            .lastModified: HTTPDate.format(presigned.thisUpdate),
            .eTag: presigned.entityTag,
        ]
    }
}

extension OCSPAnswer {
    static let malformed = OCSPAnswer.failure(.malformedRequest)
}
