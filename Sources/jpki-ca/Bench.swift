import ArgumentParser
import Crypto
import Foundation
import Hummingbird
import JPKIAuthority
import JPKIConfiguration
import JPKIEnrollment
import JPKIProfile
import JPKIPublication
import JPKIServer
import Logging
import SwiftASN1
import X509
import _CryptoExtras

struct Bench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Benchmarks, measured against the machine's own limit in the same run.",
        subcommands: [IssueBenchmark.self, NoticeBenchmark.self, CRLBenchmark.self, OCSPBenchmark.self])
}

/// `jpki-ca bench issue`: end-to-end issuance (CSR check, build, sign, durable commit, audit)
/// in-process and through the HTTP API, beside the raw RSA-2048 signing rate of this machine.
struct IssueBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "issue",
        abstract: "Measure certificates issued per second, in-process and over HTTP, against raw RSA-2048 signing.",
        discussion: """
            Runs on a throw-away development service in a temporary directory, built from the \
            prefectures of --config. Each enrollment issues both certificates for a new resident. \
            The HTTP part drives POST /v1/enrollments on loopback with wrk (apt-get install wrk), in \
            rounds with the raw signing rate measured between them.
            """)

    @Option(help: "The configuration directory whose prefectures to use.")
    var config: String = "ca-config"

    @Option(help: "Enrollments for the in-process run (two certificates each).")
    var enrollments: Int = 3000

    @Option(help: "Concurrent enrollments in-process, as many desks at once would make.")
    var concurrency: Int = 16

    @Option(help: "Seconds of HTTP load in each round.")
    var seconds: Int = 10

    @Option(help: "HTTP rounds, each divided by the mean of the raw signing rates measured just before and after it.")
    var rounds: Int = 3

    @Option(help: "Concurrent HTTP connections.")
    var connections: Int = 16

    func validate() throws {
        guard enrollments >= 1, concurrency >= 1, seconds >= 1, rounds >= 1, connections >= 1 else {
            throw ValidationError("--enrollments, --concurrency, --seconds, --rounds and --connections must be at least 1")
        }
    }

    func run() async throws {
        var logger = Logger(label: "jpki-ca.bench")
        logger.logLevel = .warning
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("jpki-ca-bench-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        var configuration = try Configuration.load(from: URL(fileURLWithPath: config))
        configuration.service.mode = .development
        configuration.service.keyEncryptionIterations = 1_000
        configuration.service.dataDirectory = directory.path
        let benchDesk = Operator(id: "bench-desk", role: .desk, municipality: configuration.prefectures[0].municipalities[0].code,
                                 credential: OperatorCredential.digest(of: "bench-credential"))
        configuration.service.operators = [benchDesk]
        let runtime = try ServiceRuntime.open(configuration: configuration, dataDirectory: directory, environment: [:],
                                              logger: logger)

        print("machine: \(ProcessInfo.processInfo.activeProcessorCount) cores, \(ProcessInfo.processInfo.operatingSystemVersionString)")
        let rawSwiftCrypto = try rawSigningRate(engine: .swiftCrypto, seconds: 3)
        print(String(format: "raw RSA-2048 sign, 1 core, swift-crypto _RSA (for comparison):  %8.1f signatures/s", rawSwiftCrypto))
        // The machine's speed drifts by a quarter within minutes: the limit of each run is the
        // mean of the CA engine's raw rates measured just before and just after it (swift-crypto
        // signs at about half that rate, so it is printed for comparison only).
        func rawOpenSSL(_ moment: String) throws -> Double {
            let rate = try rawSigningRate(engine: .openssl, seconds: 3)
            print(String(format: "raw RSA-2048 sign, 1 core, OpenSSL libcrypto (the CA's engine), %@: %8.1f signatures/s",
                         moment, rate))
            return rate
        }
        let keys = try (0..<16).map { _ in try _RSA.Signing.PrivateKey(keySize: .bits2048) }
        let csrs = try keys.map { try Self.csrPEM($0) }
        let template = EnrollmentTemplate(municipality: benchDesk.municipality!, csrs: csrs)
        let rawBefore = try rawOpenSSL("before the in-process run")

        // In-process.
        let inProcessShares = HostCPUShares()
        let inProcessCPU = ProcessorTime()
        let start = ContinuousClock.now
        try await withThrowingTaskGroup(of: Void.self) { group in
            var next = 0
            func submit() {
                let index = next
                next += 1
                group.addTask { _ = try await runtime.enrollment.enroll(template.application(index), by: benchDesk) }
            }
            for _ in 0..<min(concurrency, enrollments) { submit() }
            while try await group.next() != nil {
                if next < enrollments { submit() }
            }
        }
        let elapsed = (ContinuousClock.now - start) / .seconds(1)
        let inProcess = Double(enrollments * 2) / elapsed
        let inProcessCost = inProcessCPU.seconds / Double(enrollments * 2)
        let inProcessSharesText = inProcessShares.text
        let rawBetween = try rawOpenSSL("between the runs")
        let inProcessLimit = (rawBefore + rawBetween) / 2
        print(String(format: "in-process: %d certificates in %.2f s = %8.1f certificates/s (%.2f x raw signing), concurrency %d",
                     enrollments * 2, elapsed, inProcess, inProcess / inProcessLimit, concurrency) + inProcessSharesText)
        print(Self.costLine(inProcessCost, limit: inProcessLimit))

        // HTTP, with wrk as the client, in rounds between raw measurements: the machine's speed
        // drifts within seconds, so each round is divided by the raw rates measured around it,
        // and the run by their mean over all rounds.
        var rawAround = [rawBetween]
        var rates: [Double] = []
        var worstP99 = 0.0
        try await withHTTPService(runtime: runtime, logger: logger) { port in
            for round in 1...rounds {
                let shares = HostCPUShares()
                let cpu = ProcessorTime()
                let result = try await wrk(port: port, template: template)
                let cost = cpu.seconds / (result.certificatesPerSecond * Double(seconds))
                let sharesText = shares.text
                rawAround.append(try rawOpenSSL("after HTTP round \(round)"))
                let limit = (rawAround[rawAround.count - 2] + rawAround[rawAround.count - 1]) / 2
                print(String(format: "HTTP round %d: %8.1f certificates/s (%.2f x raw signing), %d connections, %d s, p50 %.2fms, p99 %.2fms",
                             round, result.certificatesPerSecond, result.certificatesPerSecond / limit, connections, seconds,
                             result.p50, result.p99) + sharesText)
                print(Self.costLine(cost, limit: limit) + " (the server's; wrk's own is not counted)")
                rates.append(result.certificatesPerSecond)
                worstP99 = max(worstP99, result.p99)
            }
        }
        let httpRate = rates.reduce(0, +) / Double(rates.count)
        let httpLimit = rawAround.reduce(0, +) / Double(rawAround.count)
        print(String(format: "HTTP:       %8.1f certificates/s (%.2f x raw signing, the mean of %d rounds against the mean of %d raw rates), worst p99 %.2fms",
                     httpRate, httpRate / httpLimit, rates.count, rawAround.count, worstP99))
        let verification = try runtime.database.verifyAuditLog()
        print("audit log after the run: \(verification); certificates stored: \(try runtime.database.certificateCount())")
        // Commits write some 20 KB of WAL a certificate: without the checkpointer's RESTART the file
        // grew past 500 MiB in one run (on its way to 1 GiB); with it, it stays under 130 MiB
        // (77–81 MiB in session 12's runs).
        let wal = try FileManager.default.attributesOfItem(atPath: ServiceRuntime.databasePath(in: directory) + "-wal")
        print(String(format: "WAL file after the runs: %.0f MiB", Double((wal[.size] as? Int) ?? 0) / 1_048_576))
    }

    /// The CPU time a certificate cost, in milliseconds and in raw signatures (one thread signing
    /// at `limit` a second spends 1 / `limit` s on each): with two cores, issuance reaches the raw
    /// single-core rate only if a certificate costs at most two signatures' worth.
    static func costLine(_ seconds: Double, limit: Double) -> String {
        String(format: "            CPU per certificate %.3f ms = %.2f raw signatures", seconds * 1000, seconds * limit)
    }

    enum Engine { case openssl, swiftCrypto }

    /// Signatures per second of one thread signing a 1 KiB to-be-signed structure with a fresh
    /// RSA-2048 key: the physical limit of issuance on one core.
    func rawSigningRate(engine: Engine, seconds: Double) throws -> Double {
        let key = try _RSA.Signing.PrivateKey(keySize: .bits2048)
        let message = [UInt8](repeating: 0x5A, count: 1024)
        let sign: () throws -> Void
        switch engine {
        case .openssl:
            let openssl = try OpenSSLSigningKey(pkcs8: try PEMDocument(pemString: key.pkcs8PEMRepresentation).derBytes)
            sign = { _ = try openssl.signSynchronously(bytes: message, signatureAlgorithm: .sha256WithRSAEncryption) }
        case .swiftCrypto:
            sign = { _ = try key.signature(for: SHA256.hash(data: message), padding: .insecurePKCS1v1_5) }
        }
        let clock = ContinuousClock()
        let start = clock.now
        var count = 0
        while clock.now - start < .seconds(seconds) {
            try sign()
            count += 1
        }
        return Double(count) / ((clock.now - start) / .seconds(1))
    }

    struct HTTPResult {
        let certificatesPerSecond: Double
        /// Milliseconds.
        let p50: Double
        let p99: Double
    }

    /// Runs `body` with the API served on a loopback port.
    func withHTTPService(runtime: ServiceRuntime, logger: Logger, _ body: (_ port: Int) async throws -> Void) async throws {
        let port = Int.random(in: 20_000..<40_000)
        let crl = CRLPublisher(runtime: runtime, root: FileManager.default.temporaryDirectory
            .appendingPathComponent("jpki-ca-bench-crl-\(UUID().uuidString)"), logger: logger)
        let ocsp = try OCSPService(runtime: runtime, dataDirectory: FileManager.default.temporaryDirectory
            .appendingPathComponent("jpki-ca-bench-ocsp-\(UUID().uuidString)"), logger: logger)
        let app = APIRoutes.application(runtime: runtime, crl: crl, ocsp: ocsp,
                                        configuration: .init(address: .hostname("127.0.0.1", port: port)), logger: logger)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await app.runService() }
            defer { group.cancelAll() }
            try await Task.sleep(for: .milliseconds(500))
            try await body(port)
        }
    }

    /// One wrk run of `seconds` against the enrollment endpoint, each request for a new resident.
    func wrk(port: Int, template: EnrollmentTemplate) async throws -> HTTPResult {
        let script = FileManager.default.temporaryDirectory.appendingPathComponent("jpki-ca-bench-\(UUID().uuidString).lua")
        defer { try? FileManager.default.removeItem(at: script) }
        try template.wrkScript(credential: "bench-credential").write(to: script, atomically: true, encoding: .utf8)
        let output = try await runToolOffPool("wrk", ["-t1", "-c\(connections)", "-d\(seconds)s", "--latency", "-s", script.path,
                                                      "http://127.0.0.1:\(port)/v1/enrollments"])
        let result = try WrkResult(parsing: output)
        guard result.failures == 0 else { throw CommandFailure("wrk saw failed requests:\n\(output)") }
        return HTTPResult(certificatesPerSecond: result.requestsPerSecond * 2, p50: result.p50Milliseconds, p99: result.p99Milliseconds)
    }

    static func csrPEM(_ key: _RSA.Signing.PrivateKey) throws -> String {
        let request = try CertificateSigningRequest(
            version: .v1, subject: try DistinguishedName { CommonName("bench") }, privateKey: Certificate.PrivateKey(key),
            attributes: CertificateSigningRequest.Attributes(), signatureAlgorithm: .sha256WithRSAEncryption)
        return try request.serializeAsPEM().pemString
    }
}

/// Applications for distinct synthetic residents, in-process and as a wrk script.
struct EnrollmentTemplate: Sendable {
    let municipality: MunicipalityCode
    let csrs: [String]
    static let name = "試験　太郎"
    static let address = "東京都千代田区千代田一番"

    func application(_ index: Int) -> EnrollmentApplication {
        EnrollmentApplication(
            municipalityCode: municipality.value, residentCode: String(format: "%011d", index + 1),
            certificates: ["signing", "user-authentication"],
            fourItems: .init(name: Self.name, nameSubstituteMap: String(repeating: "0", count: Self.name.count),
                             dateOfBirth: "1980-04-01", sex: "1", address: Self.address,
                             addressSubstituteMap: String(repeating: "0", count: Self.address.count)),
            csrs: ["signing": csrs[(2 * index) % csrs.count], "user-authentication": csrs[(2 * index + 1) % csrs.count]])
    }

    /// A wrk script whose every request enrolls a (random) new resident. LuaJIT's generator starts
    /// from the same seed in every run, so each script seeds it afresh: a second run with the
    /// first one's resident codes would renew their certificates instead.
    func wrkScript(credential: String) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let bodies = try (0..<8).map { i -> String in
            let text = String(decoding: try encoder.encode(application(i)), as: UTF8.self)
            let marker = String(format: "%011d", i + 1)
            let parts = text.components(separatedBy: "\"residentCode\":\"\(marker)\"")
            return "{\(WrkLoad.luaString(parts[0])), \(WrkLoad.luaString(parts[1]))}"
        }
        return """
            math.randomseed(\(Int.random(in: 1..<Int(Int32.max))))
            local bodies = {\(bodies.joined(separator: ",\n"))}
            local counter = 0
            wrk.method = "POST"
            wrk.headers["Content-Type"] = "application/json"
            wrk.headers["Authorization"] = "Bearer \(credential)"
            request = function()
              counter = counter + 1
              local b = bodies[(counter % #bodies) + 1]
              -- 11 digits: 10000000000 … 99999999999, a new resident almost every time.
              local code = string.format("%011d", 10000000000 + math.random(0, 89999999) * 1000 + counter % 1000)
              return wrk.format(nil, nil, nil, b[1] .. '"residentCode":"' .. code .. '"' .. b[2])
            end
            """
    }
}

/// Runs `tool` on a thread of its own, so that waiting for it does not hold one of the few
/// threads of Swift's concurrency pool that the server under load needs.
func runToolOffPool(_ tool: String, _ arguments: [String]) async throws -> String {
    try await withCheckedThrowingContinuation { continuation in
        Thread { continuation.resume(with: Result { try runTool(tool, arguments) }) }.start()
    }
}

/// What `/usr/bin/time` reported of a child process.
struct Timed {
    let output: String
    let seconds: Double
    let peakKiB: Int
}

/// Runs a command under `/usr/bin/time` (apt-get install time), which reports the child's
/// wall time and maximum resident set size.
func timed(_ tool: String, _ arguments: [String]) throws -> Timed {
    let report = FileManager.default.temporaryDirectory.appendingPathComponent("time-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: report) }
    let output = try runTool("/usr/bin/time", ["-f", "%e %M", "-o", report.path, tool] + arguments)
    let fields = try String(contentsOf: report, encoding: .utf8).split(whereSeparator: \.isWhitespace)
    guard fields.count >= 2, let seconds = Double(fields[fields.count - 2]), let kib = Int(fields[fields.count - 1]) else {
        throw CommandFailure("could not read /usr/bin/time's report for \(tool)")
    }
    return Timed(output: output, seconds: seconds, peakKiB: kib)
}

func runTool(_ tool: String, _ arguments: [String]) throws -> String {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = [tool] + arguments
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = pipe
    try process.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else {
        throw CommandFailure("\(tool) failed (is it installed? apt-get install \(tool)):\n\(String(decoding: data, as: UTF8.self))")
    }
    return String(decoding: data, as: UTF8.self)
}

/// The first lines of the `service.yaml` of a benchmark's throw-away service: development mode
/// (keys under a published passphrase), cheap key encryption, loopback. Each benchmark adds
/// the operators, verifiers and CRL settings it needs.
func benchServiceYAML(dataDirectory: String, userAuthenticationShards: Int = 16) -> String {
    """
    mode: development
    publicBaseURL: "http://localhost:8080"
    listen: {host: "127.0.0.1", port: 8080}
    dataDirectory: "\(dataDirectory)"
    userAuthenticationCRLShards: \(userAuthenticationShards)
    keyEncryptionIterations: 1000

    """
}
