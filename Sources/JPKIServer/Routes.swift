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
import SwiftASN1
import X509

/// The service's HTTP API. `docs/api.md` and `docs/openapi.yaml` describe it.
public enum APIRoutes {
    /// Enrollment bodies carry at most two CSRs and the four items; 256 KiB is generous.
    static let maximumBodySize = 256 * 1024

    /// The service over HTTP/1.1: the router behind Hummingbird's server, with verifiers' busiest
    /// requests (cached OCSP GETs, validity lookups) answered ahead of it on the event loop
    /// (``EventLoopResponder``), sharing its credentials, rate limits and audit group commit.
    public static func application(runtime: ServiceRuntime, crl: CRLPublisher, ocsp: OCSPService,
                                   configuration: ApplicationConfiguration,
                                   logger: Logger) -> Application<RouterResponder<OperatorRequestContext>> {
        let credentials = CredentialDirectory(runtime.configuration.service)
        let gate = VerifierGate(runtime)
        let answer: @Sendable (HTTPRequest) -> EventLoopAnswer? = { request in
            ocspAnswer(to: request, ocsp: ocsp)
                ?? validityAnswer(to: request, ocsp: ocsp, credentials: credentials, gate: gate, logger: logger)
        }
        // An autoclosure, called for each connection: each has a responder of its own.
        return Application(router: router(runtime: runtime, crl: crl, ocsp: ocsp, credentials: credentials, gate: gate),
                           server: .http1(configuration: .init(additionalChannelHandlers: [
                               EventLoopResponder(serverName: configuration.serverName, answer: answer),
                           ])),
                           configuration: configuration, logger: logger)
    }

    /// The routes alone (Hummingbird's router testing drives them without a server).
    public static func router(runtime: ServiceRuntime, crl: CRLPublisher, ocsp: OCSPService) -> Router<OperatorRequestContext> {
        router(runtime: runtime, crl: crl, ocsp: ocsp, credentials: CredentialDirectory(runtime.configuration.service),
               gate: VerifierGate(runtime))
    }

    static func router(runtime: ServiceRuntime, crl: CRLPublisher, ocsp: OCSPService, credentials: CredentialDirectory,
                       gate: VerifierGate) -> Router<OperatorRequestContext> {
        let router = Router(context: OperatorRequestContext.self)
        router.add(middleware: OCSPMiddleware(ocsp: ocsp, gate: gate, credentials: credentials))
        router.add(middleware: RequestLogMiddleware())
        router.add(middleware: JSONErrorMiddleware())
        router.add(middleware: OperatorAuthenticator(credentials: credentials))

        router.get("/health") { _, _ in try health(runtime, crl: crl, ocsp: ocsp) }
        router.get("/ca/:prefecture/:file") { _, context in try caCertificate(runtime, context) }
        router.post("/v1/enrollments") { request, context in try await enroll(runtime, request, context) }
        router.get("/v1/certificates/:prefecture/:kind/:serial") { request, context in
            try await fetchCertificate(runtime, request, context)
        }
        addRevocationRoutes(to: router, runtime: runtime)
        addCRLRoutes(to: router, publisher: crl)
        addVerifierRoutes(to: router, runtime: runtime, ocsp: ocsp, gate: gate)
        return router
    }

    // MARK: - Health

    struct Health: Encodable {
        struct CA: Encodable {
            let id: String
            let subject: String
            let notAfter: Date
        }
        /// CRL publication: when it last ran and succeeded, and the CRLs whose last attempt
        /// failed (their previous files are still served).
        struct CRLs: Encodable {
            let lastRun: Date?
            let lastSuccess: Date?
            let failing: [String: String]
        }
        /// OCSP signing: when the refresher last ran and succeeded, and why its last pass failed
        /// (while it fails, revocations are not re-signed).
        struct OCSP: Encodable {
            let lastRun: Date?
            let lastSuccess: Date?
            let failing: String?
        }
        /// `ok`, or `degraded` while some CRL fails to publish or OCSP signing fails.
        let status: String
        let mode: String
        let authorities: [CA]
        let crl: CRLs
        let ocsp: OCSP
    }

    static func health(_ runtime: ServiceRuntime, crl: CRLPublisher, ocsp: OCSPService) throws -> Response {
        let publication = crl.status
        let signing = ocsp.refresher.status
        return try json(.ok, Health(
            status: publication.failing.isEmpty && signing.failure == nil ? "ok" : "degraded",
            mode: runtime.configuration.service.mode.rawValue,
            authorities: runtime.authorities.all.map {
                .init(id: $0.id.description, subject: $0.certificate.subject.description, notAfter: $0.certificate.notValidAfter)
            },
            crl: .init(lastRun: publication.lastRun, lastSuccess: publication.lastSuccess, failing: publication.failing),
            ocsp: .init(lastRun: signing.lastRun, lastSuccess: signing.lastSuccess, failing: signing.failure)))
    }

    // MARK: - CA certificates (public: the caIssuers URL of authorityInfoAccess)

    static func caCertificate(_ runtime: ServiceRuntime, _ context: OperatorRequestContext) throws -> Response {
        let file = context.parameters.get("file") ?? ""
        let (name, format) = file.hasSuffix(".pem") ? (file.dropLast(4), "pem") : file.hasSuffix(".der") ? (file.dropLast(4), "der") : (Substring(file), "")
        guard let prefecture = PrefectureCode(context.parameters.get("prefecture") ?? ""),
              let kind = CertificateKind(rawValue: String(name)), !format.isEmpty,
              let authority = runtime.authorities.authority(for: CertificateAuthorityID(prefecture: prefecture, kind: kind)) else {
            throw APIError(.notFound, code: "unknown_ca", "no such CA certificate; try /ca/13/signing.der")
        }
        return try certificateResponse(authority.certificate, pem: format == "pem")
    }

    // MARK: - Enrollment

    /// The certificates of one enrollment, as JSONEncoder with sorted keys and ISO 8601 dates
    /// would write them, written directly: Foundation's encoder cost 3 % of the server's CPU per
    /// enrollment (docs/BENCHMARKS.md, session 10), and the fields are names, hex, times and PEM
    /// that need no escaping beyond what ``JSONString`` does.
    struct EnrollmentResponse {
        struct Issued {
            struct Reference: Encodable {
                let issuer: String
                let serial: String
            }
            let kind: String
            let issuer: String
            let serial: String
            let notBefore: Date
            let notAfter: Date
            let crlPartition: String
            let supersedes: Reference?
            let certificate: String

            var text: String {
                var fields = [(key: "certificate", json: JSONString.quoted(certificate)),
                              (key: "crlPartition", json: JSONString.quoted(crlPartition)),
                              (key: "issuer", json: JSONString.quoted(issuer)), (key: "kind", json: JSONString.quoted(kind)),
                              (key: "notAfter", json: JSONString.quoted(Timestamp.format(notAfter))),
                              (key: "notBefore", json: JSONString.quoted(Timestamp.format(notBefore))),
                              (key: "serial", json: JSONString.quoted(serial))]
                if let supersedes {
                    fields.append((key: "supersedes",
                                   json: JSONString.object([(key: "issuer", value: supersedes.issuer),
                                                            (key: "serial", value: supersedes.serial)])))
                }
                return JSONString.object(encoded: fields)
            }
        }
        let certificates: [Issued]

        var text: String {
            JSONString.object(encoded: [(key: "certificates", json: "[" + certificates.map(\.text).joined(separator: ",") + "]")])
        }
    }

    static func enroll(_ runtime: ServiceRuntime, _ request: Request, _ context: OperatorRequestContext) async throws -> Response {
        let requester = try context.requireOperator(request)
        let body = try await request.body.collect(upTo: maximumBodySize)
        let application = try EnrollmentApplication.decode(json: body.readableBytesView)
        let issued = try await runtime.enrollment.enroll(application, by: requester)
        let response = EnrollmentResponse(certificates: issued.map { cert in
            .init(kind: cert.kind.rawValue, issuer: cert.ca.description, serial: cert.serialHex,
                  notBefore: cert.certificate.notValidBefore, notAfter: cert.certificate.notValidAfter,
                  crlPartition: cert.partition.id,
                  supersedes: cert.supersedes.map { .init(issuer: $0.ca, serial: $0.serial) },
                  certificate: PEMDocument(type: Certificate.defaultPEMDiscriminator, derBytes: cert.der).text)
        })
        return Response(status: .created, headers: [.contentType: "application/json"],
                        body: .init(byteBuffer: ByteBuffer(string: response.text)))
    }

    // MARK: - Certificate fetch

    struct CertificateMetadata: Encodable {
        let issuer: String
        let serial: String
        let kind: String
        let status: String
        let notBefore: Date
        let notAfter: Date
        let crlPartition: String
        let revokedAt: Date?
        let revocationReason: String?
        let successor: EnrollmentResponse.Issued.Reference?

        init(_ record: CertificateRecord) {
            issuer = record.ca
            serial = record.serial
            kind = record.kind.rawValue
            status = record.status.rawValue
            notBefore = record.notBefore
            notAfter = record.notAfter
            crlPartition = record.partition
            revokedAt = record.revokedAt
            revocationReason = record.revocationReason?.name
            successor = both(record.successorCA, record.successorSerial).map { .init(issuer: $0, serial: $1) }
        }
    }

    /// A certificate by issuer and serial: DER by default, PEM with `?format=pem` or
    /// `Accept: application/x-pem-file`, the store's record with `?format=json`. Signing
    /// certificates carry the four items, so only an administrator or a desk of the
    /// certificate's municipality may fetch one.
    static func fetchCertificate(_ runtime: ServiceRuntime, _ request: Request,
                                 _ context: OperatorRequestContext) async throws -> Response {
        let requester = try context.requireOperator(request)
        let (caID, serial) = try certificatePath(context)
        let ca = caID.description
        guard let record = try runtime.database.certificate(ca: ca, serial: serial),
              requester.role == .administrator || (requester.role == .desk && requester.municipality == record.municipality) else {
            throw APIError(.notFound, code: "unknown_certificate", "no certificate \(serial) of \(ca) that you may see")
        }
        let format = request.uri.queryParameters.get("format")
            ?? (request.headers[.accept]?.contains("application/x-pem-file") == true ? "pem" : "der")
        guard ["json", "pem", "der"].contains(format) else {
            throw APIError(.badRequest, code: "invalid_format", field: "format", "format is der, pem or json")
        }
        // A signing certificate carries the holder's four items: every read is on the record.
        try runtime.database.audit(AuditEvent(actor: requester.id, action: "certificate.fetched",
                                              details: ["ca": record.ca, "serial": record.serial, "format": format]))
        switch format {
        case "json":
            return try json(.ok, CertificateMetadata(record))
        default:
            return try certificateResponse(try Certificate(derEncoded: Array(record.der)), pem: format == "pem")
        }
    }

    /// The CA and serial of a `/v1/certificates/:prefecture/:kind/:serial` path.
    static func certificatePath(_ context: OperatorRequestContext) throws -> (CertificateAuthorityID, String) {
        try certificatePath(prefecture: context.parameters.get("prefecture") ?? "", kind: context.parameters.get("kind") ?? "",
                            serial: context.parameters.get("serial") ?? "")
    }

    static func certificatePath(prefecture: some StringProtocol, kind: some StringProtocol,
                                serial: some StringProtocol) throws -> (CertificateAuthorityID, String) {
        let serial = serial.lowercased()
        guard let prefecture = PrefectureCode(String(prefecture)), let kind = CertificateKind(rawValue: String(kind)) else {
            throw APIError(.notFound, code: "unknown_ca", "no such CA")
        }
        guard !serial.isEmpty, serial.utf8.count <= 40, serial.isASCIIHexadecimal else {
            throw APIError(.badRequest, code: "invalid_serial", field: "serial", "a serial is given in hexadecimal")
        }
        return (CertificateAuthorityID(prefecture: prefecture, kind: kind), serial)
    }

    // MARK: - Encoding

    static func certificateResponse(_ certificate: Certificate, pem: Bool) throws -> Response {
        if pem {
            let text = try certificate.serializeAsPEM().text + "\n"
            return Response(status: .ok, headers: [.contentType: "application/x-pem-file"],
                            body: .init(byteBuffer: ByteBuffer(string: text)))
        }
        var serializer = DER.Serializer()
        try serializer.serialize(certificate)
        return Response(status: .ok, headers: [.contentType: "application/pkix-cert"],
                        body: .init(byteBuffer: ByteBuffer(bytes: serializer.serializedBytes)))
    }

    static func json(_ status: HTTPResponse.Status, _ value: some Encodable) throws -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        return Response(status: status, headers: [.contentType: "application/json"],
                        body: .init(byteBuffer: ByteBuffer(bytes: try encoder.encode(value))))
    }
}

/// Both values, or nil if either is missing.
private func both<A, B>(_ a: A?, _ b: B?) -> (A, B)? {
    guard let a, let b else { return nil }
    return (a, b)
}
