import Crypto
import JPKIAuthority
import JPKIStore

/// A signed OCSP answer for one certificate, as the cache keeps it: what it states, for how
/// long, and the signed bytes. The responder certificate is shared, not copied.
public final class PresignedResponse: Sendable {
    public let status: OCSPCertStatus
    /// Unix seconds.
    public let thisUpdate: Int64
    public let nextUpdate: Int64
    public let signed: SignedResponseData
    public let responder: OCSPResponderIdentity
    /// An HTTP entity tag: the first 8 octets of the signature's SHA-256, in hex.
    public let entityTag: String

    public init(status: OCSPCertStatus, thisUpdate: Int64, nextUpdate: Int64, signed: SignedResponseData,
                responder: OCSPResponderIdentity) {
        self.status = status
        self.thisUpdate = thisUpdate
        self.nextUpdate = nextUpdate
        self.signed = signed
        self.responder = responder
        entityTag = "\"" + SHA256.hash(data: signed.signature).prefix(8).lowercaseHex + "\""
    }

    /// The OCSPResponse DER, with the responder certificate.
    public func responseBytes() -> [UInt8] {
        responder.response(signed)
    }
}

extension OCSPCertStatus {
    /// What an OCSP response says of a certificate standing so: a hold is `revoked` with
    /// reason certificateHold (RFC 6960 §2.2).
    init(_ standing: CertificateStanding) {
        switch standing.status {
        case .valid:
            self = .good
        case .suspended:
            self = .revoked(at: standing.revokedAt ?? 0, reason: .certificateHold)
        case .revoked:
            self = .revoked(at: standing.revokedAt ?? 0, reason: standing.reason)
        }
    }
}
