import Foundation
import Hummingbird
import JPKIAuthority
import JPKIConfiguration
import JPKIPublication
import JPKIStore
import NIOCore

extension APIRoutes {
    /// OCSP over HTTP, RFC 6960 Appendix A.1 with the RFC 5019 profile, at the URL written into
    /// certificates' authorityInfoAccess: `POST /ocsp` with an `application/ocsp-request` body,
    /// and `GET /ocsp/{url-encoded base64 of the request}`. Answers are
    /// `application/ocsp-response`, HTTP 200 whatever the OCSP status, as clients expect.
    ///
    /// A pre-signed answer to a GET carries Cache-Control max-age (up to its nextUpdate,
    /// RFC 5019 §6.2), Expires, Last-Modified (its thisUpdate) and an ETag, and answers 304 to
    /// a matching If-None-Match or If-Modified-Since. An answer signed for this request (a
    /// nonce, several certificates) is `no-store`.
    ///
    /// With `ocsp.access: registered` only verifiers may ask, with their credential; their
    /// requests are rate limited and audited.
    static func addOCSPRoutes(to router: Router<OperatorRequestContext>, ocsp: OCSPService, verifiers: VerifierGate) {
        router.post("/ocsp") { request, context in
            guard request.headers[.contentType]?.lowercased().hasPrefix("application/ocsp-request") == true else {
                throw APIError(.unsupportedMediaType, code: "unsupported_media_type",
                               "an OCSP request is sent as application/ocsp-request (RFC 6960 Appendix A.1.1)")
            }
            let body = try await request.body.collect(upTo: maximumOCSPRequestSize)
            return try await answerOCSP(ocsp, verifiers, request, context, body: Array(body.readableBytesView)[...], cacheable: false)
        }
        router.get("/ocsp/**") { request, context in
            // The path is taken raw: base64 may hold '/', which some clients do not escape.
            let path = request.uri.path
            let encoded = path.hasPrefix("/ocsp/") ? path.dropFirst(6) : ""
            guard let der = OCSPGetPath.decode(encoded) else {
                return try await answerOCSP(ocsp, verifiers, request, context, body: nil, cacheable: false)
            }
            return try await answerOCSP(ocsp, verifiers, request, context, body: der[...], cacheable: true)
        }
    }

    /// RFC 6960 requests are a few hundred octets; 16 KiB leaves room for 64 CertIDs.
    static let maximumOCSPRequestSize = 16 * 1024

    static func answerOCSP(_ ocsp: OCSPService, _ verifiers: VerifierGate, _ request: Request, _ context: OperatorRequestContext,
                           body: ArraySlice<UInt8>?, cacheable: Bool) async throws -> Response {
        var verifier: Verifier?
        if ocsp.settings.accessMode == .registered {
            guard case .verifier(let registered) = context.identity else {
                return ocspResponse(OCSPResponseEnvelope.unsuccessful(.unauthorized), status: .unauthorized,
                                    extra: [.wwwAuthenticate: "Bearer"])
            }
            if let retryAfter = verifiers.rateLimiter.admit(registered) {
                return ocspResponse(OCSPResponseEnvelope.unsuccessful(.tryLater), status: .tooManyRequests,
                                    extra: [.retryAfter: "\(retryAfter)"])
            }
            verifier = registered
        }
        let now = Date()
        let answer = body.map { ocsp.responder.respond(to: $0, at: now) } ?? OCSPAnswer.malformed
        if let verifier {
            try await verifiers.audit.record(AuditEvent(actor: verifier.id, action: "verifier.ocsp", details: [
                "tier": verifier.tier.rawValue, "status": "\(answer.status)", "answers": answer.answered.joined(separator: "; "),
            ]), at: now)
        }
        guard let presigned = answer.presigned, cacheable else {
            return ocspResponse(answer.body, status: .ok, extra: [.cacheControl: "no-store"])
        }
        let seconds = Int64(now.timeIntervalSince1970)
        let maxAge = max(0, min(Int64(ocsp.settings.httpMaxAge), presigned.nextUpdate - seconds))
        var headers: HTTPFields = [
            .cacheControl: "public, max-age=\(maxAge), no-transform, must-revalidate",
            .expires: HTTPDate.format(seconds + maxAge),
            .lastModified: HTTPDate.format(presigned.thisUpdate),
            .eTag: presigned.entityTag,
        ]
        if isFresh(request, etag: presigned.entityTag, lastModified: presigned.thisUpdate) {
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
}

extension OCSPAnswer {
    static let malformed = OCSPAnswer.failure(.malformedRequest)
}

/// The path of an OCSP GET request (RFC 6960 Appendix A.1): the DER request, base64-encoded,
/// then URL-encoded. Percent-escapes are decoded first; '+' is base64's, not a space; missing
/// '=' padding is tolerated, as some clients drop it.
enum OCSPGetPath {
    static func decode(_ path: Substring) -> [UInt8]? {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(path.utf8.count)
        var iterator = path.utf8.makeIterator()
        while let byte = iterator.next() {
            if byte == UInt8(ascii: "%") {
                guard let high = iterator.next().flatMap(hexValue), let low = iterator.next().flatMap(hexValue) else { return nil }
                bytes.append(high << 4 | low)
            } else {
                bytes.append(byte)
            }
        }
        while bytes.count % 4 != 0 { bytes.append(UInt8(ascii: "=")) }
        guard !bytes.isEmpty, let data = Data(base64Encoded: Data(bytes)) else { return nil }
        return Array(data)
    }

    private static func hexValue(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): c - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
