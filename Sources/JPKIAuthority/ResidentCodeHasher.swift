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
    /// Octets of the HMAC-SHA256 secret: as long as the hash (RFC 2104 §3).
    static let secretLength = 32

    /// HMAC keyed once: the key's inner and outer pads are hashed here, not per code, since
    /// change notices are matched by the million. Each use works on its own copy.
    private let keyed: KeyedHMAC

    /// An HMAC state that is only ever copied, never mutated in place: a value whose hash
    /// contexts are copy-on-write, so sharing it between threads is safe although swift-crypto
    /// does not mark it Sendable.
    private struct KeyedHMAC: @unchecked Sendable {
        let state: HMAC<SHA256>
    }

    public init(secret: Data) {
        keyed = KeyedHMAC(state: HMAC(key: SymmetricKey(data: secret)))
    }

    /// Loads the secret from `directory`, creating it first if `createIfMissing`.
    public init(directory: URL, passphrase: String, createIfMissing: Bool,
                iterations: Int = EncryptedPrivateKeyInfo.defaultIterations) throws {
        let file = directory.appendingPathComponent(Self.fileName)
        if createIfMissing && !FileManager.default.fileExists(atPath: file.path) {
            let secret = SymmetricKey(size: .init(bitCount: 8 * Self.secretLength))
            let sealed = try EncryptedPrivateKeyInfo(encrypting: secret.withUnsafeBytes { Data($0) },
                                                     passphrase: passphrase, iterations: iterations)
            try SecretFile.createExclusively(at: file, contents: Data(try sealed.pemEncoded(label: Self.pemLabel).utf8))
        }
        guard let pem = try? String(contentsOf: file, encoding: .utf8) else {
            throw AuthorityError.notInitialised(path: file.path)
        }
        do {
            let bytes = try EncryptedPrivateKeyInfo(pemEncoded: pem, label: Self.pemLabel)
                .decrypt(passphrase: passphrase) { $0.count == Self.secretLength }
            keyed = KeyedHMAC(state: HMAC(key: SymmetricKey(data: bytes)))
        } catch {
            throw AuthorityError.keyUnreadable(path: file.path, reason: "\(error)")
        }
    }

    /// The 32-byte keyed hash of `code`.
    public func hash(_ code: ResidentCode) -> Data {
        var hmac = keyed.state
        code.withDigits { hmac.update(data: Data($0.utf8)) }
        return Data(hmac.finalize())
    }
}
