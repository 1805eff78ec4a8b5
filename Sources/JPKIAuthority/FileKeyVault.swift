import Foundation
import SwiftASN1
import X509
import _CryptoExtras

/// CA keys as passphrase-encrypted PKCS#8 files (``EncryptedPrivateKeyInfo``), one per CA,
/// named `<prefecture>-<kind>.key.pem`, created with mode 0600 and never overwritten.
///
/// Keys are encrypted in every mode; development mode differs only in that its passphrase is a
/// published constant (see ``developmentPassphrase``), which is why development keys protect nothing.
/// Loaded keys sign through ``OpenSSLSigningKey``.
public struct FileKeyVault: CAKeyVault {
    /// The passphrase of development keys. Public knowledge, on purpose.
    public static let developmentPassphrase = "jpki-ca development keys: NOT SECRET"

    public let directory: URL
    let passphrase: String
    let iterations: Int

    public init(directory: URL, passphrase: String, iterations: Int = EncryptedPrivateKeyInfo.defaultIterations) {
        self.directory = directory
        self.passphrase = passphrase
        self.iterations = iterations
    }

    func path(for ca: CertificateAuthorityID) -> URL {
        directory.appendingPathComponent("\(ca.prefecture)-\(ca.kind).key.pem")
    }

    public func hasKey(for ca: CertificateAuthorityID) -> Bool {
        FileManager.default.fileExists(atPath: path(for: ca).path)
    }

    public func generateKey(for ca: CertificateAuthorityID) throws -> any CASigningKey {
        let key = try _RSA.Signing.PrivateKey(keySize: .bits2048)
        let pkcs8 = try PEMDocument(pemString: key.pkcs8PEMRepresentation).derBytes
        let encrypted = try EncryptedPrivateKeyInfo(encrypting: pkcs8, passphrase: passphrase, iterations: iterations)
        try SecretFile.createExclusively(at: path(for: ca), contents: Data(try encrypted.pemEncoded().utf8))
        return try OpenSSLSigningKey(pkcs8: pkcs8)
    }

    /// Encrypts another of the CAs' keys (a delegated OCSP responder's PKCS#8) as the CA keys
    /// are, for storage: EncryptedPrivateKeyInfo DER.
    public func seal(privateKeyInfo: some DataProtocol) throws -> [UInt8] {
        var coder = DER.Serializer()
        try coder.serialize(try EncryptedPrivateKeyInfo(encrypting: privateKeyInfo, passphrase: passphrase, iterations: iterations))
        return coder.serializedBytes
    }

    /// The PKCS#8 of a key ``seal(privateKeyInfo:)`` encrypted.
    public func unseal(_ encrypted: [UInt8]) throws -> Data {
        try EncryptedPrivateKeyInfo(derEncoded: encrypted).decrypt(passphrase: passphrase)
    }

    public func key(for ca: CertificateAuthorityID) throws -> any CASigningKey {
        let file = path(for: ca)
        guard let pem = try? String(contentsOf: file, encoding: .utf8) else {
            throw AuthorityError.notInitialised(path: file.path)
        }
        do {
            let pkcs8 = try EncryptedPrivateKeyInfo(pemEncoded: pem).decrypt(passphrase: passphrase)
            return try OpenSSLSigningKey(pkcs8: Array(pkcs8))
        } catch {
            throw AuthorityError.keyUnreadable(path: file.path, reason: "\(error)")
        }
    }
}

/// Files that hold secrets (mode 0600), written so that an existing file is never overwritten
/// and a crash never leaves a half-written file under the real name: the bytes go to a
/// temporary file that is synced, then hard-linked to the real name (link(2) fails rather than
/// replace), and the directory is synced.
public enum SecretFile {
    public static func createExclusively(at url: URL, contents: Data) throws {
        let directory = url.deletingLastPathComponent()
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o700])
        guard !FileManager.default.fileExists(atPath: url.path) else { throw AuthorityError.alreadyInitialised(path: url.path) }
        let temporary = directory.appendingPathComponent(".\(url.lastPathComponent).\(UUID().uuidString).tmp")
        defer { unlink(temporary.path) }
        let fd = open(temporary.path, O_WRONLY | O_CREAT | O_EXCL, 0o600)
        guard fd >= 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        do {
            defer { close(fd) }
            try contents.withUnsafeBytes { buffer in
                var offset = 0
                while offset < buffer.count {
                    let n = write(fd, buffer.baseAddress! + offset, buffer.count - offset)
                    guard n > 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
                    offset += n
                }
            }
            guard fsync(fd) == 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        }
        guard link(temporary.path, url.path) == 0 else {
            if errno == EEXIST { throw AuthorityError.alreadyInitialised(path: url.path) }
            throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO)
        }
        let directoryFD = open(directory.path, O_RDONLY)
        if directoryFD >= 0 {
            fsync(directoryFD)
            close(directoryFD)
        }
    }
}
