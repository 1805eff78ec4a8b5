import Foundation
import JPKIConfiguration
import JPKIEnrollment
import JPKIProfile
import JPKIRevocation
import JPKIStore

/// Lines of JSON notices and what ingesting them gives.
public struct NoticeFeed {
    public let service: TestService

    public init(service: TestService) { self.service = service }

    public static func line(id: String, kind: String, resident: String, municipality: String = "131016",
                     effectiveAt: String, fourItems: EnrollmentApplication.FourItemsFields? = nil) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let notice = ChangeNotice(noticeId: id, kind: kind, residentCode: resident, municipalityCode: municipality,
                                  effectiveAt: effectiveAt, fourItems: fourItems)
        return String(decoding: try encoder.encode(notice), as: UTF8.self)
    }

    /// The effective time of a change happening now: after any certificate issued so far
    /// (certificate and notice times count whole seconds), not in the future.
    public static func justNow() -> String { AuditLog.timestamp(Date()) }

    public func ingest(_ lines: [String], feed: Operator = TestService.registryFeed) async throws -> (NoticeSummary, [NoticeResult]) {
        var results: [NoticeResult] = []
        let summary = try await NoticeIngestor(runtime: service.runtime, batchSize: 3, logger: service.logger)
            .ingest(lines: lines.map { Array($0.utf8) }, source: "test", feed: feed) { results.append($0) }
        return (summary, results)
    }

    public func enroll(_ resident: String, municipality: String = "131016", desk: Operator = TestService.chiyodaDesk,
                kinds: [String] = ["signing", "user-authentication"]) async throws -> [IssuedCertificate] {
        var application = try Fixtures.application(residentCode: resident, municipality: municipality)
        application.certificates = kinds
        application.csrs = application.csrs?.filter { kinds.contains($0.key) }
        return try await service.runtime.enrollment.enroll(application, by: desk)
    }

    struct Missing: Error {
        let serial: String
    }

    /// The stored record of an issued certificate.
    public func record(_ issued: IssuedCertificate) throws -> CertificateRecord {
        guard let record = try service.runtime.database.certificate(ca: issued.ca.description, serial: issued.serialHex) else {
            throw Missing(serial: issued.serialHex)
        }
        return record
    }
}

