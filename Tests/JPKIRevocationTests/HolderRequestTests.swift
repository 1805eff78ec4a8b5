import Foundation
import JPKIAuthority
import JPKIConfiguration
import JPKIEnrollment
import JPKIProfile
import JPKIRevocation
import JPKIStore
import JPKITestSupport
import Testing

@Suite("Holders' requests and bulk revocation")
struct HolderRequestTests {
    static func expectRefusal(_ code: RevocationError.Code, _ body: () async throws -> Void,
                              sourceLocation: SourceLocation = #_sourceLocation) async {
        do {
            try await body()
            Issue.record("expected \(code), but the request was carried out", sourceLocation: sourceLocation)
        } catch let error as RevocationError {
            #expect(error.code == code, sourceLocation: sourceLocation)
        } catch {
            Issue.record("expected \(code), got \(error)", sourceLocation: sourceLocation)
        }
    }

    @Test func suspendResumeThenRevoke() async throws {
        let service = try TestService.make()
        defer { service.remove() }
        let feed = NoticeFeed(service: service)
        let issued = try await feed.enroll("20000000001")
        let holders = HolderRequests(database: service.runtime.database, logger: service.logger)
        let ca = issued[0].ca, serial = issued[0].serialHex

        let held = try await holders.change(.hold, ca: ca, serial: serial, by: TestService.callCentre)
        #expect(held.status == .suspended && held.revocationReason == .certificateHold && held.revokedAt != nil)
        #expect(try feed.record(issued[0]).status == .suspended)
        let resumed = try await holders.change(.release, ca: ca, serial: serial, by: TestService.chiyodaDesk)
        #expect(resumed.status == .valid && resumed.revocationReason == nil && resumed.revokedAt == nil)
        _ = try await holders.change(.hold, ca: ca, serial: serial, by: TestService.chiyodaDesk)
        let revoked = try await holders.change(.revoke(.keyCompromise), ca: ca, serial: serial, by: TestService.chiyodaDesk)
        #expect(revoked.status == .revoked && revoked.revocationReason == .keyCompromise)

        // A revoked certificate can change no more.
        for change in [StatusChange.hold, .release, .revoke(.cessationOfOperation)] {
            await Self.expectRefusal(.transitionNotAllowed) {
                _ = try await holders.change(change, ca: ca, serial: serial, by: TestService.administrator)
            }
        }
        // Only a suspended certificate is resumed; a suspended one is not suspended twice.
        let other = issued[1]
        await Self.expectRefusal(.transitionNotAllowed) {
            _ = try await holders.change(.release, ca: other.ca, serial: other.serialHex, by: TestService.chiyodaDesk)
        }
        _ = try await holders.change(.hold, ca: other.ca, serial: other.serialHex, by: TestService.chiyodaDesk)
        await Self.expectRefusal(.transitionNotAllowed) {
            _ = try await holders.change(.hold, ca: other.ca, serial: other.serialHex, by: TestService.callCentre)
        }
        let actions = try service.runtime.database.recentAuditEntries(limit: 10).map(\.action)
        #expect(actions.prefix(5) == ["certificate.suspended", "certificate.revoked", "certificate.suspended",
                                      "certificate.resumed", "certificate.suspended"])
        guard case .intact = try service.runtime.database.verifyAuditLog() else {
            Issue.record("the audit chain broke")
            return
        }
    }

    @Test func rolesDecideWhoMayDoWhat() async throws {
        let service = try TestService.make()
        defer { service.remove() }
        let feed = NoticeFeed(service: service)
        let issued = try await feed.enroll("20000000002")
        let holders = HolderRequests(database: service.runtime.database, logger: service.logger)
        let ca = issued[0].ca, serial = issued[0].serialHex
        // A desk acts only within its municipality.
        for change in [StatusChange.hold, .release, .revoke(.keyCompromise)] {
            await Self.expectRefusal(.forbiddenMunicipality) {
                _ = try await holders.change(change, ca: ca, serial: serial, by: TestService.shibuyaDesk)
            }
        }
        // The call centre may only suspend; the feed may do nothing.
        await Self.expectRefusal(.roleNotPermitted) {
            _ = try await holders.change(.revoke(.keyCompromise), ca: ca, serial: serial, by: TestService.callCentre)
        }
        await Self.expectRefusal(.roleNotPermitted) {
            _ = try await holders.change(.hold, ca: ca, serial: serial, by: TestService.registryFeed)
        }
        // A holder's revocation gives a holder's reason.
        await Self.expectRefusal(.invalidReason) {
            _ = try await holders.change(.revoke(.cACompromise), ca: ca, serial: serial, by: TestService.chiyodaDesk)
        }
        await Self.expectRefusal(.unknownCertificate) {
            _ = try await holders.change(.hold, ca: ca, serial: "0123456789abcdef", by: TestService.administrator)
        }
        // None of that changed anything.
        #expect(try feed.record(issued[0]).status == .valid)
        _ = try await holders.change(.hold, ca: issued[1].ca, serial: issued[1].serialHex, by: TestService.callCentre)
        #expect(try feed.record(issued[1]).status == .suspended)
    }

    @Test func aNoticeRevokesASuspendedCertificate() async throws {
        let service = try TestService.make()
        defer { service.remove() }
        let feed = NoticeFeed(service: service)
        let issued = try await feed.enroll("20000000003")
        let holders = HolderRequests(database: service.runtime.database, logger: service.logger)
        _ = try await holders.change(.hold, ca: issued[1].ca, serial: issued[1].serialHex, by: TestService.callCentre)
        _ = try await feed.ingest([try NoticeFeed.line(id: "x", kind: "removal", resident: "20000000003",
                                                       effectiveAt: NoticeFeed.justNow())])
        #expect(try issued.allSatisfy { try feed.record($0).revocationReason == .cessationOfOperation })
    }

    @Test func anAdministratorRevokesAWholeCAOrAList() async throws {
        let service = try TestService.make()
        defer { service.remove() }
        let feed = NoticeFeed(service: service)
        var signing: [IssuedCertificate] = []
        for i in 0..<3 { signing.append(try await feed.enroll("2000000001\(i)")[0]) }
        let bulk = BulkRevocation(database: service.runtime.database, logger: service.logger)
        let ca = signing[0].ca

        await Self.expectRefusal(.roleNotPermitted) { _ = try await bulk.revokeEverything(of: ca, by: TestService.chiyodaDesk) }
        let list = "\(signing[0].serialHex)\n\n# a comment\n\(signing[0].serialHex.uppercased())\nabcdef\n"
        let results = try await bulk.revoke(serialList: list, of: ca, reason: .keyCompromise, by: TestService.administrator)
        #expect(results.map(\.result) == [.revoked, .alreadyRevoked(.keyCompromise), .unknown])
        // Fullwidth digits ("０ａ") are not hexadecimal here, though `Character.isHexDigit` says they are.
        for bad in ["not-hex", "\(signing[1].serialHex)\n０ａ"] {
            await Self.expectRefusal(.invalidSerial) {
                _ = try await bulk.revoke(serialList: bad, of: ca, reason: .keyCompromise, by: TestService.administrator)
            }
        }

        // A suspended certificate is revoked with the rest.
        _ = try await HolderRequests(database: service.runtime.database, logger: service.logger)
            .change(.hold, ca: ca, serial: signing[1].serialHex, by: TestService.callCentre)
        let count = try await bulk.revokeEverything(of: ca, by: TestService.administrator)
        #expect(count == 2)
        #expect(try feed.record(signing[0]).revocationReason == .keyCompromise)
        #expect(try signing.dropFirst().allSatisfy { try feed.record($0).revocationReason == .cACompromise })
        // The other CA is untouched.
        #expect(try service.runtime.database.certificateCount(status: .valid) == 3)
        let last = try #require(try service.runtime.database.recentAuditEntries(limit: 1).first)
        #expect(last.action == "ca.certificates-revoked" && last.details.contains("\"count\":\"2\""))
    }
}
