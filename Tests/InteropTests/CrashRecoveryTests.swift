import Foundation
import JPKIEnrollment
import JPKITestSupport
import Testing

/// Nothing acknowledged is lost: a certificate whose enrollment was answered 201 is still there
/// after the service process is killed with SIGKILL and started again, and the audit chain is
/// intact. Drives the real `jpki-ca` binary that `swift test` builds, over HTTP with curl.
@Suite("Crash recovery of the real service", .serialized)
struct CrashRecoveryTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    struct ServiceFailure: Error, CustomStringConvertible {
        let description: String
    }

    struct Server {
        let process: Process
        let port: Int

        func kill() {
            Foundation.kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }

    static func binary() throws -> String {
        let path = repository.appendingPathComponent(".build/debug/jpki-ca").path
        guard FileManager.default.isExecutableFile(atPath: path) else {
            throw ServiceFailure(description: "\(path) is missing: `swift test` builds it; run the tests with swift test")
        }
        return path
    }

    static func start(data: URL, port: Int) async throws -> Server {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try binary())
        process.arguments = ["serve", "--config", repository.appendingPathComponent("ca-config").path,
                             "--data", data.path, "--port", "\(port)"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        for _ in 0..<120 {
            let health = try ExternalTool.run("curl", ["-s", "-o", "/dev/null", "-w", "%{http_code}", "http://127.0.0.1:\(port)/health"])
            if health.stdout == "200" { return Server(process: process, port: port) }
            try await Task.sleep(for: .milliseconds(500))
        }
        process.terminate()
        throw ServiceFailure(description: "the service did not answer /health within 60 s")
    }

    @Test func anAcknowledgedEnrollmentSurvivesSIGKILL() async throws {
        let data = try ExternalTool.scratchDirectory().appendingPathComponent("data")
        let port = Int.random(in: 41_000..<49_000)
        let body = try ExternalTool.scratchDirectory().appendingPathComponent("application.json")
        try JSONEncoder().encode(try Fixtures.application(residentCode: "27182818284")).write(to: body)

        var server = try await Self.start(data: data, port: port)
        let answer = try ExternalTool.run("curl", [
            "-s", "-w", "\n%{http_code}", "-X", "POST", "http://127.0.0.1:\(port)/v1/enrollments",
            "-H", "Authorization: Bearer dev-desk-131016", "-H", "Content-Type: application/json",
            "--data-binary", "@\(body.path)",
        ])
        // Killed the moment the answer arrives: no orderly shutdown, no checkpoint.
        server.kill()
        let lines = answer.stdout.split(separator: "\n")
        #expect(lines.last == "201", "\(answer.stdout)")
        struct Issued: Decodable {
            struct Certificate: Decodable { let issuer: String; let serial: String }
            let certificates: [Certificate]
        }
        let issued = try JSONDecoder().decode(Issued.self, from: Data(lines.dropLast().joined(separator: "\n").utf8))
        #expect(issued.certificates.count == 2)

        server = try await Self.start(data: data, port: port)
        defer { server.kill() }
        for certificate in issued.certificates {
            let fetched = try ExternalTool.run("curl", [
                "-s", "-H", "Authorization: Bearer dev-desk-131016",
                "http://127.0.0.1:\(port)/v1/certificates/\(certificate.issuer)/\(certificate.serial)?format=json",
            ])
            #expect(fetched.stdout.contains("\"status\":\"valid\""), "\(certificate.serial): \(fetched.stdout)")
        }
        let audit = try ExternalTool.run(try Self.binary(), [
            "audit", "verify", "--config", Self.repository.appendingPathComponent("ca-config").path, "--data", data.path,
        ])
        #expect(audit.status == 0, "\(audit.stdout)\(audit.stderr)")
        #expect(audit.stdout.contains("audit log intact"))
    }
}
