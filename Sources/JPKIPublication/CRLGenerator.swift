import Crypto
import Foundation
import JPKIAuthority
import JPKIProfile
import JPKIStore
import SwiftASN1
import X509

/// One CRL to publish: a partition's full or delta CRL, or a CA's ARL.
public enum CRLRequest: Sendable {
    /// Every suspended and revoked certificate of the partition that has not expired (beyond
    /// the retention), RFC 5280 §5.
    case full(CRLPartition, DistributionPoint)
    /// The changes since `base` (§5.2.4): entries listed or changed since, and removeFromCRL for
    /// holds lifted since.
    case delta(CRLPartition, DistributionPoint, base: CRLPublication)
    /// The CA's authority revocation list: CA certificates only (onlyContainsCACerts). No CA
    /// certificate below a JPKI root exists to revoke, so it lists none.
    case arl(CertificateAuthorityID, DistributionPoint)

    var ca: CertificateAuthorityID {
        switch self {
        case .full(let partition, _), .delta(let partition, _, _): partition.ca
        case .arl(let ca, _): ca
        }
    }

    /// The key of the CRL number sequence: the partition id, or `arl`.
    var sequence: String {
        switch self {
        case .full(let partition, _), .delta(let partition, _, _): partition.id
        case .arl: "arl"
        }
    }

    var scope: CRLPublication.Scope {
        if case .delta = self { .delta } else { .full }
    }
}

/// Generates, signs and publishes one CRL.
///
/// The CRL number is reserved first, in its own transaction, so that it is never given twice,
/// whatever fails later (§5.2.3). The entries are then read in one snapshot, streamed in chunks
/// from the covering index, encoded and spooled; the TBSCertList is hashed as it is read back,
/// the digest signed, and the file written beside the old one and renamed over it. Only then is
/// the publication recorded. A failure at any point leaves the previous file in place.
public struct CRLGenerator: Sendable {
    public let database: CertificateDatabase
    public let layout: CRLFileLayout
    public let publication: PublicationPoints
    public let validity: TimeInterval
    public let deltaValidity: TimeInterval
    public let retainExpired: TimeInterval

    public init(database: CertificateDatabase, layout: CRLFileLayout, publication: PublicationPoints,
                validity: TimeInterval, deltaValidity: TimeInterval, retainExpired: TimeInterval) {
        self.database = database
        self.layout = layout
        self.publication = publication
        self.validity = validity
        self.deltaValidity = deltaValidity
        self.retainExpired = retainExpired
    }

    public func destination(of request: CRLRequest) -> URL {
        switch request {
        case .full(let partition, _): layout.full(partition)
        case .delta(let partition, _, _): layout.delta(partition)
        case .arl(let ca, _): layout.arl(ca)
        }
    }

    public func publish(_ request: CRLRequest, by authority: CertificateAuthority, at now: Date) async throws -> CRLPublication {
        let ca = request.ca.description
        let number = try await database.reserveCRLNumber(ca: ca, partition: request.sequence)
        let thisUpdate = Int64(now.timeIntervalSince1970.rounded(.down))
        let nextUpdate = thisUpdate + Int64(request.scope == .delta ? deltaValidity : validity)
        let expiredBefore = thisUpdate - Int64(retainExpired)
        let extensions = try crlExtensions(request, number: number, authority: authority)
        let destination = destination(of: request)
        let written = try await database.withRevocationListSnapshot { snapshot in
            let tick = try snapshot.tick()
            let spool = try EntrySpool(directory: destination.deletingLastPathComponent())
            switch request {
            case .full(let partition, _):
                try snapshot.forEachListed(ca: ca, partition: partition.id, expiredBefore: expiredBefore) {
                    try spool.append(try Self.encode($0), entries: $0.count)
                }
            case .delta(let partition, _, let base):
                try snapshot.forEachListed(ca: ca, partition: partition.id, changedAfter: base.tick, expiredBefore: expiredBefore) {
                    try spool.append(try Self.encode($0), entries: $0.count)
                }
                // Holds are lifted one by one at a holder's request: few, read at once.
                let released = try snapshot.releasedSince(ca: ca, partition: partition.id, tick: base.tick)
                try spool.append(try Self.encode(released), entries: released.count)
            case .arl:
                break
            }
            return try Self.write(spool: spool, issuer: authority, thisUpdate: thisUpdate, nextUpdate: nextUpdate,
                                  extensions: extensions, to: destination, tick: tick)
        }
        let record = CRLPublication(
            ca: ca, partition: request.sequence, number: number, scope: request.scope,
            baseNumber: { if case .delta(_, _, let base) = request { base.number } else { nil } }(),
            tick: written.tick, thisUpdate: thisUpdate, nextUpdate: nextUpdate, entries: written.entries,
            size: written.size, sha256: written.sha256)
        try await database.recordPublication(record)
        return record
    }

    /// authorityKeyIdentifier (§5.2.1), cRLNumber (§5.2.3), the critical issuingDistributionPoint
    /// (§5.2.5); freshestCRL in a partition's full CRL (§5.2.6); the critical deltaCRLIndicator in
    /// a delta (§5.2.4), whose issuingDistributionPoint is its base's: the same scope.
    func crlExtensions(_ request: CRLRequest, number: Int64, authority: CertificateAuthority) throws -> [Certificate.Extension] {
        var extensions = [
            try AuthorityKeyIdentifier(keyIdentifier: authority.keyIdentifier).makeCertificateExtension(),
            try CRLNumber(number).makeCertificateExtension(),
        ]
        switch request {
        case .full(let partition, let point):
            extensions.append(try IssuingDistributionPoint(point, coverage: .userCertificates).makeCertificateExtension())
            extensions.append(try FreshestCRL([partition.deltaDistributionPoint(publication: publication)]).makeCertificateExtension())
        case .delta(_, let point, let base):
            extensions.append(try IssuingDistributionPoint(point, coverage: .userCertificates).makeCertificateExtension())
            extensions.append(try DeltaCRLIndicator(baseCRLNumber: base.number).makeCertificateExtension())
        case .arl(_, let point):
            extensions.append(try IssuingDistributionPoint(point, coverage: .caCertificates).makeCertificateExtension())
        }
        return extensions
    }

    /// The DER of a chunk of entries.
    static func encode(_ listed: [ListedCertificate]) throws -> [UInt8] {
        var coder = DER.Serializer()
        for entry in listed {
            // The hold's time says since when the card was out of the holder's hands; a notice
            // that back-dated the revocation before the hold makes it say nothing more.
            let invalidity = entry.invalidityDate.flatMap { $0 < entry.revokedAt ? $0 : nil }
            try coder.serialize(RevokedCertificate(serial: entry.serial[...], revocationDate: entry.revokedAt,
                                                   reason: entry.reason, invalidityDate: invalidity))
        }
        return coder.serializedBytes
    }

    /// removeFromCRL entries (§5.3.1) for holds lifted, dated when the hold was lifted.
    static func encode(_ released: [ReleasedCertificate]) throws -> [UInt8] {
        var coder = DER.Serializer()
        for entry in released {
            try coder.serialize(RevokedCertificate(serial: entry.serial[...], revocationDate: entry.releasedAt,
                                                   reason: .removeFromCRL))
        }
        return coder.serializedBytes
    }

    struct Written: Sendable {
        let tick: Int64
        let entries: Int
        let size: Int
        let sha256: Data
    }

    /// Frames, hashes, signs and writes the CRL around the spooled entries.
    static func write(spool: EntrySpool, issuer: CertificateAuthority, thisUpdate: Int64, nextUpdate: Int64,
                      extensions: [Certificate.Extension], to destination: URL, tick: Int64) throws -> Written {
        let frame = try CertificateListFrame(issuer: issuer.certificate.subject, thisUpdate: thisUpdate,
                                             nextUpdate: nextUpdate, extensions: extensions, entriesLength: spool.length)
        var tbs = SHA256()
        tbs.update(data: frame.head)
        try spool.forEachBlock { tbs.update(bufferPointer: $0) }
        tbs.update(data: frame.tail)
        let signature = try issuer.signingKey.signature(forSHA256Digest: tbs.finalize())
        let envelope = try frame.envelope(signature: signature)

        let file = try AtomicFile(destination: destination)
        var whole = SHA256()
        func emit(_ bytes: [UInt8]) throws {
            whole.update(data: bytes)
            try bytes.withUnsafeBytes { try file.write($0) }
        }
        try emit(envelope.header)
        try emit(frame.head)
        try spool.forEachBlock { block in
            whole.update(bufferPointer: block)
            try file.write(block)
        }
        try emit(frame.tail)
        try emit(envelope.trailer)
        try file.commit()
        return Written(tick: tick, entries: spool.count, size: file.size, sha256: Data(whole.finalize()))
    }
}
