import ArgumentParser
import Foundation
import JPKIAuthority
import JPKIConfiguration
import JPKIEnrollment
import JPKIProfile
import JPKIRevocation
import JPKIStore
import Logging
import _CryptoExtras

/// `jpki-ca bench notices`: change-notice ingestion at the scale of a prefecture.
struct NoticeBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "notices",
        abstract: "Measure change notices applied per second, and the ingesting process's peak memory.",
        discussion: """
            Populates a throw-away development service with --residents residents holding both \
            certificates, writes files of change notices of mixed kinds (moves, name changes, \
            deaths, emigration, removals, corrections; some for residents without certificates), \
            and ingests each with `jpki-ca notices ingest` in a child process, which reports its \
            own time and peak resident memory. The files grow tenfold from one to the next, and \
            a last one is twice the largest, so memory that grew with the file would show, also \
            past the first batches.

            The stored certificates are real rows (keyed resident hash, partition, validity) whose \
            DER is one certificate really issued and signed at the start; signing millions would \
            measure RSA, which `bench issue` does.
            """)

    @Option(help: "The configuration directory whose prefectures to use.")
    var config: String = "ca-config"

    @Option(help: "Residents holding both certificates.")
    var residents: Int = 1_000_000

    @Option(help: "Notices in the measured file; the smaller files have a tenth and a hundredth, and a last one twice as many (for memory).")
    var notices: Int = 1_000_000

    @Option(help: "Keep the service, its database and the notice files in this new directory (default: a temporary one, removed).")
    var keep: String?

    func run() async throws {
        var logger = Logger(label: "jpki-ca.bench")
        logger.logLevel = .warning
        let directory = keep.map { URL(fileURLWithPath: $0) }
            ?? FileManager.default.temporaryDirectory.appendingPathComponent("jpki-ca-bench-\(UUID().uuidString)")
        guard !FileManager.default.fileExists(atPath: directory.path) else {
            throw CommandFailure("\(directory.path) exists: --keep takes a new directory")
        }
        defer { if keep == nil { try? FileManager.default.removeItem(at: directory) } }
        let configDirectory = directory.appendingPathComponent("config")
        let data = directory.appendingPathComponent("data")
        try writeConfiguration(to: configDirectory)
        let configuration = try Configuration.load(from: configDirectory)
        let runtime = try ServiceRuntime.open(configuration: configuration, dataDirectory: data, environment: [:], logger: logger)

        print("machine: \(ProcessInfo.processInfo.activeProcessorCount) cores, \(ProcessInfo.processInfo.operatingSystemVersionString)")
        let populateStart = ContinuousClock.now
        try await populate(runtime)
        let populateSeconds = (ContinuousClock.now - populateStart) / .seconds(1)
        print(String(format: "populated %d residents (%d certificates) in %.1f s", residents, 2 * residents, populateSeconds))

        let sizes = [notices / 100, notices / 10, notices, 2 * notices].filter { $0 > 0 }
        var offset = 0
        for size in sizes {
            let file = directory.appendingPathComponent("notices-\(size).jsonl")
            // Seconds after a day ago, this file's share of 80,000.
            let total = Double(sizes.reduce(0, +))
            try writeNotices(count: size, idOffset: offset,
                             during: 80_000 * Double(offset) / total ..< 80_000 * Double(offset + size) / total, to: file)
            offset += size
            let shares = HostCPUShares()
            let output = try runTool(CommandLine.arguments[0], [
                "notices", "ingest", file.path, "--operator", "bench-feed", "--json",
                "--config", configDirectory.path, "--data", data.path,
            ])
            struct Printed: Decodable {
                let summary: NoticeSummary
                let seconds: Double
                let noticesPerSecond: Double
                let peakResidentBytes: Int
            }
            guard let line = output.split(separator: "\n").last(where: { $0.hasPrefix("{") }),
                  let printed = try? JSONDecoder().decode(Printed.self, from: Data(line.utf8)) else {
                throw CommandFailure("could not read the ingest's summary:\n\(output)")
            }
            let s = printed.summary
            print(String(format: "%9d notices: %6.2f s = %8.0f notices/s, peak RSS %4d MiB (applied %d, revoked %d, no match %d, rejected %d)",
                         s.notices, printed.seconds, printed.noticesPerSecond, printed.peakResidentBytes >> 20,
                         s.applied, s.revoked, s.noMatch, s.rejected)
                  + (shares.steal.map { String(format: ", steal %.0f %%", $0) } ?? ""))
        }
        let verification = try runtime.database.verifyAuditLog()
        print("audit log after the run: \(verification)")
    }

    /// The configuration of `--config` in development mode, with a registry feed for the bench.
    func writeConfiguration(to target: URL) throws {
        let source = URL(fileURLWithPath: config)
        try FileManager.default.createDirectory(at: target.appendingPathComponent("prefectures"), withIntermediateDirectories: true)
        for file in try FileManager.default.contentsOfDirectory(atPath: source.appendingPathComponent("prefectures").path) {
            try FileManager.default.copyItem(at: source.appendingPathComponent("prefectures/\(file)"),
                                            to: target.appendingPathComponent("prefectures/\(file)"))
        }
        try (benchServiceYAML(dataDirectory: "data") + """
            operators:
              - {id: bench-desk, role: desk, municipality: "131016", credential: "\(OperatorCredential.digest(of: "bench-desk"))"}
              - {id: bench-feed, role: registry-feed, credential: "\(OperatorCredential.digest(of: "bench-feed"))"}
            """).write(to: target.appendingPathComponent("service.yaml"), atomically: true, encoding: .utf8)
    }

    /// Residents 0 ..< `residents` each hold both certificates, issued two days ago.
    func populate(_ runtime: ServiceRuntime) async throws {
        let desk = runtime.configuration.service.operators.first { $0.role == .desk }!
        let key = try _RSA.Signing.PrivateKey(keySize: .bits2048)
        let template = try await runtime.enrollment.enroll(EnrollmentApplication(
            municipalityCode: desk.municipality!.value, residentCode: "99999999999", certificates: ["signing"],
            fourItems: .init(name: "試験　太郎", nameSubstituteMap: "00000", dateOfBirth: "1980-04-01", sex: "1",
                             address: "東京都千代田区", addressSubstituteMap: "0000000"),
            csrs: ["signing": try IssueBenchmark.csrPEM(key)]), by: desk)[0]
        let municipalities = runtime.configuration.prefectures.flatMap { prefecture in
            prefecture.municipalities.map { (prefecture.code, $0.code) }
        }
        let issuedAt = Date().addingTimeInterval(-2 * 86_400)
        let notAfter = issuedAt.addingTimeInterval(5 * 365 * 86_400)
        let batch = 10_000
        for start in stride(from: 0, to: residents, by: batch) {
            var records: [CertificateRecord] = []
            for index in start..<min(start + batch, residents) {
                let hash = runtime.residentCodes.hash(ResidentCode(Self.residentCode(index))!)
                // A few large municipalities and many small ones: the first holds a third of all.
                let (prefecture, municipality) = index % 3 == 0 ? municipalities[0] : municipalities[index % municipalities.count]
                for kind in CertificateKind.allCases {
                    let serial = SerialNumberGenerator.next().hex
                    records.append(CertificateRecord(
                        ca: CertificateAuthorityID(prefecture: prefecture, kind: kind).description, serial: serial, kind: kind,
                        municipality: municipality, partition: kind == .signing ? municipality.value : "s\(index % 16)",
                        residentHash: hash, notBefore: issuedAt, notAfter: notAfter, issuedAt: issuedAt,
                        issuedBy: "bench-population", der: Data(template.der)))
                }
            }
            _ = try await runtime.database.recordIssuance(records, actor: "bench-population", at: issuedAt)
        }
    }

    static func residentCode(_ index: Int) -> String {
        let digits = String(index)
        return String(repeating: "0", count: 11 - digits.count) + digits
    }

    /// `count` notices: kinds in proportions a registry might send (moves most), one in five for
    /// a resident without certificates, effective during the last day in the order of the file,
    /// as a registry writes a day's changes. Each file covers its own stretch of that day, after
    /// the files before it, so notices never arrive out of order (which costs more: docs/BENCHMARKS.md).
    func writeNotices(count: Int, idOffset: Int, during stretch: Range<Double>, to file: URL) throws {
        let kinds: [(ChangeNoticeKind, Int)] = [
            (.moveOut, 30), (.moveIn, 15), (.moveWithinMunicipality, 15), (.nameChange, 8), (.addressCorrection, 3),
            (.sexCorrection, 1), (.dateOfBirthCorrection, 1), (.emigration, 5), (.death, 20), (.removal, 2),
        ]
        let wheel = kinds.flatMap { Array(repeating: $0.0, count: $0.1) }
        let output = try BufferedOutput(creating: file.path)
        var generator = SystemRandomNumberGenerator()
        let dayAgo = Date().addingTimeInterval(-86_400)
        for index in 0..<count {
            let resident = Int.random(in: 0..<(residents + residents / 4), using: &generator)
            let effective = AuditLog.timestamp(dayAgo.addingTimeInterval(stretch.lowerBound
                + (stretch.upperBound - stretch.lowerBound) * Double(index) / Double(count)))
            let municipality = resident % 3 == 0 ? "131016" : "131130"
            output.write("""
                {"noticeId":"bench-\(idOffset + index)","kind":"\(wheel[index % wheel.count].rawValue)",\
                "residentCode":"\(Self.residentCode(resident))","municipalityCode":"\(municipality)","effectiveAt":"\(effective)"}

                """.utf8)
        }
        try output.close()
    }
}
