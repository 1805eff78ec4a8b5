import Foundation
import JPKIEnrollment
import JPKIStore
import JPKITestSupport
import Testing

/// A registry file ingested by the real `jpki-ca notices ingest`, killed with SIGKILL part-way
/// through and run again: every notice ends applied exactly once, nothing is lost, and the
/// audit chain is intact.
@Suite("Crash during notice ingestion", .serialized)
struct NoticeCrashTests {
    static let config = CrashRecoveryTests.repository.appendingPathComponent("ca-config").path

    struct Summary: Decodable {
        struct Counts: Decodable {
            let notices: Int
            let applied: Int
            let noMatch: Int
            let duplicate: Int
            let rejected: Int
            let revoked: Int
        }
        let summary: Counts
    }

    @Test func aKilledIngestionResumesExactlyOnce() async throws {
        let scratch = try ExternalTool.scratchDirectory()
        let data = scratch.appendingPathComponent("data")
        let binary = try CrashRecoveryTests.binary()
        // Three residents with both certificates, issued through the CLI.
        let residents = ["27182818280", "27182818281", "27182818282"]
        var serials: [String] = []
        for (index, resident) in residents.enumerated() {
            let file = scratch.appendingPathComponent("application-\(index).json")
            try JSONEncoder().encode(try Fixtures.application(residentCode: resident, signingKey: 2 * index,
                                                              authKey: 2 * index + 1)).write(to: file)
            let issued = try ExternalTool.run(binary, ["issue", "--application", file.path, "--operator", "desk-131016",
                                                       "--config", Self.config, "--data", data.path, "--out", scratch.path])
            #expect(issued.status == 0, "\(issued.stdout)\(issued.stderr)")
            serials += issued.stdout.split(separator: "\n").compactMap { line in
                line.split(separator: " ").firstIndex(of: "serial").map { String(line.split(separator: " ")[$0 + 1]) }
            }
        }
        #expect(serials.count == 6)

        // 20,000 lines: notices for residents without certificates, a bad line every 997, and the
        // three residents' deaths spread through the file.
        let now = AuditLog.timestamp(Date())
        var lines: [String] = []
        for index in 0..<20_000 {
            switch index {
            case 6_000, 12_000, 19_000:
                let resident = residents[[6_000, 12_000, 19_000].firstIndex(of: index)!]
                lines.append(try NoticeFeed.line(id: "crash-\(index)", kind: "death", resident: resident, effectiveAt: now))
            case _ where index % 997 == 0:
                lines.append("{\"noticeId\": \"crash-\(index)\", \"kind\": \"nonsense\"}")
            default:
                lines.append(try NoticeFeed.line(id: "crash-\(index)", kind: "move-out",
                                                 resident: String(50_000_000_000 + index), effectiveAt: now))
            }
        }
        let file = scratch.appendingPathComponent("notices.jsonl")
        try Data((lines.joined(separator: "\n") + "\n").utf8).write(to: file)
        let arguments = ["notices", "ingest", file.path, "--operator", "registry-feed", "--batch-size", "500", "--json",
                         "--config", Self.config, "--data", data.path]

        // Killed once some batches have committed and before the file is done.
        let database = try CertificateDatabase(path: ServiceRuntime.databasePath(in: data))
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        // Polled by blocking this thread, not with Task.sleep: other suites keep Swift's few
        // concurrency threads busy, and a late wake-up would let the child finish first.
        var committed = 0
        for _ in 0..<3_000 where committed < 2_000 {
            usleep(10_000)
            committed = try database.noticeCount()
        }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        #expect(process.terminationReason == .uncaughtSignal, "the ingestion finished before it could be killed")
        committed = try database.noticeCount()
        #expect(committed > 0 && committed < 19_000, "\(committed) notices committed at the kill")

        // Run again to the end.
        let rerun = try ExternalTool.run(binary, arguments)
        #expect(rerun.status == 0, "\(rerun.stderr)")
        let summary = try JSONDecoder().decode(Summary.self, from: Data(rerun.stdout.utf8)).summary
        let rejected = lines.filter { $0.contains("nonsense") }.count
        #expect(summary.notices == 20_000)
        #expect(summary.duplicate == committed)
        #expect(summary.rejected == rejected)
        #expect(try database.noticeCount() == 20_000 - rejected)

        // Each certificate revoked once, by its resident's death; the chain intact.
        for serial in serials {
            let record = try #require(try database.certificate(ca: try caOf(serial, in: scratch), serial: serial))
            #expect(record.status == .revoked && record.revocationReason == .cessationOfOperation)
        }
        let applied = try database.recentAuditEntries(limit: 100_000).filter { $0.action == "notices.applied" }
            .map(\.details).joined(separator: "\n")
        for serial in serials {
            #expect(applied.components(separatedBy: serial).count - 1 == 1, "\(serial) not revoked exactly once")
        }
        guard case .intact = try database.verifyAuditLog() else {
            Issue.record("the audit chain broke")
            return
        }
    }

    /// The issuing CA of `serial`, from the PEM file name `jpki-ca issue` wrote.
    func caOf(_ serial: String, in directory: URL) throws -> String {
        let name = try #require(try FileManager.default.contentsOfDirectory(atPath: directory.path).first { $0.hasSuffix("-\(serial).pem") })
        return name.hasPrefix("13-signing") ? "13/signing" : "13/user-authentication"
    }
}
