import Foundation
import JPKIAuthority
import JPKIConfiguration
import JPKIEnrollment
import JPKIProfile
import JPKIStore
import Logging
import Synchronization

/// Keeps every CA's CRLs published: each partition's full CRL and delta, and each CA's ARL.
///
/// What is due at a moment: a full CRL for a partition that has none or whose nextUpdate is
/// within `renewBefore` (every partition is renewed well before its CRL goes stale), followed by
/// a delta against it; otherwise a delta for a partition whose entries changed since its last
/// delta, or whose delta is in the last quarter of its life. So only the partitions whose
/// contents changed are re-signed every few minutes. `serve` runs ``run(every:)``;
/// `jpki-ca crl publish` runs one pass. A failure is logged and kept for the health endpoint;
/// the last good file stays in place and is served.
public final class CRLPublisher: Sendable {
    public let generator: CRLGenerator
    let root: URL
    let configuration: Configuration
    let authorities: AuthorityRegistry
    public let settings: CRLSettings
    let logger: Logger
    private let state = Mutex(CRLStatus())

    public init(runtime: ServiceRuntime, root: URL, logger: Logger) {
        self.root = root
        configuration = runtime.configuration
        authorities = runtime.authorities
        settings = runtime.configuration.service.crlSettings
        self.logger = logger
        generator = CRLGenerator(database: runtime.database, layout: CRLFileLayout(root: root),
                                 publication: runtime.authorities.publication, validity: settings.validity,
                                 deltaValidity: settings.deltaValidity, retainExpired: settings.retainExpired)
        if let lock = try? PublisherLock(root: root) {
            // Only with the lock: another process's temporaries are files it is writing.
            AtomicFile.sweepTemporaries(in: root)
            withExtendedLifetime(lock) {}
        }
    }

    /// What was published in one pass.
    public struct Report: Sendable, Equatable {
        public var full = 0
        public var delta = 0
        public var arl = 0
        public var entries = 0
        public var bytes = 0
        /// `ca/partition: reason` for each CRL that failed.
        public var failures: [String] = []
        /// What was published, in the order it finished.
        public var published: [CRLPublication] = []
    }

    /// One pass: publishes what is due, or with `everything` every full CRL, delta and ARL; of
    /// the CAs in `only` if given (a full regeneration of one CA). Up to `concurrency` CRLs are
    /// generated at once, each on its own reader connection.
    public func publish(everything: Bool = false, only: Set<CertificateAuthorityID>? = nil, at now: Date = Date(),
                        concurrency: Int = ProcessInfo.processInfo.activeProcessorCount) async -> Report {
        var report = Report()
        let lock: PublisherLock?
        do {
            lock = try PublisherLock(root: root)
        } catch {
            report.failures.append(fail("lock", error))
            return report
        }
        guard let lock else {
            report.failures.append(fail("lock", PublicationError.anotherPublisher(root.path)))
            return report
        }
        defer { withExtendedLifetime(lock) {} }
        clearFailure("lock")
        let targets: [Target]
        do {
            targets = try self.targets().filter { target in only.map { set in target.ca.map(set.contains) ?? false } ?? true }
            clearFailure("catalogue")
        } catch {
            report.failures.append(fail("catalogue", error))
            finish(report, at: now)
            return report
        }
        await withTaskGroup(of: Report.self) { group in
            var pending = targets.makeIterator()
            func startNext() -> Bool {
                guard let target = pending.next() else { return false }
                group.addTask { await self.publish(target, everything: everything, at: now) }
                return true
            }
            for _ in 0..<max(concurrency, 1) where !startNext() { break }
            while let partial = await group.next() {
                report.merge(partial)
                _ = startNext()
            }
        }
        finish(report, at: now)
        return report
    }

    /// Publishes what is due every `interval`, until the task is cancelled.
    public func run(every interval: Duration) async {
        while !Task.isCancelled {
            let report = await publish()
            if report.full + report.delta + report.arl > 0 || !report.failures.isEmpty {
                logger.info("CRLs published", metadata: [
                    "full": "\(report.full)", "delta": "\(report.delta)", "arl": "\(report.arl)",
                    "entries": "\(report.entries)", "bytes": "\(report.bytes)", "failures": "\(report.failures.count)",
                ])
            }
            try? await Task.sleep(for: interval)
        }
    }

    /// The state of publication, for the health endpoint.
    public var status: CRLStatus { state.withLock { $0 } }

    /// A partition or an ARL, with what its CRL needs; or a partition that cannot be published,
    /// which fails on its own.
    enum Target: Sendable {
        case partition(CRLPartition, DistributionPoint, CertificateAuthority)
        case arl(CertificateAuthority, DistributionPoint)
        case unpublishable(String, PublicationError, CertificateAuthorityID?)

        var ca: CertificateAuthorityID? {
            switch self {
            case .partition(let partition, _, _): partition.ca
            case .arl(let authority, _): authority.id
            case .unpublishable(_, _, let ca): ca
            }
        }
    }

    /// Every configured partition, every partition a stored certificate names, and every ARL.
    func targets() throws -> [Target] {
        var partitions = Set<CRLPartition>()
        for prefecture in configuration.prefectures {
            let signing = CertificateAuthorityID(prefecture: prefecture.code, kind: .signing)
            for municipality in prefecture.municipalities {
                let shards: [Int?] = municipality.shardCount > 1 ? Array(0..<municipality.shardCount) : [nil]
                for shard in shards {
                    partitions.insert(CRLPartition(ca: signing, scope: .municipality(municipality.code, shard: shard)))
                }
            }
            let userAuthentication = CertificateAuthorityID(prefecture: prefecture.code, kind: .userAuthentication)
            for shard in 0..<configuration.service.userAuthenticationCRLShards {
                partitions.insert(CRLPartition(ca: userAuthentication, scope: .hashShard(shard)))
            }
        }
        var targets: [Target] = []
        for stored in try generator.database.crlPartitions() {
            guard let ca = CertificateAuthorityID(stored.ca), let partition = CRLPartition(ca: ca, id: stored.partition) else {
                targets.append(.unpublishable("\(stored.ca)/\(stored.partition)", .unknownAuthority(stored.ca),
                                              CertificateAuthorityID(stored.ca)))
                continue
            }
            partitions.insert(partition)
        }
        for authority in authorities.all {
            if let point = try authority.certificate.extensions.first(where: { $0.oid == CRLDistributionPoints.oid })
                .map({ try CRLDistributionPoints($0) })?.points.first {
                targets.append(.arl(authority, point))
            }
        }
        for partition in partitions.sorted(by: { $0.description < $1.description }) {
            guard let authority = authorities.authority(for: partition.ca),
                  let prefecture = configuration.prefecture(partition.ca.prefecture) else {
                targets.append(.unpublishable("\(partition)", .unknownAuthority(partition.ca.description), partition.ca))
                continue
            }
            var municipalityName: String?
            if let code = partition.municipality {
                guard let municipality = prefecture.municipality(code) else {
                    targets.append(.unpublishable("\(partition)", .unknownMunicipality(partition: partition.description),
                                                  partition.ca))
                    continue
                }
                municipalityName = municipality.name
            }
            let point = try partition.distributionPoint(prefectureName: prefecture.name, municipalityName: municipalityName,
                                                        publication: generator.publication)
            targets.append(.partition(partition, point, authority))
        }
        return targets
    }

    private func publish(_ target: Target, everything: Bool, at now: Date) async -> Report {
        var report = Report()
        let nowSeconds = Int64(now.timeIntervalSince1970)
        let database = generator.database
        switch target {
        case .unpublishable(let name, let error, _):
            report.failures.append(fail(name, error))
        case .arl(let authority, let point):
            let name = "\(authority.id)/arl"
            do {
                let latest = try database.latestPublication(ca: authority.id.description, partition: "arl", scope: .full)
                    .flatMap { inPlace($0, at: generator.layout.arl(authority.id)) }
                if everything || latest.map({ $0.nextUpdate - nowSeconds <= Int64(settings.renewBefore) }) ?? true {
                    report.add(try await generator.publish(.arl(authority.id, point), by: authority, at: now))
                }
                clearFailure(name)
            } catch {
                report.failures.append(fail(name, error))
            }
        case .partition(let partition, let point, let authority):
            let ca = partition.ca.description
            do {
                var full = try database.latestPublication(ca: ca, partition: partition.id, scope: .full)
                    .flatMap { inPlace($0, at: generator.layout.full(partition)) }
                var deltaDue = everything
                if everything || full.map({ $0.nextUpdate - nowSeconds <= Int64(settings.renewBefore) }) ?? true {
                    let published = try await generator.publish(.full(partition, point), by: authority, at: now)
                    report.add(published)
                    full = published
                    deltaDue = true
                }
                guard let base = full else { return report }
                if !deltaDue {
                    let delta = try database.latestPublication(ca: ca, partition: partition.id, scope: .delta)
                        .flatMap { inPlace($0, at: generator.layout.delta(partition)) }
                    if let delta, delta.baseNumber == base.number {
                        let changed = try database.lastListingChange(ca: ca, partition: partition.id) > delta.tick
                        let ageing = delta.nextUpdate - nowSeconds <= Int64(settings.deltaValidity / 4)
                        deltaDue = changed || ageing
                    } else {
                        deltaDue = true
                    }
                }
                if deltaDue {
                    report.add(try await generator.publish(.delta(partition, point, base: base), by: authority, at: now))
                }
                clearFailure("\(partition)")
            } catch {
                report.failures.append(fail("\(partition)", error))
            }
        }
        return report
    }

    /// The record, if the file it describes is the one in place (same size): a CRL directory
    /// that was emptied, moved or restored from elsewhere makes its CRLs due again rather than
    /// served as missing or stale until their renewal.
    private func inPlace(_ publication: CRLPublication, at url: URL) -> CRLPublication? {
        var status = stat()
        guard stat(url.path, &status) == 0, Int(status.st_size) == publication.size else { return nil }
        return publication
    }

    private func fail(_ name: String, _ error: any Error) -> String {
        logger.error("CRL publication failed; the last good CRL is still served", metadata: [
            "crl": "\(name)", "error": "\(error)",
        ])
        state.withLock { $0.failing[name] = "\(error)" }
        return "\(name): \(error)"
    }

    private func clearFailure(_ name: String) {
        state.withLock { _ = $0.failing.removeValue(forKey: name) }
    }

    /// Notes the pass in the status, and what it signed in the audit log: one `crl.published`
    /// entry per pass, a line per CRL with its number and the SHA-256 of its file.
    private func finish(_ report: Report, at now: Date) {
        state.withLock { status in
            status.lastRun = now
            if report.failures.isEmpty { status.lastSuccess = now }
        }
        guard !report.published.isEmpty else { return }
        let lines = report.published.map {
            "\($0.ca)/\($0.partition) #\($0.number) \($0.scope.rawValue) entries \($0.entries) sha256 \($0.sha256.lowercaseHex)"
        }
        do {
            try generator.database.audit(AuditEvent(actor: "crl-publisher", action: "crl.published", details: [
                "count": "\(lines.count)", "crls": lines.joined(separator: "\n"),
            ]), at: now)
        } catch {
            logger.error("could not record the CRLs published in the audit log", metadata: ["error": "\(error)"])
        }
    }
}

/// How CRL publication stands: the health endpoint reports it.
public struct CRLStatus: Sendable, Equatable {
    /// When the last pass ran (the time it published as, at its start).
    public var lastRun: Date?
    /// When the last pass without a failure ran.
    public var lastSuccess: Date?
    /// CRLs whose last attempt failed, with the reason; their previous files are still served.
    public var failing: [String: String] = [:]

    public init() {}
}

extension CRLPublisher.Report {
    mutating func add(_ publication: CRLPublication) {
        switch (publication.partition, publication.scope) {
        case ("arl", _): arl += 1
        case (_, .full): full += 1
        case (_, .delta): delta += 1
        }
        entries += publication.entries
        bytes += publication.size
        published.append(publication)
    }

    mutating func merge(_ other: Self) {
        full += other.full
        delta += other.delta
        arl += other.arl
        entries += other.entries
        bytes += other.bytes
        failures += other.failures
        published += other.published
    }
}
