import ArgumentParser
import Foundation
import JPKIAuthority
import JPKIConfiguration
import JPKIEnrollment
import JPKIProfile
import JPKIPublication
import JPKIStore
import Logging

/// `jpki-ca bench ocsp`: pre-signing the OCSP responses of a million certificates, then GET
/// requests on loopback, rotating over many distinct certificates, against our responder and,
/// in the same run over the same certificates, `openssl ocsp -multi 2` and `cfssl ocspserve`;
/// and the JSON validity API.
struct OCSPBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ocsp",
        abstract: "Measure OCSP pre-signing and GET throughput and latency, beside openssl ocsp and cfssl ocspserve.",
        discussion: """
            A throw-away development CA is populated with --certificates signing certificates \
            (nine in ten valid, the rest revoked or held). `jpki-ca ocsp sign` pre-signs every \
            response in a child process, timed, beside the raw ECDSA P-256 signing rate of \
            `openssl speed` on both cores. Then `jpki-ca serve` answers GET requests for \
            --distinct of those certificates, each a different request, in rotation (a wrk Lua \
            script), as do `openssl ocsp -multi 2` (from an index.txt of every certificate, with \
            a P-256 delegated responder like ours) and `cfssl ocspserve` (serving our pre-signed \
            responses of the same certificates). Last, the JSON validity endpoint with a \
            verifier's credential (every answer audited). wrk runs on the same two cores. Each \
            responder is measured once a round, in turn (the other way round in even rounds), \
            for --rounds rounds, and the ratios \
            are printed for each round and for the mean rates.
            """)

    @Option(help: "Certificates to populate and pre-sign.")
    var certificates: Int = 1_000_000

    @Option(help: "Distinct requests in the rotation.")
    var distinct: Int = 100_000

    @Option(help: "Seconds of load per responder and round; in the first round, after a warm-up of half that, longer if needed for a full pass over the requests (so that a responder's caches are as in steady state).")
    var seconds: Int = 20

    @Option(help: "Rounds: each responder is measured once a round, all in turn (in reverse order every other round), so that a drift in the machine's speed falls on each of them alike.")
    var rounds: Int = 2

    func validate() throws {
        guard rounds >= 1 else { throw ValidationError("--rounds must be at least 1") }
    }

    @Option(help: "wrk connections.")
    var connections: Int = 32

    @Option(help: "wrk threads.")
    var threads: Int = 1

    @Option(help: "Keep the run's files under this new directory (default: temporary, removed).")
    var keep: String?

    static let credential = "bench-verifier-credential"

    func run() async throws {
        print("machine: \(ProcessInfo.processInfo.activeProcessorCount) cores, \(ProcessInfo.processInfo.operatingSystemVersionString)")
        print("peers: \(try runTool("openssl", ["version"]).trimmingCharacters(in: .whitespacesAndNewlines)); "
              + "cfssl \(try runTool("cfssl", ["version"]).split(separator: "\n").first ?? "?")")
        let base = keep.map { URL(fileURLWithPath: $0) }
            ?? FileManager.default.temporaryDirectory.appendingPathComponent("jpki-ca-bench-ocsp-\(UUID().uuidString)")
        guard !FileManager.default.fileExists(atPath: base.path) else {
            throw CommandFailure("\(base.path) exists: --keep takes a new directory")
        }
        defer { if keep == nil { try? FileManager.default.removeItem(at: base) } }
        let config = base.appendingPathComponent("config"), data = base.appendingPathComponent("data")
        let peer = base.appendingPathComponent("peer")
        try FileManager.default.createDirectory(at: peer, withIntermediateDirectories: true)
        try writeConfiguration(to: config, data: data)

        var logger = Logger(label: "jpki-ca.bench")
        logger.logLevel = .warning
        let runtime = try ServiceRuntime.open(configuration: try Configuration.load(from: config), dataDirectory: data,
                                              environment: [:], logger: logger)
        let populated = ContinuousClock.now
        let sample = try await populate(runtime, index: peer.appendingPathComponent("index.txt"))
        print(String(format: "%d certificates populated in %.1f s", certificates, (ContinuousClock.now - populated) / .seconds(1)))

        // Pre-signing, in a child process as an operator would run it.
        let signing = try timed(CommandLine.arguments[0], ["ocsp", "sign", "--json", "--config", config.path, "--data", data.path])
        struct Signed: Decodable { let first: Int; let seconds: Double }
        guard let line = signing.output.split(separator: "\n").last(where: { $0.hasPrefix("{") }),
              let report = try? JSONDecoder().decode(Signed.self, from: Data(line.utf8)), report.first == certificates else {
            throw CommandFailure("ocsp sign did not sign every certificate:\n\(signing.output)")
        }
        let rawRate = try await rawP256SigningRate()
        let presignRate = Double(report.first) / report.seconds
        print(String(format: "pre-signed %d responses in %.1f s (%.1f s wall, peak RSS %d MiB): %.0f responses/s; "
                     + "openssl speed ecdsap256, one per core: %.0f signs/s (%.2f×)", report.first, report.seconds, signing.seconds,
                     signing.peakKiB >> 10, presignRate, rawRate, presignRate / rawRate))

        // The rotation: the same certificates for every responder, as each takes them.
        let authority = runtime.authorities.authority(for: Self.ca)!
        let issuer = try OCSPIssuer(authority)
        let files = (ours: peer.appendingPathComponent("get-ocsp.txt"), root: peer.appendingPathComponent("get-root.txt"),
                     post: peer.appendingPathComponent("post.txt"), validity: peer.appendingPathComponent("validity.txt"))
        var lines = (ours: "", root: "", post: "", validity: "")
        for serial in sample {
            let request = try OCSPRequest(certIDs: [issuer.certID(serial: [UInt8](hexadecimal: serial)![...])]).serializedBytes()
            lines.ours += "/ocsp" + WrkLoad.getLine(request) + "\n"
            lines.root += WrkLoad.getLine(request) + "\n"
            lines.post += WrkLoad.postLine(request) + "\n"
            lines.validity += "/v1/validity/13/signing/\(serial)\n"
        }
        try lines.ours.write(to: files.ours, atomically: true, encoding: .utf8)
        try lines.root.write(to: files.root, atomically: true, encoding: .utf8)
        try lines.post.write(to: files.post, atomically: true, encoding: .utf8)
        try lines.validity.write(to: files.validity, atomically: true, encoding: .utf8)
        try await writePeerFiles(runtime, authority: authority, sample: sample, data: data, peer: peer)

        func measure(_ name: String, _ paths: URL, on port: Int, headers: [String: String] = [:], postPath: String = "/",
                     warmUp: Bool = true) async throws -> (String, WrkResult) {
            let url = "http://127.0.0.1:\(port)"
            if warmUp {
                // At least one full pass over the rotation. Each run of the script starts at the
                // beginning of it, so a run too short for a pass (a responder reading the store
                // for what is not yet in its cache) is followed by a longer one.
                var length = max(2, seconds / 2)
                while true {
                    let run = try await WrkLoad(paths: paths, connections: connections, threads: threads, seconds: length,
                                                headers: headers, postPath: postPath).run(against: url)
                    guard run.requests < sample.count, length < Self.longestWarmUp else { break }
                    length = min(Self.longestWarmUp, Int((Double(length) * 1.2 * Double(sample.count) / Double(max(1, run.requests))).rounded(.up)))
                }
            }
            let shares = HostCPUShares()
            let result = try await WrkLoad(paths: paths, connections: connections, threads: threads, seconds: seconds,
                                           headers: headers, postPath: postPath).run(against: url)
            print("  " + name.padding(toLength: 40, withPad: " ", startingAt: 0) + String(format: "%9.0f req/s   p50 %6.2f ms   p99 %7.2f ms   %d requests, %d failed",
                         result.requestsPerSecond, result.p50Milliseconds, result.p99Milliseconds,
                         result.requests, result.failures) + (shares.steal.map { String(format: "   steal %.0f %%", $0) } ?? ""))
            return (name, result)
        }
        print("wrk -t\(threads) -c\(connections) -d\(seconds)s over \(sample.count) distinct requests, \(rounds) rounds:")
        // Ours and cfssl run through every round (idle while another is measured); each
        // openssl run gets a fresh process and no warm-up: OpenSSL 3.0 wedges a process on a
        // connection closed before its request, which the end of every wrk run leaves behind
        // (see OpenSSLOCSPResponder).
        let port = 18_400
        // Absolute: the child runs in the log's directory.
        let executable = URL(fileURLWithPath: CommandLine.arguments[0]).standardizedFileURL.path
        let server = PeerProcess(name: "jpki-ca serve", tool: executable, arguments: [
            "serve", "--config", config.path, "--data", data.path, "--port", "\(port)",
        ], port: port, log: peer.appendingPathComponent("jpki-ca-serve.log"))
        try await server.start()
        defer { server.stop() }
        let cfssl = CFSSLOCSPResponder(responsesFile: peer.appendingPathComponent("cfssl-responses.txt"), port: 18_403)
        try await cfssl.start()
        defer { cfssl.stop() }
        // Ours, then openssl, then cfssl; the other way round in even rounds, so that a steady
        // drift of the machine's speed favours none of them in the mean.
        let stages: [(_ round: Int) async throws -> [String: WrkResult]] = [
            { round in
                var results: [String: WrkResult] = [:]
                for (name, paths, headers, postPath) in [
                    ("jpki-ca GET /ocsp", files.ours, [String: String](), "/"),
                    ("jpki-ca POST /ocsp", files.post, ["Content-Type": "application/ocsp-request"], "/ocsp"),
                    ("jpki-ca GET /v1/validity", files.validity, ["Authorization": "Bearer \(Self.credential)"], "/"),
                ] {
                    results[name] = try await measure(name, paths, on: port, headers: headers, postPath: postPath,
                                                      warmUp: round == 1).1
                }
                return results
            },
            { _ in
                var results: [String: WrkResult] = [:]
                for (name, certificate, key, port) in [
                    ("openssl ocsp -multi 2 (CA key, RSA)", "ca.pem", "ca.key", 18_401),
                    ("openssl ocsp -multi 2 (P-256 delegated)", "responder.pem", "responder.key", 18_402),
                ] {
                    let responder = OpenSSLOCSPResponder(directory: peer, index: peer.appendingPathComponent("index.txt"),
                                                         caCertificate: peer.appendingPathComponent("ca.pem"),
                                                         responderCertificate: peer.appendingPathComponent(certificate),
                                                         responderKey: peer.appendingPathComponent(key), port: port, validityMinutes: 60)
                    try await responder.start()
                    defer { responder.stop() }
                    results[name] = try await measure(name, files.root, on: port, warmUp: false).1
                }
                return results
            },
            { round in
                // cfssl 1.2.0 answers POST only (see CFSSLOCSPResponder).
                let name = "cfssl ocspserve POST"
                return [name: try await measure(name, files.post, on: 18_403, warmUp: round == 1).1]
            },
        ]
        var measured: [[String: WrkResult]] = []
        for round in 1...rounds {
            print(" round \(round):")
            var results: [String: WrkResult] = [:]
            for stage in round % 2 == 1 ? stages : stages.reversed() {
                results.merge(try await stage(round)) { $1 }
            }
            Self.printRatios(results, label: "round \(round)")
            measured.append(results)
        }
        print("  jpki-ca serve peak RSS: \(PeakMemory.residentBytes(of: server.process.processIdentifier) >> 20) MiB")
        if measured.count > 1 {
            // Each round's runs are of equal length: the mean rate is the whole run's.
            var mean: [String: WrkResult] = [:]
            for name in measured[0].keys {
                let runs = measured.map { $0[name]! }
                mean[name] = WrkResult(requestsPerSecond: runs.map(\.requestsPerSecond).reduce(0, +) / Double(runs.count),
                                       p50Milliseconds: runs.map(\.p50Milliseconds).max()!, p99Milliseconds: runs.map(\.p99Milliseconds).max()!,
                                       requests: runs.map(\.requests).reduce(0, +), failures: runs.map(\.failures).reduce(0, +))
            }
            Self.printRatios(mean, label: "all rounds (mean rates, worst p50 and p99)")
        }
        if measured.contains(where: { $0.values.contains { $0.failures > 0 } }) { throw CommandFailure("some requests failed") }
    }

    static func printRatios(_ results: [String: WrkResult], label: String) {
        let get = results["jpki-ca GET /ocsp"]!, post = results["jpki-ca POST /ocsp"]!
        let cfssl = results["cfssl ocspserve POST"]!
        print(String(format: "%@: jpki-ca GET / openssl (CA key): %.1f×   / openssl (P-256): %.1f×   / cfssl: %.2f×   "
                     + "jpki-ca POST / cfssl POST: %.2f×   jpki-ca GET p99 %.2f ms   validity %.0f req/s", label,
                     get.requestsPerSecond / results["openssl ocsp -multi 2 (CA key, RSA)"]!.requestsPerSecond,
                     get.requestsPerSecond / results["openssl ocsp -multi 2 (P-256 delegated)"]!.requestsPerSecond,
                     get.requestsPerSecond / cfssl.requestsPerSecond, post.requestsPerSecond / cfssl.requestsPerSecond,
                     get.p99Milliseconds, results["jpki-ca GET /v1/validity"]!.requestsPerSecond))
    }

    /// Seconds: the longest warm-up run.
    static let longestWarmUp = 120

    static let ca = CertificateAuthorityID(prefecture: PrefectureCode("13")!, kind: .signing)

    func writeConfiguration(to config: URL, data: URL) throws {
        try FileManager.default.createDirectory(at: config.appendingPathComponent("prefectures"), withIntermediateDirectories: true)
        try (benchServiceYAML(dataDirectory: data.path) + """
            crl: {directory: "\(data.appendingPathComponent("crl").path)", validityHours: 24}
            operators: []
            verifiers:
              - {id: bench, tier: private, credential: "\(OperatorCredential.digest(of: Self.credential))",
                 rateLimit: {requestsPerSecond: 1000000000, burst: 1000000000}}
            """).write(to: config.appendingPathComponent("service.yaml"), atomically: true, encoding: .utf8)
        try """
            code: "13"
            name: "Bench-to"
            signingCA: {operatorName: "OCSP benchmark"}
            userAuthenticationCA: {operatorName: "OCSP benchmark"}
            municipalities:
              - {code: "131016", name: "Chiyoda-ku"}
            """.write(to: config.appendingPathComponent("prefectures/13-bench.yaml"), atomically: true, encoding: .utf8)
    }

    /// Inserts the certificates, 100,000 per transaction, queued for their first response, and
    /// the same as an OpenSSL CA index; returns the serials of the rotation, spread evenly.
    func populate(_ runtime: ServiceRuntime, index: URL) async throws -> [String] {
        _ = FileManager.default.createFile(atPath: index.path, contents: nil)
        let file = try FileHandle(forWritingTo: index)
        defer { try? file.close() }
        var random = SplitMix64(seed: 5019)
        let now = Int64(Date().timeIntervalSince1970)
        let stride = max(1, certificates / distinct)
        var sample: [String] = []
        for start in Swift.stride(from: 0, to: certificates, by: 100_000) {
            var rows: [SyntheticCertificate] = []
            var lines = ""
            for n in start..<min(start + 100_000, certificates) {
                var serial: [UInt8] = [0x40]
                withUnsafeBytes(of: UInt64(n).bigEndian) { serial += $0.suffix(7) }
                withUnsafeBytes(of: random.next()) { serial += $0 }
                let roll = random.next() % 100
                let reason: RevocationReason? = roll < 90 ? nil : roll < 96 ? .affiliationChanged : roll < 98 ? .keyCompromise : .certificateHold
                let row = SyntheticCertificate(
                    ca: Self.ca.description, serial: serial.lowercaseHex, municipality: "131016", kind: .signing,
                    partition: "131016", residentHash: Data(serial + serial),
                    revokedAt: reason == nil ? nil : now - Int64(random.next() % (365 * 86_400)), reason: reason,
                    notAfter: now + 86_400 + Int64(random.next() % (4 * 365 * 86_400)))
                rows.append(row)
                lines += BenchPrefecture.indexLine(row)
                if n % stride == 0, sample.count < distinct { sample.append(row.serial) }
            }
            try await runtime.database.insertSyntheticCertificates(rows, queueForOCSP: true)
            try file.write(contentsOf: Data(lines.utf8))
        }
        return sample
    }

    /// The peers' material: the CA certificate; for openssl a P-256 delegated responder made
    /// like ours (OCSPSigning, ocsp-nocheck) and signed by the CA's key; for cfssl our
    /// pre-signed responses of the rotation's certificates.
    func writePeerFiles(_ runtime: ServiceRuntime, authority: CertificateAuthority, sample: [String], data: URL, peer: URL) async throws {
        let ca = peer.appendingPathComponent("ca.pem")
        try (authority.certificate.serializeAsPEM().pemString + "\n").write(to: ca, atomically: true, encoding: .utf8)
        let caKey = peer.appendingPathComponent("ca.key"), key = peer.appendingPathComponent("responder.key")
        let request = peer.appendingPathComponent("responder.csr"), extensions = peer.appendingPathComponent("responder.ext")
        _ = try runTool("openssl", ["pkcs8", "-in", data.appendingPathComponent("keys/13-signing.key.pem").path,
                                    "-passin", "pass:\(FileKeyVault.developmentPassphrase)", "-out", caKey.path])
        _ = try runTool("openssl", ["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", key.path])
        _ = try runTool("openssl", ["req", "-new", "-key", key.path, "-subj", "/C=JP/O=JPKI/CN=OCSP Responder (openssl)", "-out", request.path])
        try "keyUsage=critical,digitalSignature\nextendedKeyUsage=OCSPSigning\nnoCheck=ignored\n"
            .write(to: extensions, atomically: true, encoding: .utf8)
        _ = try runTool("openssl", ["x509", "-req", "-in", request.path, "-CA", ca.path, "-CAkey", caKey.path, "-days", "7",
                                    "-sha256", "-extfile", extensions.path, "-out", peer.appendingPathComponent("responder.pem").path])
        let responders = OCSPResponders(runtime: runtime, logger: Logger(label: "jpki-ca.bench"))
        try await responders.refresh()
        var responses: [[UInt8]] = []
        for serial in sample {
            guard let stored = try runtime.database.ocspResponse(ca: Self.ca.description, serial: serial),
                  let identity = responders.responder(id: stored.responder) else {
                throw CommandFailure("no pre-signed response for \(serial)")
            }
            responses.append(identity.response(SignedResponseData(responseData: stored.responseData, signature: stored.signature)))
        }
        try CFSSLResponsesFile.write(responses, to: peer.appendingPathComponent("cfssl-responses.txt"))
    }

    /// Signatures per second of ECDSA P-256 on every core: the ceiling of pre-signing. One
    /// `openssl speed` per core at once. `openssl speed` stops each test with SIGALRM, which a
    /// child started from one of this process's threads inherits blocked: python3 unblocks it
    /// before running openssl, or the test never ends.
    func rawP256SigningRate() async throws -> Double {
        try await withThrowingTaskGroup(of: Double.self) { group in
            for _ in 0..<ProcessInfo.processInfo.activeProcessorCount {
                group.addTask {
                    let output = try await runToolOffPool("python3", ["-c", """
                        import os, signal
                        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGALRM})
                        os.execvp("openssl", ["openssl", "speed", "-seconds", "3", "ecdsap256"])
                        """])
                    // "256 bits ecdsa (nistp256)   0.0000s   0.0001s  31833.9  10625.0": sign/s, verify/s.
                    guard let row = output.split(separator: "\n").last(where: { $0.contains("nistp256") }),
                          case let numbers = row.split(separator: " ").compactMap({ Double($0) }), numbers.count >= 2 else {
                        throw CommandFailure("could not read openssl speed:\n\(output)")
                    }
                    return numbers[numbers.count - 2]
                }
            }
            return try await group.reduce(0, +)
        }
    }
}
