import Foundation
import SwiftASN1
import X509

/// Creates and loads CA material: the key (through a ``CAKeyVault``) and the self-signed
/// certificate, stored as `<prefecture>-<kind>.cert.pem` beside the keys. Provisioning refuses
/// to overwrite anything that exists, so a second `init` can never replace a live CA.
public struct CAProvisioning: Sendable {
    public let vault: any CAKeyVault
    public let certificateDirectory: URL
    public let publication: PublicationPoints

    public init(vault: any CAKeyVault, certificateDirectory: URL, publication: PublicationPoints) {
        self.vault = vault
        self.certificateDirectory = certificateDirectory
        self.publication = publication
    }

    public func certificatePath(for ca: CertificateAuthorityID) -> URL {
        certificateDirectory.appendingPathComponent("\(ca.prefecture)-\(ca.kind).cert.pem")
    }

    /// Whether the CA's certificate exists (its key is written first, so a certificate implies a key).
    public func isProvisioned(_ ca: CertificateAuthorityID) -> Bool {
        FileManager.default.fileExists(atPath: certificatePath(for: ca).path)
    }

    public func provision(_ ca: CertificateAuthorityID, operatorName: String, development: Bool,
                          now: Date = Date()) throws -> CertificateAuthority {
        let certificatePath = certificatePath(for: ca)
        guard !FileManager.default.fileExists(atPath: certificatePath.path) else {
            throw AuthorityError.alreadyInitialised(path: certificatePath.path)
        }
        // A key without a certificate is what a crash between the two writes leaves: finish the job.
        let key = vault.hasKey(for: ca) ? try vault.key(for: ca) : try vault.generateKey(for: ca)
        let certificate = try CACertificateFactory.selfSigned(
            ca: ca, operatorName: operatorName, development: development, key: Certificate.PrivateKey(key),
            publication: publication, now: now)
        try SecretFile.createExclusively(at: certificatePath, contents: Data(try certificate.serializeAsPEM().pemString.utf8))
        return try CertificateAuthority(id: ca, certificate: certificate, signingKey: key)
    }

    public func load(_ ca: CertificateAuthorityID) throws -> CertificateAuthority {
        let path = certificatePath(for: ca)
        guard let pem = try? String(contentsOf: path, encoding: .utf8) else {
            throw AuthorityError.notInitialised(path: path.path)
        }
        let certificate = try Certificate(pemEncoded: pem)
        return try CertificateAuthority(id: ca, certificate: certificate, signingKey: try vault.key(for: ca))
    }
}
