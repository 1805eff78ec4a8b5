@preconcurrency import Crypto
import Foundation
import JPKIAuthority
import JPKIEnrollment
import JPKIStore
import Logging
import Synchronization

/// Each CA's delegated OCSP responders (RFC 6960 §4.2.2.2): the current one, which signs, and
/// older ones still valid, whose responses are still served.
///
/// A responder certificate lives `responderValidity` (7 days by default) and a new one, with a
/// new key, is made when half of that is left; every response it signs expires before it does
/// (the settings are checked so). Keys are stored encrypted, as the CA keys are.
public final class OCSPResponders: Sendable {
    struct Active {
        let id: Int64
        let identity: OCSPResponderIdentity
        let notAfter: Int64
    }

    private let database: CertificateDatabase
    private let authorities: AuthorityRegistry
    private let vault: FileKeyVault
    private let validity: TimeInterval
    private let logger: Logger
    private let state = Mutex<(byID: [Int64: Active], current: [CertificateAuthorityID: Active])>(([:], [:]))

    public init(runtime: ServiceRuntime, logger: Logger) {
        database = runtime.database
        authorities = runtime.authorities
        vault = runtime.keyVault
        validity = runtime.configuration.service.ocspSettings.responderValidity
        self.logger = logger
    }

    /// The responder that signs for `ca` now.
    public func current(for ca: CertificateAuthorityID) -> (id: Int64, identity: OCSPResponderIdentity)? {
        state.withLock { $0.current[ca].map { ($0.id, $0.identity) } }
    }

    public func responder(id: Int64) -> OCSPResponderIdentity? {
        state.withLock { $0.byID[id]?.identity }
    }

    /// Loads the stored responders, and makes a new one for each CA that has none with more
    /// than half its life left. Returns the CAs that got a new responder.
    @discardableResult
    public func refresh(at now: Date = Date()) async throws -> [CertificateAuthorityID] {
        let seconds = Int64(now.timeIntervalSince1970)
        var loaded: [Int64: Active] = state.withLock { $0.byID }
        for stored in try database.ocspResponders() where loaded[stored.id] == nil && stored.notAfter > seconds {
            guard let id = CertificateAuthorityID(stored.ca) else { continue }
            let key = try P256.Signing.PrivateKey(derRepresentation: try vault.unseal(Array(stored.privateKey)))
            let identity = try OCSPResponderIdentity(ca: id, certificate: try .init(derEncoded: Array(stored.certificate)), key: key)
            loaded[stored.id] = Active(id: stored.id, identity: identity, notAfter: stored.notAfter)
        }
        loaded = loaded.filter { $0.value.notAfter > seconds }
        var created: [CertificateAuthorityID] = []
        for authority in authorities.all {
            let newest = loaded.values.filter { $0.identity.ca == authority.id }.max { $0.notAfter < $1.notAfter }
            // A responder never outlives its CA: once the newest ends with the CA, or the CA has
            // expired, a new one would live no longer.
            let caNotAfter = Int64(authority.certificate.notValidAfter.timeIntervalSince1970)
            guard caNotAfter > seconds + 60 else { continue }
            if let newest, Double(newest.notAfter - seconds) > validity / 2 || newest.notAfter >= caNotAfter { continue }
            let active = try await create(for: authority, at: now)
            loaded[active.id] = active
            created.append(authority.id)
        }
        let current = Dictionary(grouping: loaded.values, by: \.identity.ca).compactMapValues { $0.max { $0.notAfter < $1.notAfter } }
        state.withLock { $0 = (loaded, current) }
        return created
    }

    private func create(for authority: CertificateAuthority, at now: Date) async throws -> Active {
        let key = P256.Signing.PrivateKey()
        // Back-dated a minute for clients whose clocks run a little slow.
        let certificate = try OCSPResponderIdentity.issueCertificate(
            for: authority, key: key.publicKey, notBefore: now.addingTimeInterval(-60), notAfter: now.addingTimeInterval(validity))
        let identity = try OCSPResponderIdentity(ca: authority.id, certificate: certificate, key: key)
        let notAfter = Int64(certificate.notValidAfter.timeIntervalSince1970)
        let id = try await database.addOCSPResponder(
            ca: authority.id.description, notBefore: Int64(certificate.notValidBefore.timeIntervalSince1970),
            notAfter: notAfter, certificate: Data(identity.certificateDER),
            privateKey: Data(try vault.seal(privateKeyInfo: key.derRepresentation)),
            serial: certificate.serialNumber.hex, actor: "ocsp-responder", at: now)
        logger.info("OCSP responder certificate created", metadata: [
            "ca": "\(authority.id)", "serial": "\(certificate.serialNumber.hex)", "notAfter": "\(certificate.notValidAfter)",
        ])
        return Active(id: id, identity: identity, notAfter: notAfter)
    }
}
