import Foundation
import JPKIAuthority
import JPKIStore
import Logging
import Synchronization

/// Keeps every unexpired certificate's pre-signed OCSP response fresh, in the store and the
/// cache, and re-signs at once what changed.
///
/// Each pass, in this order:
/// 1. makes a new delegated responder for a CA whose current one has half its life left;
/// 2. re-signs every certificate whose status changed since the last pass: revocations, holds,
///    resumptions and supersessions all advance the CRL listing clock, so they are found by
///    index ranges, not by scanning (``CertificateDatabase/ocspWork(since:pendingLimit:)``);
/// 3. signs the first response of every certificate issued since (queued with the issuance);
/// 4. re-signs the responses that are due (half their window gone), a batch per pass, and
///    drops those of certificates that have expired.
/// `serve` runs a pass every second, so a revocation shows in OCSP within about a second.
/// The clock the responses reflect is saved with them, so after a crash the next pass picks
/// up every change since. One signer per database, across processes: a flock on
/// `<data>/.ocsp-signer.lock`, held for the signer's life.
public final class OCSPRefresher: Sendable {
    let database: CertificateDatabase
    let responders: OCSPResponders
    let signer: OCSPSigner
    let cache: OCSPResponseCache
    let cacheKeys: [CertificateAuthorityID: Int]
    let logger: Logger
    private let lock: PublisherLock
    private let tick = Mutex<Int64?>(nil)
    private let state = Mutex(Status())

    /// When passes last ran and succeeded, and why the last one failed, for the health endpoint:
    /// while passes fail, changes are not re-signed and OCSP answers go stale.
    public struct Status: Sendable, Equatable {
        public var lastRun: Date?
        public var lastSuccess: Date?
        public var failure: String?
    }

    public var status: Status { state.withLock { $0 } }

    /// Work is read and signed this many certificates at a time.
    static let batch = 20_000

    /// What a pass did.
    public struct Report: Sendable, Equatable {
        public var changed = 0
        public var first = 0
        public var refreshed = 0
        public var expired = 0
        public var signed: Int { changed + first + refreshed }

        public init() {}
    }

    init(database: CertificateDatabase, dataDirectory: URL, responders: OCSPResponders, signer: OCSPSigner,
         cache: OCSPResponseCache, cacheKeys: [CertificateAuthorityID: Int], logger: Logger) throws {
        guard let lock = try PublisherLock(root: dataDirectory, name: ".ocsp-signer.lock") else {
            throw PublicationError.anotherOCSPSigner(dataDirectory.path)
        }
        self.lock = lock
        self.database = database
        self.responders = responders
        self.signer = signer
        self.cache = cache
        self.cacheKeys = cacheKeys
        self.logger = logger
    }

    /// One pass (see the type's description).
    @discardableResult
    public func pass(at date: Date = Date(), drain: Bool = false) async throws -> Report {
        state.withLock { $0.lastRun = date }
        do {
            let report = try await signDue(at: date, drain: drain)
            state.withLock { $0.lastSuccess = date; $0.failure = nil }
            return report
        } catch {
            state.withLock { $0.failure = "\(error)" }
            throw error
        }
    }

    private func signDue(at date: Date, drain: Bool) async throws -> Report {
        try await responders.refresh(at: date)
        let now = Int64(date.timeIntervalSince1970)
        var report = Report()
        var since = try tick.withLock { $0 } ?? database.ocspTick()
        while true {
            let work = try await database.ocspWork(since: since, pendingLimit: Self.batch)
            let signed = try signer.presign(work.changed, at: now) + signer.presign(work.pending, at: now, spread: true)
            if !signed.isEmpty || work.tick > since || work.pendingThrough != nil {
                try await database.saveOCSPResponses(signed.map(\.stored), tick: work.tick, pendingThrough: work.pendingThrough)
            }
            publish(signed)
            since = work.tick
            tick.withLock { $0 = since }
            report.changed += work.changed.count
            report.first += work.pending.count
            if work.pending.count < Self.batch { break }
        }
        // One batch of what is due per pass at most, so that status changes are looked for
        // again within a second even while a backlog of re-signing is worked off. With `drain`
        // (`jpki-ca ocsp sign`), everything due.
        repeat {
            let due = try await database.dueOCSPResponses(at: now, limit: Self.batch)
            guard !due.isEmpty else { break }
            let expired = due.filter { $0.notAfter <= now }
            let signed = try signer.presign(due.filter { $0.notAfter > now }, at: now)
            try await database.saveOCSPResponses(signed.map(\.stored), expired: expired)
            publish(signed)
            report.refreshed += signed.count
            report.expired += expired.count
            if due.count < Self.batch { break }
        } while drain
        return report
    }

    private func publish(_ signed: [(stored: StoredOCSPResponse, cached: PresignedResponse)]) {
        guard !signed.isEmpty else { return }
        cache.published()
        for (stored, cached) in signed {
            guard let ca = CertificateAuthorityID(stored.standing.ca), let index = cacheKeys[ca],
                  let serial = [UInt8](hexadecimal: stored.standing.serial),
                  let key = OCSPResponseCache.Key(ca: index, serial: serial) else { continue }
            cache.store(cached, for: key)
        }
    }

    /// Runs a pass every `interval` until cancelled; a failed pass is logged and retried.
    public func run(every interval: Duration = .seconds(1)) async {
        while !Task.isCancelled {
            do {
                let report = try await pass()
                if report.signed + report.expired > 0 {
                    logger.info("OCSP responses signed", metadata: [
                        "changed": "\(report.changed)", "first": "\(report.first)", "refreshed": "\(report.refreshed)",
                        "expired": "\(report.expired)",
                    ])
                }
            } catch {
                logger.error("OCSP signing pass failed", metadata: ["error": "\(error)"])
            }
            try? await Task.sleep(for: interval)
        }
    }
}
