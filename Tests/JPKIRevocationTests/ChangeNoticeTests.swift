import Foundation
import JPKIConfiguration
import JPKIEnrollment
import JPKIProfile
import JPKIRevocation
import JPKIStore
import JPKITestSupport
import Testing

@Suite("Change notices from the resident registry")
struct ChangeNoticeTests {
    @Test func aMoveRevokesTheSigningCertificateAndKeepsUserAuthentication() async throws {
        let service = try TestService.make()
        defer { service.remove() }
        let feed = NoticeFeed(service: service)
        let issued = try await feed.enroll("10000000001")
        let effective = NoticeFeed.justNow()
        let (summary, results) = try await feed.ingest([
            try NoticeFeed.line(id: "n1", kind: "move-out", resident: "10000000001", effectiveAt: effective),
        ])
        #expect(summary.applied == 1 && summary.revoked == 1)
        #expect(results[0].outcome == "applied")
        #expect(results[0].revoked?.map(\.serial) == [issued[0].serialHex])
        #expect(results[0].revoked?.map(\.reason) == ["affiliationChanged"])
        let signing = try feed.record(issued[0])
        #expect(signing.status == .revoked && signing.revocationReason == .affiliationChanged)
        #expect(signing.revokedAt == Timestamp.parse(effective).map { Date(timeIntervalSince1970: $0.timeIntervalSince1970.rounded(.down)) })
        #expect(try feed.record(issued[1]).status == .valid)
    }

    @Test func deathRevokesBoth() async throws {
        let service = try TestService.make()
        defer { service.remove() }
        let feed = NoticeFeed(service: service)
        let issued = try await feed.enroll("10000000002")
        let (summary, _) = try await feed.ingest([
            try NoticeFeed.line(id: "d1", kind: "death", resident: "10000000002", effectiveAt: NoticeFeed.justNow()),
        ])
        #expect(summary.revoked == 2)
        for certificate in issued {
            let record = try feed.record(certificate)
            #expect(record.status == .revoked && record.revocationReason == .cessationOfOperation)
        }
    }

    /// Every kind of the table, applied to a resident holding both certificates.
    @Test(arguments: ChangeNoticeKind.allCases)
    func eachKindRevokesWhatTheRulesSay(_ kind: ChangeNoticeKind) async throws {
        let service = try TestService.make()
        defer { service.remove() }
        let feed = NoticeFeed(service: service)
        let issued = try await feed.enroll("10000000003")
        _ = try await feed.ingest([try NoticeFeed.line(id: "k", kind: kind.rawValue, resident: "10000000003",
                                                       effectiveAt: NoticeFeed.justNow())])
        for certificate in issued {
            let record = try feed.record(certificate)
            let expected = kind.revocationReason(for: certificate.kind)
            #expect(record.revocationReason == expected, "\(kind) on \(certificate.kind)")
            #expect(record.status == (expected == nil ? .valid : .revoked), "\(kind) on \(certificate.kind)")
        }
    }

    @Test func aNoticeEffectiveBeforeIssuanceRevokesNothing() async throws {
        let service = try TestService.make()
        defer { service.remove() }
        let feed = NoticeFeed(service: service)
        let issued = try await feed.enroll("10000000004")
        let yesterday = AuditLog.timestamp(Date().addingTimeInterval(-86_400))
        let (summary, results) = try await feed.ingest([
            try NoticeFeed.line(id: "old", kind: "death", resident: "10000000004", effectiveAt: yesterday),
            try NoticeFeed.line(id: "stranger", kind: "death", resident: "99999999999", effectiveAt: yesterday),
        ])
        #expect(results.map(\.outcome) == ["no-match", "no-match"])
        #expect(summary.noMatch == 2 && summary.revoked == 0)
        #expect(try issued.allSatisfy { try feed.record($0).status == .valid })
    }

    @Test func reingestingTheSameFileChangesNothing() async throws {
        let service = try TestService.make()
        defer { service.remove() }
        let feed = NoticeFeed(service: service)
        _ = try await feed.enroll("10000000005")
        let now = NoticeFeed.justNow()
        let lines = [
            try NoticeFeed.line(id: "r1", kind: "name-change", resident: "10000000005", effectiveAt: now),
            try NoticeFeed.line(id: "r2", kind: "death", resident: "10000000005", effectiveAt: now),
            try NoticeFeed.line(id: "r3", kind: "death", resident: "55555555555", effectiveAt: now),
            try NoticeFeed.line(id: "r1", kind: "name-change", resident: "10000000005", effectiveAt: now),  // repeated in the file
        ]
        let (first, firstResults) = try await feed.ingest(lines)
        #expect(firstResults.map(\.outcome) == ["applied", "applied", "no-match", "duplicate"])
        #expect(first.revoked == 2)  // signing by the name change, user authentication by the death
        let database = service.runtime.database
        let snapshot = try database.recentAuditEntries(limit: 1_000).filter { $0.action != "notices.ingested" }
        let (second, secondResults) = try await feed.ingest(lines)
        #expect(secondResults.allSatisfy { $0.outcome == "duplicate" })
        #expect(second.duplicate == 4 && second.applied == 0 && second.revoked == 0)
        let after = try database.recentAuditEntries(limit: 1_000).filter { $0.action != "notices.ingested" }
        #expect(after == snapshot)
        #expect(try database.verifyAuditLog() == .intact(entries: Int64(try database.recentAuditEntries(limit: 10_000).count)))
    }

    @Test func garbageLinesAreReportedByLineAndTheRestApplied() async throws {
        let service = try TestService.make()
        defer { service.remove() }
        let feed = NoticeFeed(service: service)
        let issued = try await feed.enroll("10000000006")
        let now = NoticeFeed.justNow()
        let lines = [
            "this is not json",
            try NoticeFeed.line(id: "g1", kind: "death", resident: "10000000006", effectiveAt: now),
            "",
            "{\"noticeId\": 7}",
            try NoticeFeed.line(id: "g2", kind: "divorce", resident: "10000000006", effectiveAt: now),
        ]
        let (summary, results) = try await feed.ingest(lines)
        #expect(summary.notices == 4 && summary.applied == 1 && summary.rejected == 3)
        #expect(results.map(\.line) == [1, 2, 4, 5])
        #expect(results.map(\.outcome) == ["rejected", "applied", "rejected", "rejected"])
        #expect(results.compactMap(\.error?.code) == [.malformedJSON, .malformedJSON, .unknownNoticeKind])
        #expect(results[2].error?.field == "noticeId")
        #expect(try feed.record(issued[0]).status == .revoked)

        // Each result is one JSON object, read back exactly by a JSON parser.
        for result in results {
            let object = try #require(try JSONSerialization.jsonObject(with: Data(result.json.utf8)) as? [String: Any])
            #expect(object["line"] as? Int == result.line && object["outcome"] as? String == result.outcome)
            let error = object["error"] as? [String: Any]
            #expect(error?["code"] as? String == result.error?.code.rawValue)
            #expect(error?["message"] as? String == result.error?.message)
            #expect((object["revoked"] as? [[String: String]])?.map { $0["serial"]! } == result.revoked?.map(\.serial))
        }
    }

    /// Each rejection code, from a line that breaks exactly one rule.
    @Test func everyRejectionHasItsCodeAndField() async throws {
        let service = try TestService.make()
        defer { service.remove() }
        let feed = NoticeFeed(service: service)
        let now = NoticeFeed.justNow()
        let items = EnrollmentApplication.FourItemsFields(
            name: Fixtures.name, nameSubstituteMap: String(repeating: "0", count: Fixtures.name.count),
            dateOfBirth: "1985-06-15", sex: "2", address: Fixtures.address,
            addressSubstituteMap: String(repeating: "0", count: Fixtures.address.count))
        var longAddress = items
        longAddress.address = String(repeating: "町", count: 201)
        longAddress.addressSubstituteMap = String(repeating: "0", count: 201)
        let cases: [(String, RevocationError.Code, String?)] = [
            ("{\"kind\":\"death\"}", .missingField, "noticeId"),
            (try NoticeFeed.line(id: "bad id!", kind: "death", resident: "10000000007", effectiveAt: now), .invalidNoticeID, "noticeId"),
            (try NoticeFeed.line(id: String(repeating: "x", count: 65), kind: "death", resident: "10000000007", effectiveAt: now),
             .invalidNoticeID, "noticeId"),
            (try NoticeFeed.line(id: "c1", kind: "marriage", resident: "10000000007", effectiveAt: now), .unknownNoticeKind, "kind"),
            (try NoticeFeed.line(id: "c2", kind: "death", resident: "1000000000", effectiveAt: now), .invalidResidentCode, "residentCode"),
            (try NoticeFeed.line(id: "c3", kind: "death", resident: "10000000007", municipality: "13101", effectiveAt: now),
             .invalidMunicipalityCode, "municipalityCode"),
            (try NoticeFeed.line(id: "c4", kind: "death", resident: "10000000007", municipality: "131015", effectiveAt: now),
             .badCheckDigit, "municipalityCode"),
            (try NoticeFeed.line(id: "c5", kind: "death", resident: "10000000007", effectiveAt: "2026-11-20"),
             .invalidTimestamp, "effectiveAt"),
            (try NoticeFeed.line(id: "c6", kind: "death", resident: "10000000007",
                                 effectiveAt: AuditLog.timestamp(Date().addingTimeInterval(3_600))),
             .effectiveTimeInFuture, "effectiveAt"),
            (try NoticeFeed.line(id: "c7", kind: "death", resident: "10000000007", effectiveAt: now, fourItems: items),
             .unexpectedFourItems, "fourItems"),
            (try NoticeFeed.line(id: "c8", kind: "move-in", resident: "10000000007", effectiveAt: now, fourItems: longAddress),
             .invalidFourItems, "fourItems.address"),
            ("{\"noticeId\":\"c9\",\"kind\":\"death\",\"municipalityCode\":\"131016\",\"effectiveAt\":\"\(now)\"}",
             .missingField, "residentCode"),
            ("[1, 2, 3]", .malformedJSON, nil),
        ]
        let (summary, results) = try await feed.ingest(cases.map(\.0))
        #expect(summary.rejected == cases.count)
        for (result, (line, code, field)) in zip(results, cases) {
            #expect(result.error?.code == code, "\(line)")
            #expect(result.error?.field == field, "\(line)")
        }
        #expect(Set(cases.map(\.1)).count >= 9)
        // A rejected id is not spent: the corrected notice applies.
        let (fixed, _) = try await feed.ingest([try NoticeFeed.line(id: "c2", kind: "death", resident: "10000000007",
                                                                     effectiveAt: now)])
        #expect(fixed.noMatch == 1)
        // Four items of the right kind pass.
        let (valid, _) = try await feed.ingest([try NoticeFeed.line(id: "c10", kind: "name-change", resident: "10000000007",
                                                                     effectiveAt: now, fourItems: items)])
        #expect(valid.noMatch == 1)
    }

    @Test func aFeedBoundToAMunicipalityDeliversOnlyItsNotices() async throws {
        let service = try TestService.make()
        defer { service.remove() }
        let feed = NoticeFeed(service: service)
        let now = NoticeFeed.justNow()
        let (_, results) = try await feed.ingest([
            try NoticeFeed.line(id: "b1", kind: "death", resident: "10000000008", municipality: "131016", effectiveAt: now),
            try NoticeFeed.line(id: "b2", kind: "death", resident: "10000000008", municipality: "131130", effectiveAt: now),
        ], feed: TestService.shibuyaFeed)
        #expect(results.map(\.outcome) == ["rejected", "no-match"])
        #expect(results[0].error?.code == .forbiddenMunicipality)
    }

    @Test func onlyTheFeedDeliversNoticesAndTheFeedCannotIssue() async throws {
        let service = try TestService.make()
        defer { service.remove() }
        let feed = NoticeFeed(service: service)
        await #expect(throws: RevocationError(.roleNotPermitted, field: nil, "only the registry feed delivers change notices")) {
            _ = try await feed.ingest([], feed: TestService.chiyodaDesk)
        }
        do {
            _ = try await service.runtime.enrollment.enroll(try Fixtures.application(), by: TestService.registryFeed)
            Issue.record("the feed enrolled a resident")
        } catch let error as EnrollmentError {
            #expect(error.code == .roleNotPermitted)
        }
        #expect(try service.runtime.database.certificateCount() == 0)
    }

    /// After a move, the re-issued signing certificate is linked from the revoked one; a
    /// supersession links as well. The user-authentication certificate, kept, is superseded.
    @Test func reissueAfterAMoveLinksOldToNew() async throws {
        let service = try TestService.make()
        defer { service.remove() }
        let feed = NoticeFeed(service: service)
        let first = try await feed.enroll("10000000009")
        _ = try await feed.ingest([try NoticeFeed.line(id: "m1", kind: "move-out", resident: "10000000009",
                                                       effectiveAt: NoticeFeed.justNow())])
        try await Task.sleep(for: .seconds(3))  // the new certificate is issued after the move took effect
        let second = try await feed.enroll("10000000009", municipality: "131130", desk: TestService.shibuyaDesk)
        let oldSigning = try feed.record(first[0])
        #expect(oldSigning.revocationReason == .affiliationChanged)
        #expect(oldSigning.successorSerial == second[0].serialHex && oldSigning.successorCA == "13/signing")
        #expect(second[0].supersedes?.serial == first[0].serialHex && second[0].supersedes?.revoked == false)
        let oldAuth = try feed.record(first[1])
        #expect(oldAuth.revocationReason == .superseded && oldAuth.successorSerial == second[1].serialHex)
        let actions = try service.runtime.database.recentAuditEntries(limit: 20).map(\.action)
        #expect(actions.contains("certificate.linked") && actions.contains("notices.applied"))
    }

    @Test func theResidentCodeIsNeverRecorded() async throws {
        let service = try TestService.make()
        defer { service.remove() }
        let feed = NoticeFeed(service: service)
        _ = try await feed.enroll("31415926535")
        let now = NoticeFeed.justNow()
        var report = ""
        let lines = [
            try NoticeFeed.line(id: "p1", kind: "move-in", resident: "31415926535", effectiveAt: now),
            try NoticeFeed.line(id: "p2", kind: "death", resident: "31415926535", municipality: "131015", effectiveAt: now),
            "{\"noticeId\":\"p3\",\"kind\":\"death\",\"residentCode\":31415926535}",
        ]
        let (_, results) = try await feed.ingest(lines)
        for result in results { report += result.json }
        let audit = try service.runtime.database.recentAuditEntries(limit: 100).map { "\($0.actor) \($0.action) \($0.details)" }
        #expect(!service.logs.all.isEmpty)
        for text in [report, audit.joined(separator: "\n")] + service.logs.all {
            #expect(!text.contains("31415926535"))
        }
        for suffix in ["", "-wal"] {
            let bytes = try #require(FileManager.default.contents(atPath: service.databasePath + suffix))
            #expect(!bytes.contains(Data("31415926535".utf8)), "resident code found in the database\(suffix)")
        }
    }

    @Test func theReportCountsOutcomesByDayAndKind() async throws {
        let service = try TestService.make()
        defer { service.remove() }
        let feed = NoticeFeed(service: service)
        _ = try await feed.enroll("10000000011")
        let now = NoticeFeed.justNow()
        _ = try await feed.ingest([
            try NoticeFeed.line(id: "t1", kind: "death", resident: "10000000011", effectiveAt: now),
            try NoticeFeed.line(id: "t2", kind: "death", resident: "10000000012", effectiveAt: now),
            try NoticeFeed.line(id: "t3", kind: "death", resident: "10000000013", effectiveAt: now),
            try NoticeFeed.line(id: "t4", kind: "move-out", resident: "10000000014", effectiveAt: now),
            "garbage",
            try NoticeFeed.line(id: "t5", kind: "death", resident: "1", effectiveAt: now),
        ])
        let rows = try service.runtime.database.noticeReport(days: 7, until: Date())
        let today = JapanStandardTime.date(of: Date())
        #expect(rows.allSatisfy { $0.day == today })
        let counts = Dictionary(uniqueKeysWithValues: rows.map { ("\($0.kind) \($0.outcome)", $0.count) })
        #expect(counts == ["death applied": 1, "death no-match": 2, "move-out no-match": 1, "unknown rejected": 1,
                           "death rejected": 1])
        #expect(try service.runtime.database.noticeReport(days: 7, until: Date().addingTimeInterval(8 * 86_400)).isEmpty)
    }

    @Test func aDuplicateWithinOneBatchIsCaughtAndIdsAreKeptPerFeed() async throws {
        let service = try TestService.make()
        defer { service.remove() }
        let now = NoticeFeed.justNow()
        let lines = [
            try NoticeFeed.line(id: "same", kind: "death", resident: "10000000021", effectiveAt: now),
            try NoticeFeed.line(id: "same", kind: "death", resident: "10000000022", effectiveAt: now),
        ]
        var outcomes: [String] = []
        let ingestor = NoticeIngestor(runtime: service.runtime, batchSize: 100, logger: service.logger)
        _ = try await ingestor.ingest(lines: lines.map { Array($0.utf8) }, source: "test", feed: TestService.registryFeed) {
            outcomes.append($0.outcome)
        }
        #expect(outcomes == ["no-match", "duplicate"])
        // Another feed's id space is its own: the same id is a new notice there.
        let shibuya = try NoticeFeed.line(id: "same", kind: "death", resident: "10000000022", municipality: "131130",
                                          effectiveAt: now)
        _ = try await ingestor.ingest(lines: [Array(shibuya.utf8)], source: "test", feed: TestService.shibuyaFeed) {
            outcomes.append($0.outcome)
        }
        #expect(outcomes == ["no-match", "duplicate", "no-match"])
        #expect(try service.runtime.database.noticeCount() == 2)
    }

    /// A move reported after the death that followed it: the signing certificate was invalid
    /// from the move, so its revocation is back-dated, with the move's reason.
    @Test func aLateNoticeBackDatesARevocation() async throws {
        let service = try TestService.make()
        defer { service.remove() }
        let feed = NoticeFeed(service: service)
        let issued = try await feed.enroll("10000000031")
        let issuedAt = try feed.record(issued[0]).notBefore
        try await Task.sleep(for: .seconds(3))
        let moved = issuedAt.addingTimeInterval(1), died = issuedAt.addingTimeInterval(2)
        _ = try await feed.ingest([try NoticeFeed.line(id: "d", kind: "death", resident: "10000000031",
                                                       effectiveAt: AuditLog.timestamp(died))])
        let (_, results) = try await feed.ingest([try NoticeFeed.line(id: "m", kind: "move-out", resident: "10000000031",
                                                                      effectiveAt: AuditLog.timestamp(moved))])
        #expect(results.map(\.outcome) == ["applied"])
        #expect(results[0].revoked?.map(\.serial) == [issued[0].serialHex])
        let signing = try feed.record(issued[0]), auth = try feed.record(issued[1])
        #expect(signing.revokedAt == moved && signing.revocationReason == .affiliationChanged)
        #expect(auth.revokedAt == died && auth.revocationReason == .cessationOfOperation)
    }

    /// A notice within the tolerance for the future revokes at once, dated now, not later.
    @Test func aNoticeSlightlyInTheFutureRevokesFromNow() async throws {
        let service = try TestService.make()
        defer { service.remove() }
        let feed = NoticeFeed(service: service)
        let issued = try await feed.enroll("10000000041")
        let before = Date()
        _ = try await feed.ingest([try NoticeFeed.line(id: "f", kind: "death", resident: "10000000041",
                                                       effectiveAt: AuditLog.timestamp(Date().addingTimeInterval(120)))])
        let record = try feed.record(issued[0])
        #expect(record.status == .revoked)
        #expect(try #require(record.revokedAt) <= Date() && record.revokedAt! >= before.addingTimeInterval(-1))
    }

    @Test func aNoticeIdCarryingTheResidentCodeIsRefusedAndNotRepeated() async throws {
        let service = try TestService.make()
        defer { service.remove() }
        let feed = NoticeFeed(service: service)
        let (_, results) = try await feed.ingest([
            try NoticeFeed.line(id: "x-10000000051", kind: "death", resident: "10000000051", effectiveAt: NoticeFeed.justNow()),
            try NoticeFeed.line(id: "10000000052", kind: "divorce", resident: "10000000052", effectiveAt: NoticeFeed.justNow()),
        ])
        #expect(results.map { $0.error?.code } == [.invalidNoticeID, .unknownNoticeKind])
        #expect(results.allSatisfy { $0.noticeId == nil && !$0.json.contains("1000000005") })
        let audit = try service.runtime.database.recentAuditEntries(limit: 10).map(\.details).joined()
        #expect(!audit.contains("1000000005"))
    }
}
