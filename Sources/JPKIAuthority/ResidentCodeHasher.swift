import Crypto
import Foundation
import JPKIProfile

/// The keyed hash under which the resident code (住民票コード) is stored and matched:
/// HMAC-SHA256 with a 256-bit secret kept beside the CA keys, encrypted like them.
///
/// A plain hash of an 11-digit number could be reversed by trying all 10¹¹ codes; the secret
/// makes the stored value useless to anyone who copies the database without the key directory.
public struct ResidentCodeHasher: Sendable {
    static let pemLabel = "JPKI RESIDENT CODE KEY"
    public static let fileName = "resident-code.hmac-key.pem"

    private let secret: Data

    public init(secret: Data) {
        self.secret = secret
    }

    /// Loads the secret from `directory`, creating it first if `createIfMissing`.
    public init(directory: URL, passphrase: String, createIfMissing: Bool,
                iterations: Int = EncryptedPrivateKeyInfo.defaultIterations) throws {
        let file = directory.appendingPathComponent(Self.fileName)
        if createIfMissing && !FileManager.default.fileExists(atPath: file.path) {
            let secret = SymmetricKey(size: .bits256)
            let sealed = try EncryptedPrivateKeyInfo(encrypting: secret.withUnsafeBytes { Data($0) },
                                                     passphrase: passphrase, iterations: iterations)
            try SecretFile.createExclusively(at: file, contents: Data(try sealed.pemEncoded(label: Self.pemLabel).utf8))
        }
        guard let pem = try? String(contentsOf: file, encoding: .utf8) else {
            throw AuthorityError.notInitialised(path: file.path)
        }
        do {
            let bytes = try EncryptedPrivateKeyInfo(pemEncoded: pem, label: Self.pemLabel).decrypt(passphrase: passphrase)
            secret = bytes
        } catch {
            throw AuthorityError.keyUnreadable(path: file.path, reason: "\(error)")
        }
    }

    /// The 32-byte keyed hash of `code`.
    public func hash(_ code: ResidentCode) -> Data {
        code.withDigits { Data(HMAC<SHA256>.authenticationCode(for: Data($0.utf8), using: SymmetricKey(data: secret))) }
    }
}
