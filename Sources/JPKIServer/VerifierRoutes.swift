import Foundation
import Hummingbird
import HummingbirdAuth
import JPKIAuthority
import JPKIConfiguration
import JPKIEnrollment
import JPKIProfile
import JPKIPublication
import JPKIStore
import Logging
import NIOCore
import X509

/// What every verifier request passes through: its rate limit, its audit entry, and for
/// government lookups the configured purposes.
struct VerifierGate: Sendable {
    let rateLimiter = VerifierRateLimiter()
    let audit: AuditGroupCommit
    let purposes: Set<String>

    init(_ runtime: ServiceRuntime) {
        audit = AuditGroupCommit(database: runtime.database)
        purposes = Set((runtime.configuration.service.lookupPurposes ?? []).map(\.code))
    }
}

extension APIRoutes {
    /// The verifier API (docs/api.md): validity for every registered verifier; linkage and the
    /// latest four items for government verifiers only, each for a stated purpose. Every
    /// answered request, and every refused linkage or four-items lookup, is in the audit log
    /// with the verifier, the certificate, the purpose and the answer; never the resident code,
    /// which no answer carries. Requests refused before that (credential, rate, path) are not.
    static func addVerifierRoutes(to router: Router<OperatorRequestContext>, runtime: ServiceRuntime, ocsp: OCSPService,
                                  gate: VerifierGate) {
        router.get("/v1/validity/:prefecture/:kind/:serial") { request, context in
            let verifier = try context.requireVerifier(request)
            try gate.rateLimiter.check(verifier)
            let (ca, serial) = try certificatePath(context)
            let validity = try ocsp.responder.validity(ca: ca, serial: serial)
            try await gate.audit.record(validityEvent(verifier, validity))
            return ValidityBody(validity).response
        }
        router.post("/v1/validity") { request, context in
            let verifier = try context.requireVerifier(request)
            try gate.rateLimiter.check(verifier)
            let body = try await request.body.collect(upTo: maximumBodySize)
            let certificate = try presentedCertificate(Array(body.readableBytesView))
            guard let authority = runtime.authorities.all.first(where: { $0.certificate.subject == certificate.issuer }) else {
                throw APIError(.notFound, code: "unknown_issuer", field: "certificate", "no CA of this service issued that certificate")
            }
            let serial = Array(certificate.serialNumber.bytes).lowercaseHex
            // A certificate with our issuer's name but not our signature is not ours: unknown.
            let ours = authority.certificate.publicKey.isValidSignature(certificate.signature, for: certificate)
            let answer = ours ? try ocsp.responder.validity(ca: authority.id, serial: serial)
                : CertificateValidity.notIssued(by: authority.id, serial: serial)
            try await gate.audit.record(AuditEvent(actor: verifier.id, action: "verifier.validity", details: [
                "ca": authority.id.description, "serial": serial, "answer": answer.auditText,
                "presented": ours ? "certificate" : "certificate not signed by this CA",
            ]))
            return ValidityBody(answer).response
        }
        router.get("/v1/linkage/:prefecture/:kind/:serial") { request, context in
            try await governmentLookup(runtime, gate, request, context, action: "verifier.linkage") { ca, serial, holder in
                let current = try runtime.database.currentCertificate(residentHash: holder.residentHash, kind: holder.kind, at: Date())
                let body = LinkageBody(issuer: ca.description, serial: serial,
                                       current: current.map { .init(issuer: $0.ca, serial: $0.serial,
                                                                    notAfter: Date(timeIntervalSince1970: TimeInterval($0.notAfter))) })
                return (try json(.ok, body), current.map { "current \($0.ca) \($0.serial)" } ?? "no current certificate")
            }
        }
        router.get("/v1/four-items/:prefecture/:kind/:serial") { request, context in
            try await governmentLookup(runtime, gate, request, context, action: "verifier.four-items") { ca, serial, holder in
                guard holder.kind == .signing else {
                    throw APIError(.badRequest, code: "not_a_signing_certificate", field: "kind",
                                   "only a signing certificate's holder has four items to look up")
                }
                guard let latest = try runtime.database.latestFourItems(residentHash: holder.residentHash) else {
                    throw APIError(.notFound, code: "four_items_unknown", "no four items are known for this holder")
                }
                // The audit entry says that the items were disclosed, not what they are.
                return (try json(.ok, FourItemsBody(issuer: ca.description, serial: serial, latest)), "disclosed")
            }
        }
    }

    /// `GET /v1/validity/{prefecture}/{kind}/{serial}` answered on the event loop
    /// (``EventLoopResponder``) once its audit line is committed, when a registered verifier
    /// within its rate asks about a certificate whose pre-signed OCSP response is in memory; nil
    /// otherwise, and the route answers (and refuses with its errors).
    static func validityAnswer(to request: HTTPRequest, ocsp: OCSPService, credentials: CredentialDirectory,
                               gate: VerifierGate, logger: Logger) -> EventLoopAnswer? {
        guard request.method == .get, let path = request.path, path.hasPrefix("/v1/validity/"),
              !path.utf8.contains(where: { $0 == UInt8(ascii: "?") || $0 == UInt8(ascii: "%") }) else { return nil }
        let segments = path.utf8.dropFirst(13).split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: false)
        guard segments.count == 3,
              let (ca, serial) = try? certificatePath(prefecture: Substring(segments[0]), kind: Substring(segments[1]),
                                                      serial: Substring(segments[2])),
              let token = request.headerFields.bearer?.token, let verifier = credentials.verifier(presenting: token),
              let validity = ocsp.responder.validityFromMemory(ca: ca, serial: serial),
              gate.rateLimiter.admit(verifier) == nil else { return nil }
        let event = validityEvent(verifier, validity)
        // Written here, on the event loop, not by the audit committer that calls back.
        let answer = ValidityBody(validity).eventLoopResponse
        return .later { respond in
            gate.audit.record(event) { recorded in
                switch recorded {
                case .success:
                    respond(answer)
                case .failure(let error):
                    // As JSONErrorMiddleware answers the route's failure; unrecorded, so not disclosed.
                    logger.error("request failed", metadata: ["error": "\(String(reflecting: type(of: error)))"])
                    let (head, body) = (try? APIError.internalError.rendered()) ?? (HTTPResponse(status: .internalServerError), ByteBuffer())
                    respond(EventLoopResponse(head: head, body: body))
                }
            }
        }
    }

    /// The audit line of a validity lookup.
    static func validityEvent(_ verifier: JPKIConfiguration.Verifier, _ validity: CertificateValidity) -> AuditEvent {
        AuditEvent(actor: verifier.id, action: "verifier.validity", details: [
            "ca": validity.ca.description, "serial": validity.serial, "answer": validity.auditText,
        ])
    }

    /// A government verifier's lookup of `serial`'s holder: tier and purpose checked, the
    /// certificate found, the lookup and its answer (or refusal) audited.
    static func governmentLookup(
        _ runtime: ServiceRuntime, _ gate: VerifierGate, _ request: Request, _ context: OperatorRequestContext, action: String,
        _ lookup: (CertificateAuthorityID, String, (residentHash: Data, kind: CertificateKind)) async throws -> (Response, String)
    ) async throws -> Response {
        let verifier = try context.requireVerifier(request)
        try gate.rateLimiter.check(verifier)
        let (ca, serial) = try certificatePath(context)
        let purpose = request.uri.queryParameters.get("purpose")
        // A refused purpose is recorded as sent, but no longer than a configured one can be.
        var details = ["ca": ca.description, "serial": serial, "purpose": purpose.map { String($0.prefix(64)) } ?? "-",
                       "tier": verifier.tier.rawValue]
        do {
            guard verifier.tier == .government else {
                throw APIError(.forbidden, code: "government_only", "linkage and four-item lookups are for government verifiers only")
            }
            guard let purpose, !purpose.isEmpty else {
                throw APIError(.badRequest, code: "purpose_required", field: "purpose", "state the purpose of the lookup: ?purpose=<code>")
            }
            guard gate.purposes.contains(purpose) else {
                throw APIError(.badRequest, code: "unknown_purpose", field: "purpose", "\(purpose) is not a configured lookup purpose")
            }
            guard let holder = try runtime.database.holder(ca: ca.description, serial: serial) else {
                throw APIError(.notFound, code: "unknown_certificate", "\(ca) issued no certificate \(serial)")
            }
            let (response, answer) = try await lookup(ca, serial, holder)
            details["answer"] = answer
            try await gate.audit.record(AuditEvent(actor: verifier.id, action: action, details: details))
            return response
        } catch let error as APIError {
            details["answer"] = "refused \(error.code)"
            try await gate.audit.record(AuditEvent(actor: verifier.id, action: action, details: details))
            throw error
        }
    }

    /// A certificate sent as DER (application/pkix-cert) or PEM.
    static func presentedCertificate(_ bytes: [UInt8]) throws -> Certificate {
        let invalid = APIError(.badRequest, code: "invalid_certificate", field: "certificate",
                               "send one X.509 certificate, DER or PEM")
        if bytes.first == 0x30 {
            guard let certificate = try? Certificate(derEncoded: bytes) else { throw invalid }
            return certificate
        }
        guard let text = String(validating: bytes, as: UTF8.self), let certificate = try? Certificate(pemEncoded: text) else {
            throw invalid
        }
        return certificate
    }

    /// A validity answer, as JSONEncoder with sorted keys would write it, written directly: it
    /// is the verifier API's busiest answer, and its fields are names, hex and times that need
    /// no escaping beyond what ``JSONString`` does.
    struct ValidityBody {
        let validity: CertificateValidity

        init(_ validity: CertificateValidity) {
            self.validity = validity
        }

        var text: String {
            var fields = [(key: "issuer", value: validity.ca.description),
                          (key: "nextUpdate", value: Timestamp.format(validity.nextUpdate))]
            fields.reserveCapacity(7)
            if let reason = validity.reason { fields.append((key: "reason", value: reason.name)) }
            if let revokedAt = validity.revokedAt { fields.append((key: "revokedAt", value: Timestamp.format(revokedAt))) }
            fields += [(key: "serial", value: validity.serial), (key: "status", value: validity.status.rawValue),
                       (key: "thisUpdate", value: Timestamp.format(validity.thisUpdate))]
            return JSONString.object(fields)
        }

        var response: Response {
            Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: text)))
        }

        var eventLoopResponse: EventLoopResponse {
            EventLoopResponse(head: HTTPResponse(status: .ok, headerFields: [.contentType: "application/json"]),
                              body: ByteBuffer(string: text))
        }
    }

    struct LinkageBody: Encodable {
        struct Current: Encodable {
            let issuer: String
            let serial: String
            let notAfter: Date
        }
        let issuer: String
        let serial: String
        /// The holder's valid certificate of the same kind now, or null.
        let current: Current?
    }

    struct FourItemsBody: Encodable {
        let issuer: String
        let serial: String
        let name: String
        let nameSubstituteMap: String
        let dateOfBirth: String
        let sex: String
        let address: String
        let addressSubstituteMap: String
        let asOf: Date

        init(issuer: String, serial: String, _ latest: LatestFourItems) {
            self.issuer = issuer
            self.serial = serial
            name = latest.items.name
            nameSubstituteMap = latest.items.nameSubstituteMap
            dateOfBirth = latest.items.dateOfBirth.description
            sex = latest.items.sex.rawValue
            address = latest.items.address
            addressSubstituteMap = latest.items.addressSubstituteMap
            asOf = latest.asOf
        }
    }
}

extension CertificateValidity {
    var auditText: String {
        switch status {
        case .good, .unknown: status.rawValue
        case .revoked: "revoked \(reason?.name ?? "unspecified")"
        }
    }
}
