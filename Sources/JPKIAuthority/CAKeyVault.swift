import X509

/// Where CA signing keys live. Issuance only ever sees a `Certificate.PrivateKey`, so a
/// hardware key (a PKCS#11 token wrapped as an X509 `CustomPrivateKey`) can replace the
/// file vault without touching issuance.
public protocol CAKeyVault: Sendable {
    /// Whether a key exists for `ca`.
    func hasKey(for ca: CertificateAuthorityID) -> Bool
    /// Generates a new RSA-2048 key for `ca`; refuses if one exists.
    func generateKey(for ca: CertificateAuthorityID) throws -> Certificate.PrivateKey
    /// The signing key of `ca`.
    func key(for ca: CertificateAuthorityID) throws -> Certificate.PrivateKey
}
