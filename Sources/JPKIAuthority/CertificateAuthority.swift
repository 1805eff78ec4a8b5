import Foundation
import X509

/// A CA ready to sign: its certificate and the key behind it.
public struct CertificateAuthority: Sendable {
    public let id: CertificateAuthorityID
    public let certificate: Certificate
    /// The key, for CRLs (which sign a digest).
    public let signingKey: any CASigningKey
    /// The same key, for swift-certificates' builders.
    public let privateKey: Certificate.PrivateKey

    public init(id: CertificateAuthorityID, certificate: Certificate, signingKey: any CASigningKey) throws {
        guard signingKey.publicKey == certificate.publicKey else { throw AuthorityError.keyDoesNotMatchCertificate(id) }
        self.id = id
        self.certificate = certificate
        self.signingKey = signingKey
        self.privateKey = Certificate.PrivateKey(signingKey)
    }

    /// The subjectKeyIdentifier of the CA certificate, used as authorityKeyIdentifier below it.
    public var keyIdentifier: ArraySlice<UInt8> {
        (try? certificate.extensions.subjectKeyIdentifier?.keyIdentifier) ?? SubjectKeyIdentifier(hash: certificate.publicKey).keyIdentifier
    }
}

/// Failures of the authority's own machinery (not of a request).
public enum AuthorityError: Error, Sendable, Equatable, CustomStringConvertible {
    case keyDoesNotMatchCertificate(CertificateAuthorityID)
    case alreadyInitialised(path: String)
    case notInitialised(path: String)
    case keyUnreadable(path: String, reason: String)
    case lintFailed(String)

    public var description: String {
        switch self {
        case .keyDoesNotMatchCertificate(let id): "the key of CA \(id) does not match its certificate"
        case .alreadyInitialised(let path): "refusing to overwrite existing CA material at \(path)"
        case .notInitialised(let path): "no CA material at \(path): run `jpki-ca init` first"
        case .keyUnreadable(let path, let reason): "cannot read key \(path): \(reason)"
        case .lintFailed(let reason): "to-be-signed certificate failed its check: \(reason)"
        }
    }
}
