import Foundation
import JPKIAuthority
import JPKIConfiguration
import JPKIEnrollment
import JPKIProfile
import JPKIPublication
import JPKIStore
import JPKITestSupport
import Logging
import Testing

@Suite("CRL publication: what is due, numbers, deltas, expiry, failures")
struct CRLPublisherTests {
    func publisher(_ service: TestService) -> CRLPublisher {
        CRLPublisher(runtime: service.runtime, root: service.directory.appendingPathComponent("crl"), logger: service.logger)
    }

    func issue(_ service: TestService, resident: Int) async throws -> [IssuedCertificate] {
        try await service.runtime.enrollment.enroll(
            try Fixtures.application(residentCode: "2345678901\(resident)", signingKey: 2 * (resident % 3),
                                     authKey: 2 * (resident % 3) + 1),
            by: TestService.chiyodaDesk)
    }

    func revoke(_ service: TestService, _ certificate: IssuedCertificate, at now: Date = Date()) async throws {
        _ = try await service.runtime.database.changeStatus(ca: certificate.ca.description, serial: certificate.serialHex,
                                                            .revoke(.keyCompromise), actor: "test", at: now) { _ in }
    }

    /// A first pass publishes everything; a second has nothing to do; a revocation re-signs the
    /// delta of its partition only; close to nextUpdate, every full CRL and ARL is renewed.
    @Test func onlyWhatIsDueIsSigned() async throws {
        let service = try TestService.make()
        defer { service.remove() }
        let publisher = publisher(service)
        let first = await publisher.publish()
        #expect(first.full == 14 && first.delta == 14 && first.arl == 2 && first.entries == 0 && first.failures.isEmpty)
        let idle = await publisher.publish()
        #expect(idle.full + idle.delta + idle.arl == 0)
        // One audit entry for the pass that signed, a line per CRL; none for the idle pass.
        let audited = try service.runtime.database.recentAuditEntries(limit: 100).filter { $0.action == "crl.published" }
        #expect(audited.count == 1)
        #expect(audited.first?.details.contains("13/signing/131016 #1 full entries 0 sha256 ") == true)
        #expect(audited.first?.details.contains("13/signing/131016 #2 delta entries 0 sha256 ") == true)

        let issued = try await issue(service, resident: 0)
        try await revoke(service, issued[0])
        let changed = await publisher.publish()
        #expect(changed.full == 0 && changed.delta == 1 && changed.arl == 0 && changed.entries == 1)

        // A CRL directory emptied (or moved, or restored from elsewhere): what is missing is due.
        try FileManager.default.removeItem(at: service.directory.appendingPathComponent("crl/13/signing"))
        let restored = await publisher.publish()
        #expect(restored.full == 6 && restored.delta == 6 && restored.arl == 1, "Chiyoda, Shibuya, 4 Setagaya shards; the ARL")

        let later = await publisher.publish(at: Date().addingTimeInterval(19 * 3600))
        #expect(later.full == 14 && later.delta == 14 && later.arl == 2)
        // The renewed full CRL lists the revocation; the delta after it starts empty again.
        #expect(later.entries == 1)
    }

    /// Full and delta CRLs of a partition share one strictly increasing sequence, kept in the
    /// store: a new process (a restart) continues it.
    @Test func numbersIncreaseAcrossARestart() async throws {
        let service = try TestService.make()
        defer { service.remove() }
        _ = await publisher(service).publish()
        let database = service.runtime.database
        let full = try #require(try database.latestPublication(ca: "13/signing", partition: "131016", scope: .full))
        let delta = try #require(try database.latestPublication(ca: "13/signing", partition: "131016", scope: .delta))
        #expect(delta.number == full.number + 1 && delta.baseNumber == full.number)

        let configuration = try TestService.configuration(dataDirectory: service.directory.path)
        let restarted = try ServiceRuntime.open(configuration: configuration, dataDirectory: service.directory,
                                                environment: [:], logger: service.logger)
        let again = await CRLPublisher(runtime: restarted, root: service.directory.appendingPathComponent("crl"),
                                       logger: service.logger).publish(everything: true)
        #expect(again.failures.isEmpty)
        let renewed = try #require(try restarted.database.latestPublication(ca: "13/signing", partition: "131016", scope: .full))
        let renewedDelta = try #require(try restarted.database.latestPublication(ca: "13/signing", partition: "131016", scope: .delta))
        #expect(renewed.number > delta.number)
        #expect(renewedDelta.number == renewed.number + 1 && renewedDelta.baseNumber == renewed.number)
        // The file on disk is the one recorded.
        let file = try Data(contentsOf: service.directory.appendingPathComponent("crl/13/signing/131016.crl"))
        #expect(file.count == renewed.size)
    }

    /// A delta lists every change since its base, cumulatively, and starts over after a new base.
    @Test func deltasAreCumulativeSinceTheirBase() async throws {
        let service = try TestService.make()
        defer { service.remove() }
        let publisher = publisher(service)
        _ = await publisher.publish()
        let first = try await issue(service, resident: 1)
        let second = try await issue(service, resident: 2)
        try await revoke(service, first[0])
        _ = await publisher.publish()
        try await revoke(service, second[0])
        _ = await publisher.publish()
        let database = service.runtime.database
        let delta = try #require(try database.latestPublication(ca: "13/signing", partition: "131016", scope: .delta))
        #expect(delta.entries == 2)
        _ = await publisher.publish(everything: true)
        let renewed = try #require(try database.latestPublication(ca: "13/signing", partition: "131016", scope: .full))
        let fresh = try #require(try database.latestPublication(ca: "13/signing", partition: "131016", scope: .delta))
        #expect(renewed.entries == 2 && fresh.entries == 0 && fresh.baseNumber == renewed.number)
    }

    /// A revoked certificate leaves its CRL once it has expired, unless the configured retention
    /// keeps it longer.
    @Test func expiredCertificatesLeaveAfterTheRetention() async throws {
        let service = try TestService.make()
        defer { service.remove() }
        let now = Int64(Date().timeIntervalSince1970)
        func row(_ serial: String, expired days: Int64) -> SyntheticCertificate {
            SyntheticCertificate(ca: "13/signing", serial: serial, municipality: "131016", kind: .signing, partition: "131016",
                                residentHash: Data(serial.utf8), revokedAt: now - 400 * 86_400, reason: .affiliationChanged,
                                notAfter: now - days * 86_400)
        }
        try await service.runtime.database.insertSyntheticCertificates([
            row("11", expired: -30), row("12", expired: 2), row("13", expired: 10),
        ])
        let authority = service.authority(.signing)
        let partition = try #require(CRLPartition(ca: authority.id, id: "131016"))
        let point = try partition.distributionPoint(prefectureName: "Tokyo-to", municipalityName: "Chiyoda-ku",
                                                    publication: service.runtime.authorities.publication)
        for (retention, expected) in [(0, 1), (5, 2), (30, 3)] {
            let generator = CRLGenerator(database: service.runtime.database,
                                         layout: CRLFileLayout(root: service.directory.appendingPathComponent("crl-\(retention)")),
                                         publication: service.runtime.authorities.publication, validity: 86_400,
                                         deltaValidity: 3_600, retainExpired: TimeInterval(retention * 86_400))
            let published = try await generator.publish(.full(partition, point), by: authority, at: Date())
            #expect(published.entries == expected, "retention \(retention) days")
        }
    }

    /// A partition that cannot be published (its municipality left the configuration) fails on
    /// its own: the rest is published, the failure is reported and shown in the status.
    @Test func aFailingPartitionFailsAlone() async throws {
        let service = try TestService.make()
        defer { service.remove() }
        try await service.runtime.database.insertSyntheticCertificates([
            SyntheticCertificate(ca: "13/signing", serial: "21", municipality: "131032", kind: .signing, partition: "131032",
                                residentHash: Data("21".utf8), revokedAt: Int64(Date().timeIntervalSince1970),
                                reason: .affiliationChanged, notAfter: Int64(Date().timeIntervalSince1970) + 86_400),
        ])
        let publisher = publisher(service)
        let report = await publisher.publish()
        #expect(report.full == 14 && report.arl == 2)
        #expect(report.failures.count == 1)
        #expect(report.failures.first?.contains("131032") == true)
        #expect(publisher.status.failing.count == 1)
        #expect(publisher.status.lastRun != nil && publisher.status.lastSuccess == nil)
        #expect(service.logs.all.contains { $0.contains("CRL publication failed") })
    }
}

extension CRLPublisherTests {
    /// Two publishers on one directory (`serve` and `jpki-ca crl publish`) do not interleave: the
    /// second pass publishes nothing and says why; once the first is done, it goes ahead.
    @Test func onePublisherAtATime() async throws {
        let service = try TestService.make()
        defer { service.remove() }
        let root = service.directory.appendingPathComponent("crl")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        let descriptor = open(root.appendingPathComponent(".publisher.lock").path, O_RDWR | O_CREAT, 0o644)
        #expect(descriptor >= 0)
        #expect(flock(descriptor, LOCK_EX | LOCK_NB) == 0)
        let publisher = publisher(service)
        let blocked = await publisher.publish()
        #expect(blocked.full + blocked.delta + blocked.arl == 0)
        #expect(blocked.failures.first?.contains("another process is publishing CRLs") == true)
        #expect(publisher.status.failing["lock"] != nil)
        flock(descriptor, LOCK_UN)
        close(descriptor)
        let free = await publisher.publish()
        #expect(free.full == 14 && free.failures.isEmpty)
        #expect(publisher.status.failing.isEmpty)
    }
}

extension CRLPublisherTests {
    /// The delta after a base carries every kind of change made since, as openssl reads it: a
    /// supersession at re-issue, a change notice whose revocation date lies before the base's
    /// thisUpdate, and an administrator's revocation of a whole CA.
    @Test func deltasCarryEveryKindOfChange() async throws {
        let service = try TestService.make()
        defer { service.remove() }
        let publisher = publisher(service)
        let first = try await issue(service, resident: 3)
        let second = try await issue(service, resident: 4)
        _ = await publisher.publish()

        // Re-issue to the first resident: the old certificates are superseded.
        let renewed = try await issue(service, resident: 3)
        #expect(renewed[0].supersedes?.serial == first[0].serialHex)
        // The second resident died as the certificates were issued: reported only now.
        let notice = NoticeApplication(
            noticeID: "delta-test-1", kind: .death,
            residentHash: service.runtime.residentCodes.hash(ResidentCode("23456789014")!),
            effectiveAt: second[0].certificate.notValidBefore, line: 1)
        _ = try await service.runtime.database.applyNotices(NoticeBatch([.notice(notice)]), feed: "registry-feed", at: Date())
        // The user-authentication CA's key is compromised.
        _ = try await service.runtime.database.revokeAll(ca: "13/user-authentication", reason: .cACompromise, actor: "admin",
                                                         at: Date())
        let report = await publisher.publish()
        #expect(report.full == 0 && report.failures.isEmpty)

        let root = service.directory.appendingPathComponent("crl")
        func text(_ file: String) throws -> String {
            try ExternalTool.run("openssl", ["crl", "-inform", "DER", "-in", root.appendingPathComponent(file).path,
                                             "-noout", "-text"]).stdout
        }
        let signing = try text("13/signing/131016-delta.crl")
        let base = try #require(try service.runtime.database.latestPublication(ca: "13/signing", partition: "131016", scope: .full))
        #expect(signing.contains("Delta CRL Indicator: critical\n                \(base.number)"), "\(signing)")
        for (serial, reason) in [(first[0].serialHex, "Superseded"), (second[0].serialHex, "Cessation Of Operation")] {
            let entry = signing.components(separatedBy: "Serial Number: \(serial.uppercased())")
            #expect(entry.count == 2 && entry[1].prefix(200).contains(reason), "\(serial) \(reason)")
        }
        #expect(!signing.contains(renewed[0].serialHex.uppercased()))
        // Dated before the base was published: found by the listing clock, not by its date.
        #expect(second[0].certificate.notValidBefore.timeIntervalSince1970 < Double(base.thisUpdate) + 1)

        // Every user-authentication certificate is in its shard's delta: superseded, dead, or
        // revoked with its CA (revoke-all leaves what was already revoked as it was).
        for (certificate, reason) in [(first[1], "Superseded"), (second[1], "Cessation Of Operation"), (renewed[1], "CA Compromise")] {
            let delta = try text("13/user-authentication/\(certificate.partition.id)-delta.crl")
            let entry = delta.components(separatedBy: "Serial Number: \(certificate.serialHex.uppercased())")
            #expect(entry.count == 2 && entry[1].prefix(200).contains(reason), "\(certificate.serialHex) \(reason)")
        }
    }
}

extension CRLPublisherTests {
    /// A full regeneration of one CA re-signs that CA's CRLs and ARL and nothing of the other.
    @Test func oneCAIsRegeneratedAlone() async throws {
        let service = try TestService.make()
        defer { service.remove() }
        let publisher = publisher(service)
        _ = await publisher.publish()
        let signing = service.authority(.signing).id
        let report = await publisher.publish(everything: true, only: [signing])
        #expect(report.full == 6 && report.delta == 6 && report.arl == 1 && report.failures.isEmpty)
        #expect(report.published.allSatisfy { $0.ca == "13/signing" })
    }
}

extension CRLPublisherTests {
    /// CRL settings that would let a CRL go past its nextUpdate between two passes are refused
    /// at start-up, naming the setting.
    @Test func settingsThatWouldServeStaleCRLsAreRefused() throws {
        let base = try TestService.configuration(dataDirectory: "/nonexistent")
        let cases: [(CRLSettings, String)] = [
            (CRLSettings(renewBeforeHours: 0), "crl.renewBeforeHours must be at least 1"),
            (CRLSettings(validityHours: 6, renewBeforeHours: 6), "crl.renewBeforeHours must be shorter"),
            (CRLSettings(renewBeforeHours: 1, deltaIntervalSeconds: 3_600), "must span at least two crl.deltaIntervalSeconds"),
            (CRLSettings(deltaIntervalSeconds: 300, deltaValidityMinutes: 15), "crl.deltaValidityMinutes must be at least eight"),
            (CRLSettings(retainExpiredDays: -1), "crl.retainExpiredDays"),
        ]
        for (settings, message) in cases {
            var service = base.service
            service.crl = settings
            #expect {
                _ = try Configuration(service: service, prefectures: base.prefectures)
            } throws: { error in
                "\(error)".contains("service.yaml") && "\(error)".contains(message)
            }
        }
        var service = base.service
        service.crl = CRLSettings()
        #expect(throws: Never.self) { _ = try Configuration(service: service, prefectures: base.prefectures) }
    }
}
