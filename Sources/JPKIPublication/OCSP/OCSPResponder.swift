import Foundation
import JPKIAuthority
import JPKIConfiguration
import JPKIEnrollment
import JPKIProfile
import JPKIStore
import Logging

/// An answer to an OCSP request: the DER to send, and what it said, for the audit log.
public struct OCSPAnswer: Sendable {
    public let body: [UInt8]
    public let status: OCSPResponseStatus
    /// Set when the answer is a pre-signed response, which HTTP caches may keep (RFC 5019 §6).
    public let presigned: PresignedResponse?
    let ca: CertificateAuthorityID?
    let certIDs: [OCSPCertID]
    let statuses: [OCSPCertStatus]

    public static func failure(_ status: OCSPResponseStatus) -> OCSPAnswer {
        OCSPAnswer(body: OCSPResponseEnvelope.unsuccessful(status), status: status, presigned: nil, ca: nil, certIDs: [], statuses: [])
    }

    /// Each certificate asked about as `ca serial status`, for the audit log (made only when
    /// asked for: an open responder writes no audit entry per request).
    public var answered: [String] {
        guard let ca else { return [] }
        return zip(certIDs, statuses).map { "\(ca) \($0.serialNumber.lowercaseHex) \($1.name)" }
    }
}

/// A certificate's validity as the verifier API reports it: what its OCSP response says.
public struct CertificateValidity: Sendable, Equatable {
    public enum Status: String, Sendable {
        case good
        /// Revoked, or on hold (reason certificateHold), as in OCSP (RFC 6960 §2.2).
        case revoked
        /// The CA never issued this serial.
        case unknown
    }

    public let ca: CertificateAuthorityID
    public let serial: String
    public let status: Status
    public let revokedAt: Date?
    public let reason: RevocationReason?
    public let thisUpdate: Date
    public let nextUpdate: Date

    /// What to say of a certificate this CA did not sign: unknown, as of now, for an hour.
    public static func notIssued(by ca: CertificateAuthorityID, serial: String, at date: Date = Date()) -> CertificateValidity {
        let now = Int64(date.timeIntervalSince1970)
        return CertificateValidity(ca: ca, serial: serial, status: OCSPCertStatus.unknown, at: now,
                                   until: now + OCSPSigner.unknownValidity)
    }
}

/// Answers OCSP requests (RFC 6960, RFC 5019) and validity lookups.
///
/// A request for one certificate with a SHA-1 CertID and no nonce, the RFC 5019 lightweight
/// profile every browser and most libraries follow, is answered with the certificate's
/// pre-signed response: from memory, else from the store (then kept in memory). Anything else
/// (a nonce, SHA-256 CertIDs, several certificates, a serial the CA never issued, a response
/// not yet signed or gone stale) is answered with a response signed now from the store's
/// current standing. A store that cannot be read gets `tryLater`; an issuer this service does
/// not run, `unauthorized`; bytes that are not a request, `malformedRequest`.
public final class OCSPResponder: Sendable {
    let database: CertificateDatabase
    let cache: OCSPResponseCache
    let signer: OCSPSigner
    let issuers: [OCSPIssuer]
    let getPaths: OCSPGetPaths
    let logger: Logger

    init(database: CertificateDatabase, cache: OCSPResponseCache, getPaths: OCSPGetPaths, signer: OCSPSigner,
         issuers: [OCSPIssuer], logger: Logger) {
        self.database = database
        self.cache = cache
        self.getPaths = getPaths
        self.signer = signer
        self.issuers = issuers
        self.logger = logger
    }

    /// A pre-signed response is served until this many seconds before its nextUpdate; after
    /// that, one is signed on demand (the refresher has fallen behind).
    static let staleMargin: Int64 = 60

    public func respond(to requestBytes: ArraySlice<UInt8>, at date: Date = Date()) -> OCSPAnswer {
        guard let request = try? OCSPRequest(derEncoded: requestBytes) else { return .failure(.malformedRequest) }
        let now = Int64(date.timeIntervalSince1970)
        guard let index = issuers.firstIndex(where: { $0.issued(request.certIDs[0]) }),
              request.certIDs.allSatisfy(issuers[index].issued) else {
            // One response is signed by one CA's responder: every CertID must name that CA.
            return .failure(.unauthorized)
        }
        let ca = issuers[index].ca
        do {
            if request.certIDs.count == 1, request.nonce == nil, request.certIDs[0].hashAlgorithm == .sha1,
               let presigned = try presigned(ca: ca, index: index, serial: request.certIDs[0].serialNumber, now: now) {
                return OCSPAnswer(body: presigned.responseBytes(), status: .successful, presigned: presigned, ca: ca,
                                  certIDs: request.certIDs, statuses: [presigned.status])
            }
            let standings = try request.certIDs.map { try database.standing(ca: ca.description, serial: $0.serialNumber.lowercaseHex) }
            let body = try signer.signNow(request.certIDs, standings: standings, ca: ca, nonce: request.nonce, at: now)
            return OCSPAnswer(body: body, status: .successful, presigned: nil, ca: ca, certIDs: request.certIDs,
                              statuses: standings.map { $0.map(OCSPCertStatus.init) ?? .unknown })
        } catch {
            logger.error("OCSP request not answered", metadata: ["ca": "\(ca)", "error": "\(error)"])
            return .failure(.tryLater)
        }
    }

    /// The fresh pre-signed response in memory that answers `GET path` (RFC 6960 Appendix A.1),
    /// whose URL-encoded base64 request starts at `requestStart`, or nil: the answer to an
    /// RFC 5019 request (one SHA-1 CertID, no nonce) that touches neither the store nor a key,
    /// so that it can be given on a network thread. ``respond(to:at:)`` answers every request,
    /// and gives the same answer to this one.
    public func presignedFromMemory(get path: String, requestStart: String.Index, at date: Date = Date()) -> PresignedResponse? {
        let now = Int64(date.timeIntervalSince1970)
        let remembered = OCSPGetPaths.Path(path)
        if let key = getPaths.key(for: remembered) { return fresh(cache.response(for: key), now: now) }
        guard let der = OCSPGetPath.decode(path[requestStart...]), let key = cacheKey(of: der[...]),
              let presigned = fresh(cache.response(for: key), now: now) else { return nil }
        getPaths.remember(remembered, names: key)
        return presigned
    }

    /// The cache key of an RFC 5019 request to one of our issuers, or nil for any other request.
    private func cacheKey(of requestBytes: ArraySlice<UInt8>) -> OCSPResponseCache.Key? {
        guard let request = try? OCSPRequest(derEncoded: requestBytes), request.certIDs.count == 1, request.nonce == nil,
              request.certIDs[0].hashAlgorithm == .sha1,
              let index = issuers.firstIndex(where: { $0.issued(request.certIDs[0]) }) else { return nil }
        return OCSPResponseCache.Key(ca: index, serial: request.certIDs[0].serialNumber)
    }

    /// `response`, unless it is within ``staleMargin`` of its nextUpdate.
    private func fresh(_ response: PresignedResponse?, now: Int64) -> PresignedResponse? {
        response.flatMap { $0.nextUpdate - Self.staleMargin > now ? $0 : nil }
    }

    /// The certificate's fresh pre-signed response, from memory or the store, or nil.
    func presigned(ca: CertificateAuthorityID, index: Int, serial: ArraySlice<UInt8>, now: Int64) throws -> PresignedResponse? {
        guard let key = OCSPResponseCache.Key(ca: index, serial: serial) else { return nil }
        if let cached = fresh(cache.response(for: key), now: now) { return cached }
        let generation = cache.generation
        guard let stored = try database.ocspResponse(ca: ca.description, serial: serial.lowercaseHex),
              stored.nextUpdate - Self.staleMargin > now,
              let responder = signer.responders.responder(id: stored.responder) else { return nil }
        let response = PresignedResponse(
            status: OCSPCertStatus(stored.standing), thisUpdate: stored.thisUpdate, nextUpdate: stored.nextUpdate,
            signed: SignedResponseData(responseData: stored.responseData, signature: stored.signature), responder: responder)
        guard cache.generation == generation else {
            // The signer published while the store was read: what it published wins.
            return try presigned(ca: ca, index: index, serial: serial, now: now)
        }
        cache.store(response, for: key, unlessNewer: true)
        return response
    }

    /// The validity of `serial` (lowercase hex) of `ca` if its fresh pre-signed response is in
    /// memory, else nil (``validity(ca:serial:at:)`` reads the store).
    public func validityFromMemory(ca: CertificateAuthorityID, serial: String, at date: Date = Date()) -> CertificateValidity? {
        guard let index = issuers.firstIndex(where: { $0.ca == ca }), let bytes = [UInt8](hexadecimal: serial),
              let key = OCSPResponseCache.Key(ca: index, serial: bytes),
              let presigned = fresh(cache.response(for: key), now: Int64(date.timeIntervalSince1970)) else { return nil }
        return CertificateValidity(ca: ca, serial: serial, status: presigned.status, at: presigned.thisUpdate, until: presigned.nextUpdate)
    }

    /// The validity of `serial` (lowercase hex) of `ca`, as its OCSP response states it.
    public func validity(ca: CertificateAuthorityID, serial: String, at date: Date = Date()) throws -> CertificateValidity {
        let now = Int64(date.timeIntervalSince1970)
        if let index = issuers.firstIndex(where: { $0.ca == ca }), let bytes = [UInt8](hexadecimal: serial),
           let presigned = try presigned(ca: ca, index: index, serial: bytes[...], now: now) {
            return CertificateValidity(ca: ca, serial: serial, status: presigned.status, at: presigned.thisUpdate,
                                       until: presigned.nextUpdate)
        }
        // Not signed yet (issued within the last second) or never issued: as a response signed now would say.
        let standing = try database.standing(ca: ca.description, serial: serial)
        return CertificateValidity(ca: ca, serial: serial, status: standing.map(OCSPCertStatus.init) ?? .unknown, at: now,
                                   until: now + (standing == nil ? OCSPSigner.unknownValidity : signer.validity))
    }
}

extension CertificateValidity {
    init(ca: CertificateAuthorityID, serial: String, status: OCSPCertStatus, at thisUpdate: Int64, until nextUpdate: Int64) {
        self.ca = ca
        self.serial = serial
        switch status {
        case .good:
            (self.status, revokedAt, reason) = (.good, nil, nil)
        case .revoked(let at, let reason):
            (self.status, revokedAt, self.reason) = (.revoked, Date(timeIntervalSince1970: TimeInterval(at)), reason)
        case .unknown:
            (self.status, revokedAt, reason) = (.unknown, nil, nil)
        }
        self.thisUpdate = Date(timeIntervalSince1970: TimeInterval(thisUpdate))
        self.nextUpdate = Date(timeIntervalSince1970: TimeInterval(nextUpdate))
    }
}

extension OCSPCertStatus {
    var name: String {
        switch self {
        case .good: "good"
        case .revoked(_, let reason): "revoked \(reason?.name ?? "unspecified")"
        case .unknown: "unknown"
        }
    }
}

/// The OCSP side of the service: responders, cache, signer, refresher and the answering
/// responder, built together from the runtime.
public struct OCSPService: Sendable {
    public let responders: OCSPResponders
    public let cache: OCSPResponseCache
    public let signer: OCSPSigner
    public let refresher: OCSPRefresher
    public let responder: OCSPResponder
    public let settings: OCSPSettings

    /// Takes the signer lock of `dataDirectory`: throws ``PublicationError/anotherOCSPSigner(_:)``
    /// if another process holds it.
    public init(runtime: ServiceRuntime, dataDirectory: URL, logger: Logger) throws {
        settings = runtime.configuration.service.ocspSettings
        let authorities = runtime.authorities.all
        let issuers = try authorities.map(OCSPIssuer.init)
        responders = OCSPResponders(runtime: runtime, logger: logger)
        cache = OCSPResponseCache(capacity: settings.cacheEntries)
        signer = OCSPSigner(responders: responders, issuers: Dictionary(uniqueKeysWithValues: issuers.map { ($0.ca, $0) }),
                            validity: Int64(settings.responseValidity))
        refresher = try OCSPRefresher(
            database: runtime.database, dataDirectory: dataDirectory, responders: responders, signer: signer, cache: cache,
            cacheKeys: Dictionary(uniqueKeysWithValues: issuers.enumerated().map { ($1.ca, $0) }), logger: logger)
        responder = OCSPResponder(database: runtime.database, cache: cache, getPaths: OCSPGetPaths(capacity: settings.cacheEntries),
                                  signer: signer, issuers: issuers, logger: logger)
    }
}
