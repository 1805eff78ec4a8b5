import Foundation
import JPKIProfile
import JPKITestSupport
import SwiftASN1
import Testing
import X509
import _CryptoExtras
@testable import JPKIAuthority

@Suite("Encrypted PKCS#8 (PBES2) CA keys")
struct EncryptedPrivateKeyInfoTests {
    let key = Fixtures.keys[0]

    func pkcs8() throws -> [UInt8] { try PEMDocument(pemString: key.pkcs8PEMRepresentation).derBytes }

    @Test func roundTripsUnderTheRightPassphrase() throws {
        let sealed = try EncryptedPrivateKeyInfo(encrypting: try pkcs8(), passphrase: "correct horse", iterations: 1000)
        let reread = try EncryptedPrivateKeyInfo(pemEncoded: try sealed.pemEncoded())
        #expect(reread == sealed)
        #expect(Array(try reread.decrypt(passphrase: "correct horse")) == (try pkcs8()))
        let clear = try pkcs8()
        #expect(!sealed.encryptedData.isEmpty && Array(sealed.encryptedData.prefix(64)) != Array(clear.prefix(64)))
    }

    @Test func refusesTheWrongPassphrase() throws {
        let sealed = try EncryptedPrivateKeyInfo(encrypting: try pkcs8(), passphrase: "correct horse", iterations: 1000)
        #expect(throws: EncryptedPrivateKeyInfo.Failure.wrongPassphrase) { try sealed.decrypt(passphrase: "battery staple") }
    }

    /// About one wrong key in 256 still leaves valid CBC padding: two thousand wrong passphrases
    /// meet that case several times, and each must still be refused, not return garbage.
    @Test func refusesEveryWrongPassphraseEvenWithValidPadding() throws {
        let sealed = try EncryptedPrivateKeyInfo(encrypting: try pkcs8(), passphrase: "correct horse", iterations: 1)
        let accepted = (0..<2_000).filter { (try? sealed.decrypt(passphrase: "wrong \($0)")) != nil }
        #expect(accepted.isEmpty, "accepted: \(accepted)")
    }

    /// The resident-code secret is sealed the same way but is 32 raw octets, not a
    /// PrivateKeyInfo: it opens under its passphrase, and no wrong one opens it.
    @Test func theResidentCodeSecretOpensOnlyUnderItsPassphrase() throws {
        let dir = try ExternalTool.scratchDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let made = try ResidentCodeHasher(directory: dir, passphrase: "s3cret", createIfMissing: true, iterations: 1)
        let reopened = try ResidentCodeHasher(directory: dir, passphrase: "s3cret", createIfMissing: false, iterations: 1)
        let code = try #require(ResidentCode("12345678901"))
        #expect(made.hash(code) == reopened.hash(code))
        let opened = (0..<1_000).filter { (try? ResidentCodeHasher(directory: dir, passphrase: "wrong \($0)", createIfMissing: false)) != nil }
        #expect(opened.isEmpty, "opened by: \(opened)")
    }

    @Test func openSSLDecryptsWhatWeWrite() throws {
        let dir = try ExternalTool.scratchDirectory()
        let sealed = try EncryptedPrivateKeyInfo(encrypting: try pkcs8(), passphrase: "s3cret", iterations: 2048)
        let file = dir.appendingPathComponent("key.pem")
        try sealed.pemEncoded().write(to: file, atomically: true, encoding: .utf8)
        let result = try ExternalTool.run("openssl", ["pkey", "-in", file.path, "-passin", "pass:s3cret", "-pubout"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout == key.publicKey.pemRepresentation + "\n")
        let wrong = try ExternalTool.run("openssl", ["pkey", "-in", file.path, "-passin", "pass:nope", "-noout"])
        #expect(wrong.status != 0)
    }

    @Test func readsWhatOpenSSLWrites() throws {
        let dir = try ExternalTool.scratchDirectory()
        let plain = dir.appendingPathComponent("plain.pem"), encrypted = dir.appendingPathComponent("enc.pem")
        try key.pkcs8PEMRepresentation.write(to: plain, atomically: true, encoding: .utf8)
        let result = try ExternalTool.run("openssl", ["pkcs8", "-topk8", "-in", plain.path, "-out", encrypted.path,
                                                       "-v2", "aes-256-cbc", "-v2prf", "hmacWithSHA256", "-passout", "pass:pw"])
        #expect(result.status == 0, "\(result.stderr)")
        let sealed = try EncryptedPrivateKeyInfo(pemEncoded: try String(contentsOf: encrypted, encoding: .utf8))
        let reread = try _RSA.Signing.PrivateKey(derRepresentation: try sealed.decrypt(passphrase: "pw"))
        #expect(reread.publicKey.derRepresentation == key.publicKey.derRepresentation)
    }

    @Test func fileVaultNeverOverwritesAndStoresNoClearKey() throws {
        let dir = try ExternalTool.scratchDirectory()
        let vault = FileKeyVault(directory: dir, passphrase: "pw", iterations: 1000)
        let ca = CertificateAuthorityID(prefecture: .init("13")!, kind: .signing)
        let key = try vault.generateKey(for: ca)
        #expect(try vault.key(for: ca).publicKey == key.publicKey)
        #expect(throws: AuthorityError.self) { try vault.generateKey(for: ca) }
        #expect(try vault.key(for: ca).publicKey == key.publicKey)
        let text = try String(contentsOf: vault.path(for: ca), encoding: .utf8)
        #expect(text.hasPrefix("-----BEGIN ENCRYPTED PRIVATE KEY-----"))
        let attributes = try FileManager.default.attributesOfItem(atPath: vault.path(for: ca).path)
        #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)
        #expect(throws: AuthorityError.self) { try FileKeyVault(directory: dir, passphrase: "wrong", iterations: 1000).key(for: ca) }
    }
}
