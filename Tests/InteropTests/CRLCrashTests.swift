import Foundation
import JPKIEnrollment
import JPKIProfile
import JPKIStore
import JPKITestSupport
import Testing

/// A `jpki-ca crl publish` killed with SIGKILL while it writes leaves every published CRL whole
/// and verifiable, and the next run continues the CRL numbers and cleans up.
@Suite("A killed CRL publication leaves the previous CRLs intact")
struct CRLCrashTests {
    @Test func aKilledPublicationLeavesThePreviousCRLsIntact() async throws {
        let scratch = try ExternalTool.scratchDirectory()
        defer { try? FileManager.default.removeItem(at: scratch) }
        let data = scratch.appendingPathComponent("data")
        let crl = scratch.appendingPathComponent("crl")
        let binary = try CrashRecoveryTests.binary()
        let arguments = ["crl", "publish", "--config", NoticeCrashTests.config, "--data", data.path, "--crl-directory", crl.path]
        let first = try ExternalTool.run(binary, arguments)
        #expect(first.status == 0, "\(first.stdout)\(first.stderr)")
        // An unknown CA is refused by name, and nothing is published.
        let chiyoda = crl.appendingPathComponent("13/signing/131016.crl")
        let numberBefore = try crlNumber(chiyoda)
        let unknown = try ExternalTool.run(binary, arguments + ["--full", "--ca", "99/signing"])
        #expect(unknown.status != 0 && unknown.stderr.contains("--ca 99/signing: no such CA"), "\(unknown.stderr)")
        #expect(try crlNumber(chiyoda) == numberBefore)
        let emptySize = try Data(contentsOf: chiyoda).count

        // 150,000 revocations in Chiyoda-ku's partition, so that writing its CRL takes a while.
        let database = try CertificateDatabase(path: ServiceRuntime.databasePath(in: data))
        let now = Int64(Date().timeIntervalSince1970)
        for start in stride(from: 0, to: 150_000, by: 50_000) {
            try await database.insertSyntheticCertificates((start..<start + 50_000).map { n in
                let serial = "7" + String(repeating: "0", count: 31 - String(n, radix: 16).count) + String(n, radix: 16)
                return SyntheticCertificate(ca: "13/signing", serial: serial, municipality: "131016", kind: .signing,
                                           partition: "131016", residentHash: Data(serial.utf8), revokedAt: now - 3_600,
                                           reason: .affiliationChanged, notAfter: now + 86_400 * 365)
            })
        }

        var numbers: [Int] = [try crlNumber(chiyoda)]
        for round in 0..<2 {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: binary)
            process.arguments = arguments + ["--full"]
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            // Killed as soon as Chiyoda-ku's CRL is being written (its temporary file exists),
            // in the second round a little later. Polled by blocking this thread: a late wake-up
            // would let the child finish first.
            var writing = false
            for _ in 0..<15_000 where !writing {
                usleep(2_000)
                writing = temporaries(in: crl).contains { $0.hasPrefix("13/signing/.131016.crl.") }
            }
            if round == 1 { usleep(30_000) }
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            #expect(writing && process.terminationReason == .uncaughtSignal, "the publication finished before it could be killed")

            // Every CRL in place verifies: the old one, or a new one written whole.
            try verifyAll(in: crl, data: data)
            let size = try Data(contentsOf: chiyoda).count
            #expect(size == emptySize || size > 150_000 * 40, "131016.crl is \(size) bytes")
            numbers.append(try crlNumber(chiyoda))
        }

        let last = try ExternalTool.run(binary, arguments + ["--full"])
        #expect(last.status == 0, "\(last.stdout)\(last.stderr)")
        try verifyAll(in: crl, data: data)
        #expect(temporaries(in: crl).isEmpty, "the next run sweeps what the killed ones left")
        let final = try crlNumber(chiyoda)
        #expect(numbers.allSatisfy { $0 < final }, "\(numbers) then \(final)")
        let count = try ExternalTool.run("python3", ["-c", """
            import sys
            from cryptography import x509
            print(len(x509.load_der_x509_crl(open(sys.argv[1], "rb").read())))
            """, chiyoda.path])
        #expect(count.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "150000", "\(count.stderr)")
    }

    /// Files being written (`.<name>.<uuid>.tmp`), as paths relative to `root`.
    func temporaries(in root: URL) -> [String] {
        (FileManager.default.enumerator(atPath: root.path)?.compactMap { $0 as? String } ?? [])
            .filter { ($0 as NSString).lastPathComponent.hasPrefix(".") && $0.hasSuffix(".tmp") }
    }

    func verifyAll(in root: URL, data: URL) throws {
        let files = (FileManager.default.enumerator(atPath: root.path)?.compactMap { $0 as? String } ?? [])
            .filter { $0.hasSuffix(".crl") && !($0 as NSString).lastPathComponent.hasPrefix(".") }
        #expect(files.count > 100)
        for file in files {
            let parts = file.split(separator: "/")
            let ca = data.appendingPathComponent("keys/\(parts[0])-\(parts[1]).cert.pem")
            let result = try ExternalTool.run("openssl", ["crl", "-inform", "DER", "-in", root.appendingPathComponent(file).path,
                                                          "-noout", "-verify", "-CAfile", ca.path])
            #expect(result.status == 0 && result.stderr.contains("verify OK"), "\(file): \(result.stderr)")
        }
    }

    func crlNumber(_ file: URL) throws -> Int {
        let result = try ExternalTool.run("openssl", ["crl", "-inform", "DER", "-in", file.path, "-noout", "-crlnumber"])
        // crlNumber=0x1F
        let hex = result.stdout.split(separator: "=").last.map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }?
            .replacingOccurrences(of: "0x", with: "") ?? ""
        return try #require(Int(hex, radix: 16), "\(result.stdout)\(result.stderr)")
    }
}
