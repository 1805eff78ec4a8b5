import X509

/// Where CA signing keys live. Issuance and CRL signing only ever see a ``CASigningKey`` (an
/// X509 `CustomPrivateKey` that can also sign a digest), so a hardware key (a PKCS#11 token)
/// can replace the file vault without touching either.
public protocol CAKeyVault: Sendable {
    /// Whether a key exists for `ca`.
    func hasKey(for ca: CertificateAuthorityID) -> Bool
    /// Generates a new RSA-2048 key for `ca`; refuses if one exists.
    func generateKey(for ca: CertificateAuthorityID) throws -> any CASigningKey
    /// The signing key of `ca`.
    func key(for ca: CertificateAuthorityID) throws -> any CASigningKey
}
