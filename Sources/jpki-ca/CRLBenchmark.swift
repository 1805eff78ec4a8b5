import ArgumentParser
import Foundation
import JPKIAuthority
import JPKIConfiguration
import JPKIEnrollment
import JPKIProfile
import JPKIStore
import Logging

/// `jpki-ca bench crl`: regenerating every CRL of a prefecture with millions of revoked
/// certificates, against `openssl ca -gencrl` on an index of the same size.
struct CRLBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "crl",
        abstract: "Measure full regeneration of every CRL at 1 and 10 million entries, beside openssl ca -gencrl.",
        discussion: """
            For each size, a throw-away development prefecture of 62 municipalities, sized as a \
            real one is (a few large, many small: Zipf), is populated with that many revoked and \
            suspended certificates: 60 % signing certificates in their municipality's partitions \
            (large municipalities split into shards of about 250,000), 40 % user-authentication \
            certificates in 16 hash shards. Then `jpki-ca crl publish --full` runs in a child \
            process under /usr/bin/time, which reports its wall time and peak resident memory. \
            For sizes up to --peer-limit, `openssl ca -gencrl` runs on an index.txt of the same \
            serials, dates and reasons, under the same /usr/bin/time.
            """)

    @Option(parsing: .upToNextOption, help: "CRL entries per run.")
    var entries: [Int] = [1_000_000, 10_000_000]

    @Option(help: "Run openssl ca -gencrl for sizes up to this.")
    var peerLimit: Int = 1_000_000

    @Option(help: "Keep each run's directory under this new directory (default: temporary, removed).")
    var keep: String?

    func run() async throws {
        print("machine: \(ProcessInfo.processInfo.activeProcessorCount) cores, \(ProcessInfo.processInfo.operatingSystemVersionString)")
        print("peer: \(try runTool("openssl", ["version"]).trimmingCharacters(in: .whitespacesAndNewlines))")
        let base = keep.map { URL(fileURLWithPath: $0) }
            ?? FileManager.default.temporaryDirectory.appendingPathComponent("jpki-ca-bench-crl-\(UUID().uuidString)")
        guard !FileManager.default.fileExists(atPath: base.path) else {
            throw CommandFailure("\(base.path) exists: --keep takes a new directory")
        }
        defer { if keep == nil { try? FileManager.default.removeItem(at: base) } }
        for size in entries {
            try await measure(size: size, in: base.appendingPathComponent("\(size)"))
        }
    }

    func measure(size: Int, in directory: URL) async throws {
        let config = directory.appendingPathComponent("config")
        let data = directory.appendingPathComponent("data")
        let crl = directory.appendingPathComponent("crl")
        let prefecture = BenchPrefecture(entries: size)
        try prefecture.writeConfiguration(to: config, data: data, crl: crl)
        let peer = size <= peerLimit ? directory.appendingPathComponent("openssl") : nil

        let populateStart = ContinuousClock.now
        try await populate(prefecture, size: size, config: config, data: data, opensslIndex: peer)
        print(String(format: "%d entries: populated in %.1f s", size, (ContinuousClock.now - populateStart) / .seconds(1)))

        let ours = try timed(CommandLine.arguments[0], [
            "crl", "publish", "--full", "--json", "--config", config.path, "--data", data.path, "--crl-directory", crl.path,
        ])
        struct Printed: Decodable {
            let full, delta, arl, entries, bytes: Int
            let seconds: Double
        }
        guard let line = ours.output.split(separator: "\n").last(where: { $0.hasPrefix("{") }),
              let report = try? JSONDecoder().decode(Printed.self, from: Data(line.utf8)) else {
            throw CommandFailure("could not read crl publish's report:\n\(ours.output)")
        }
        guard report.entries == size else {
            throw CommandFailure("the CRLs hold \(report.entries) entries, not \(size)")
        }
        print(String(format: "  jpki-ca crl publish --full: %.2f s wall (%.2f s generating), peak RSS %d MiB, "
                     + "%d full CRLs + %d deltas + %d ARLs, %d entries, %.1f MiB",
                     ours.seconds, report.seconds, ours.peakKiB >> 10, report.full, report.delta, report.arl,
                     report.entries, Double(report.bytes) / 1_048_576))
        try checkLargest(in: crl, config: config, data: data)

        guard let peer else { return }
        let openssl = try timed("openssl", ["ca", "-gencrl", "-config", peer.appendingPathComponent("openssl.cnf").path,
                                            "-out", peer.appendingPathComponent("crl.pem").path])
        print(String(format: "  openssl ca -gencrl (one CRL, PEM): %.2f s wall, peak RSS %d MiB; jpki-ca is %.1f× faster",
                     openssl.seconds, openssl.peakKiB >> 10, openssl.seconds / ours.seconds))
    }

    /// The largest CRL written verifies against its CA with `openssl crl -verify`.
    func checkLargest(in crl: URL, config: URL, data: URL) throws {
        let files = FileManager.default.enumerator(at: crl, includingPropertiesForKeys: [.fileSizeKey])?
            .compactMap { $0 as? URL }.filter { $0.pathExtension == "crl" } ?? []
        guard let largest = files.max(by: {
            ((try? $0.resourceValues(forKeys: [.fileSizeKey]).fileSize) ?? 0) < ((try? $1.resourceValues(forKeys: [.fileSizeKey]).fileSize) ?? 0)
        }) else { throw CommandFailure("no CRL was written") }
        let kind = largest.deletingLastPathComponent().lastPathComponent
        let ca = data.appendingPathComponent("keys/13-\(kind).cert.pem")
        let output = try runTool("openssl", ["crl", "-inform", "DER", "-in", largest.path, "-noout", "-verify", "-CAfile", ca.path])
        print("  largest CRL \(largest.lastPathComponent) (\(kind)): openssl crl -verify: \(output.trimmingCharacters(in: .whitespacesAndNewlines))")
    }

    /// Inserts the revoked certificates, 100,000 per transaction, and writes the same entries
    /// as an OpenSSL CA index when `opensslIndex` is given.
    func populate(_ prefecture: BenchPrefecture, size: Int, config: URL, data: URL, opensslIndex: URL?) async throws {
        var logger = Logger(label: "jpki-ca.bench")
        logger.logLevel = .warning
        let configuration = try Configuration.load(from: config)
        let runtime = try ServiceRuntime.open(configuration: configuration, dataDirectory: data, environment: [:], logger: logger)
        var index: FileHandle?
        if let opensslIndex {
            try prefecture.writeOpenSSLCA(to: opensslIndex)
            _ = FileManager.default.createFile(atPath: opensslIndex.appendingPathComponent("index.txt").path, contents: nil)
            index = try FileHandle(forWritingTo: opensslIndex.appendingPathComponent("index.txt"))
        }
        defer { try? index?.close() }
        var random = SplitMix64(seed: UInt64(size))
        let now = Int64(Date().timeIntervalSince1970)
        let batch = 100_000
        for start in stride(from: 0, to: size, by: batch) {
            var rows: [SyntheticCertificate] = []
            rows.reserveCapacity(batch)
            var lines = ""
            for n in start..<min(start + batch, size) {
                let row = prefecture.revocation(n, now: now, random: &random)
                rows.append(row)
                if index != nil { lines += BenchPrefecture.indexLine(row) }
            }
            try await runtime.database.insertSyntheticCertificates(rows)
            if let index { try index.write(contentsOf: Data(lines.utf8)) }
        }
    }
}

/// A prefecture as the CRL benchmark imagines it: 62 municipalities (Tokyo has 62) whose sizes
/// fall off as 1/rank, the largest split into CRL shards of about 250,000 entries.
struct BenchPrefecture {
    static let municipalityCount = 62
    static let shardTarget = 250_000
    static let userAuthenticationShards = 16
    static let signing = CertificateAuthorityID(prefecture: PrefectureCode("13")!, kind: .signing)
    static let userAuthentication = CertificateAuthorityID(prefecture: PrefectureCode("13")!, kind: .userAuthentication)

    let entries: Int
    let codes: [MunicipalityCode]
    /// Cumulative share of signing certificates by municipality, for sampling.
    let cumulative: [Double]
    let shards: [Int]

    init(entries: Int) {
        self.entries = entries
        codes = (0..<Self.municipalityCount).map { index in
            let five = 13_101 + index
            let digits = String(five).map { Int(String($0))! }
            return try! MunicipalityCode(validating: "\(five)\(MunicipalityCode.checkDigit(digits[...]))")
        }
        let weights = (1...Self.municipalityCount).map { 1 / Double($0) }
        let total = weights.reduce(0, +)
        var running = 0.0
        cumulative = weights.map { running += $0 / total; return running }
        let signing = Double(entries) * 0.6
        shards = weights.map { max(1, Int((signing * $0 / total / Double(Self.shardTarget)).rounded(.up))) }
    }

    func writeConfiguration(to config: URL, data: URL, crl: URL) throws {
        try FileManager.default.createDirectory(at: config.appendingPathComponent("prefectures"), withIntermediateDirectories: true)
        try (benchServiceYAML(dataDirectory: data.path, userAuthenticationShards: Self.userAuthenticationShards) + """
            crl: {directory: "\(crl.path)"}
            operators: []
            """).write(to: config.appendingPathComponent("service.yaml"), atomically: true, encoding: .utf8)
        var yaml = """
            code: "13"
            name: "Bench-to"
            signingCA: {operatorName: "CRL benchmark"}
            userAuthenticationCA: {operatorName: "CRL benchmark"}
            municipalities:

            """
        for (code, shardCount) in zip(codes, shards) {
            yaml += "  - {code: \"\(code)\", name: \"Municipality \(code)\", crlShards: \(shardCount)}\n"
        }
        try yaml.write(to: config.appendingPathComponent("prefectures/13-bench.yaml"), atomically: true, encoding: .utf8)
    }

    /// Entry `n`: three in five signing certificates, placed by municipality size; reasons and
    /// dates (the last three years) as a registry's changes and holders' calls would give them.
    /// Serials are 16 octets like real ones, ascending with `n` in their first half so that ten
    /// million rows insert in index order: the CRL reads them by partition either way.
    func revocation(_ n: Int, now: Int64, random: inout SplitMix64) -> SyntheticCertificate {
        var serial: [UInt8] = [0x40]
        withUnsafeBytes(of: UInt64(n).bigEndian) { serial += $0.suffix(7) }
        withUnsafeBytes(of: random.next()) { serial += $0 }
        let residentHash = Data(serial + serial)  // ascending as well; never read by a CRL
        let revokedAt = now - Int64(random.next() % (3 * 365 * 86_400))
        let notAfter = now + 86_400 + Int64(random.next() % (4 * 365 * 86_400))
        let pick = Double(random.next() % 1_000_000) / 1_000_000
        let reasonRoll = random.next() % 100
        if n % 5 < 3 {
            let municipality = cumulative.firstIndex { pick < $0 } ?? codes.count - 1
            let shardCount = shards[municipality]
            let shard = shardCount > 1 ? Int(random.next() % UInt64(shardCount)) : nil
            let partition = CRLPartition(ca: Self.signing, scope: .municipality(codes[municipality], shard: shard)).id
            let reason: RevocationReason = switch reasonRoll {
            case ..<70: .affiliationChanged
            case ..<80: .superseded
            case ..<90: .cessationOfOperation
            case ..<95: .keyCompromise
            default: .certificateHold
            }
            return SyntheticCertificate(ca: Self.signing.description, serial: serial.lowercaseHex, municipality: codes[municipality].value,
                                       kind: .signing, partition: partition, residentHash: residentHash, revokedAt: revokedAt,
                                       reason: reason, notAfter: notAfter)
        }
        let reason: RevocationReason = switch reasonRoll {
        case ..<45: .superseded
        case ..<85: .cessationOfOperation
        case ..<93: .keyCompromise
        default: .certificateHold
        }
        return SyntheticCertificate(ca: Self.userAuthentication.description, serial: serial.lowercaseHex, municipality: codes[0].value,
                                   kind: .userAuthentication,
                                   partition: CRLPartition(ca: Self.userAuthentication, scope: .hashShard(n % Self.userAuthenticationShards)).id,
                                   residentHash: residentHash, revokedAt: revokedAt, reason: reason, notAfter: notAfter)
    }

    /// The certificate as a line of OpenSSL's CA database (`openssl ca` index.txt): a hold
    /// names its instruction.
    static func indexLine(_ row: SyntheticCertificate) -> String {
        OpenSSLCAIndex.line(serial: [UInt8](hexadecimal: row.serial) ?? [], notAfter: row.notAfter, revoked: row.revokedAt.map { at in
            (at, row.reason == .certificateHold ? "holdInstruction,holdInstructionCallIssuer" : row.reason?.name ?? "unspecified")
        })
    }

    /// YYMMDDHHMMSSZ.
    static func utcTime(_ seconds: Int64) -> String {
        let date = CalendarDate(daysSinceEpoch: seconds / 86_400)
        let second = Int(seconds % 86_400)
        func two(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }
        return two(date.year % 100) + two(date.month) + two(date.day) + two(second / 3600) + two(second / 60 % 60) + two(second % 60) + "Z"
    }

    /// A minimal OpenSSL CA for `openssl ca -gencrl`: a fresh RSA-2048 key and self-signed certificate.
    func writeOpenSSLCA(to directory: URL) throws {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        _ = try runTool("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", directory.appendingPathComponent("ca.key").path,
                                    "-out", directory.appendingPathComponent("ca.pem").path, "-days", "3650", "-subj", "/CN=Bench CA"])
        try "01\n".write(to: directory.appendingPathComponent("crlnumber"), atomically: true, encoding: .utf8)
        try """
            [ ca ]
            default_ca = CA_default
            [ CA_default ]
            database = \(directory.appendingPathComponent("index.txt").path)
            crlnumber = \(directory.appendingPathComponent("crlnumber").path)
            private_key = \(directory.appendingPathComponent("ca.key").path)
            certificate = \(directory.appendingPathComponent("ca.pem").path)
            default_md = sha256
            default_crl_days = 1
            crl_extensions = crl_ext
            [ crl_ext ]
            authorityKeyIdentifier = keyid:always

            """.write(to: directory.appendingPathComponent("openssl.cnf"), atomically: true, encoding: .utf8)
    }
}

/// A small seeded generator (SplitMix64), so that a benchmark's data is the same run after run.
struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) {
        state = seed
    }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
