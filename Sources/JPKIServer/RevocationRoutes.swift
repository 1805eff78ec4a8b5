import Foundation
import Hummingbird
import JPKIAuthority
import JPKIConfiguration
import JPKIEnrollment
import JPKIProfile
import JPKIRevocation
import JPKIStore

/// Revocation over HTTP: the registry feed's batches of change notices, holders' requests
/// through desks and the call centre, and an administrator's revocation of a whole CA.
extension APIRoutes {
    /// A batch of notices: 10,000 lines of about 500 bytes fit; larger files go through
    /// `jpki-ca notices ingest`, which streams.
    static let maximumNoticeBatchSize = 8 * 1024 * 1024

    static func addRevocationRoutes(to router: Router<OperatorRequestContext>, runtime: ServiceRuntime) {
        router.post("/v1/notices") { request, context in try await ingestNotices(runtime, request, context) }
        router.post("/v1/certificates/:prefecture/:kind/:serial/hold") { request, context in
            try await changeStatus(runtime, .hold, request, context)
        }
        router.post("/v1/certificates/:prefecture/:kind/:serial/release") { request, context in
            try await changeStatus(runtime, .release, request, context)
        }
        router.post("/v1/certificates/:prefecture/:kind/:serial/revoke") { request, context in
            let requester = try context.requireOperator(request)
            guard requester.role == .desk || requester.role == .administrator else {
                throw APIError(.forbidden, code: "role_not_permitted", "only a desk or an administrator revokes a certificate")
            }
            struct Body: Decodable { let reason: String? }
            let body = try await decodeBody(Body.self, request)
            guard let name = body.reason else {
                throw APIError(.badRequest, code: "missing_field", field: "reason", "give the reason: keyCompromise or cessationOfOperation")
            }
            guard let reason = RevocationReason(name: name) else {
                throw APIError(.badRequest, code: "invalid_reason", field: "reason", "\"\(name)\" is not a CRLReason name")
            }
            return try await changeStatus(runtime, .revoke(reason), request, context)
        }
        router.post("/v1/authorities/:prefecture/:kind/revoke-all") { request, context in
            try await revokeAll(runtime, request, context)
        }
    }

    // MARK: - Change notices


    /// `POST /v1/notices`: a JSON Lines body (`application/x-ndjson`), answered per notice in
    /// the order sent. Each line's outcome is final once this answer is sent.
    static func ingestNotices(_ runtime: ServiceRuntime, _ request: Request,
                              _ context: OperatorRequestContext) async throws -> Response {
        let requester = try context.requireOperator(request)
        guard requester.role == .registryFeed else {
            throw APIError(.forbidden, code: "role_not_permitted", "only the registry feed delivers change notices")
        }
        let body = try await request.body.collect(upTo: maximumNoticeBatchSize)
        let bytes = body.readableBytesView
        var results: [String] = []
        let summary: NoticeSummary
        do {
            summary = try await NoticeIngestor(runtime: runtime, batchSize: NoticeIngestor.httpBatchSize, logger: context.logger).ingest(
                lines: bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false),
                source: "POST /v1/notices", feed: requester) { results.append($0.json) }
        } catch let error as RevocationError {
            throw error
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            // Batches before the failure may have committed: say so, rather than "nothing changed".
            context.logger.error("notice batch failed", metadata: ["error": "\(String(reflecting: type(of: error)))"])
            throw APIError(.internalServerError, code: "internal_error",
                           "the batch could not be completed; notices already applied stay applied: send it again, and those come back as duplicates")
        }
        // {"results": [...], "summary": {...}}: each result as the report file writes it.
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let text = "{\"results\":[" + results.joined(separator: ",") + "],\"summary\":"
            + String(decoding: try encoder.encode(summary), as: UTF8.self) + "}"
        return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    // MARK: - Holders' requests

    static func changeStatus(_ runtime: ServiceRuntime, _ change: StatusChange, _ request: Request,
                             _ context: OperatorRequestContext) async throws -> Response {
        let requester = try context.requireOperator(request)
        let (ca, serial) = try certificatePath(context)
        let record = try await HolderRequests(database: runtime.database, logger: context.logger)
            .change(change, ca: ca, serial: serial, by: requester)
        return try json(.ok, CertificateMetadata(record))
    }

    // MARK: - Administrator

    /// Revokes every certificate of a CA (`cACompromise`). The body must name the CA again,
    /// `{"confirm": "13/signing"}`, so that a mistyped URL cannot do it.
    static func revokeAll(_ runtime: ServiceRuntime, _ request: Request, _ context: OperatorRequestContext) async throws -> Response {
        let requester = try context.requireOperator(request)
        guard let prefecture = PrefectureCode(context.parameters.get("prefecture") ?? ""),
              let kind = CertificateKind(rawValue: context.parameters.get("kind") ?? ""),
              runtime.authorities.authority(for: CertificateAuthorityID(prefecture: prefecture, kind: kind)) != nil else {
            throw APIError(.notFound, code: "unknown_ca", "no such CA")
        }
        let ca = CertificateAuthorityID(prefecture: prefecture, kind: kind)
        guard requester.role == .administrator else {
            throw APIError(.forbidden, code: "role_not_permitted", "only an administrator revokes in bulk")
        }
        struct Body: Decodable { let confirm: String? }
        guard try await decodeBody(Body.self, request).confirm == ca.description else {
            throw APIError(.badRequest, code: "confirmation_required", field: "confirm",
                           "send {\"confirm\": \"\(ca)\"} to revoke every certificate of \(ca)")
        }
        let count = try await BulkRevocation(database: runtime.database, logger: context.logger)
            .revokeEverything(of: ca, by: requester)
        struct Answer: Encodable {
            let issuer: String
            let reason: String
            let revoked: Int
        }
        return try json(.ok, Answer(issuer: ca.description, reason: RevocationReason.cACompromise.name, revoked: count))
    }

    /// A small JSON body, or an empty one read as `{}`.
    static func decodeBody<T: Decodable>(_ type: T.Type, _ request: Request) async throws -> T {
        let body = try await request.body.collect(upTo: 64 * 1024)
        let bytes = body.readableBytes == 0 ? Data("{}".utf8) : Data(body.readableBytesView)
        do {
            return try JSONDecoder().decode(T.self, from: bytes)
        } catch {
            throw APIError(.badRequest, code: "malformed_json", "the body is not the JSON object this endpoint takes")
        }
    }
}
