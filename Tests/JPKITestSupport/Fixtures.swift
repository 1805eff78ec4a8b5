import Foundation
import JPKIEnrollment
import X509
import _CryptoExtras
import Crypto

/// Resident key pairs and their CSRs. RSA key generation is slow, so a few keys are made once
/// and shared by every test in a process.
public enum Fixtures {
    public static let keys: [_RSA.Signing.PrivateKey] = (0..<6).map { _ in try! _RSA.Signing.PrivateKey(keySize: .bits2048) }

    /// A PEM CSR signed by `key`, with a subject the CA must ignore.
    public static func csr(_ key: _RSA.Signing.PrivateKey, subject: String = "ignored by the CA") throws -> String {
        try csr(Certificate.PrivateKey(key), subject: subject, algorithm: .sha256WithRSAEncryption)
    }

    public static func csr(_ key: Certificate.PrivateKey, subject: String = "ignored by the CA",
                           algorithm: Certificate.SignatureAlgorithm = .ecdsaWithSHA256) throws -> String {
        let request = try CertificateSigningRequest(
            version: .v1, subject: try DistinguishedName { CommonName(subject) }, privateKey: key,
            attributes: CertificateSigningRequest.Attributes(),
            signatureAlgorithm: algorithm)
        return try request.serializeAsPEM().pemString
    }

    /// A PEM CSR made by OpenSSL with an RSA key of `bits` and public exponent `exponent`: the
    /// weak keys that swift-crypto refuses to generate at all.
    public static func opensslCSR(bits: Int, exponent: Int = 65537) throws -> String {
        let dir = try ExternalTool.scratchDirectory()
        let key = dir.appendingPathComponent("key.pem").path
        let made = try ExternalTool.run("openssl", ["genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:\(bits)",
                                                     "-pkeyopt", "rsa_keygen_pubexp:\(exponent)", "-out", key])
        guard made.status == 0 else { throw ExternalTool.Failed(result: made) }
        let csr = try ExternalTool.run("openssl", ["req", "-new", "-key", key, "-subj", "/CN=weak"])
        guard csr.status == 0 else { throw ExternalTool.Failed(result: csr) }
        return csr.stdout
    }

    public static let name = "山田　花子"
    public static let address = "東京都千代田区千代田一丁目１番１号"

    /// A valid application for both certificates, for Chiyoda-ku, with keys `signingKey` and `authKey` of ``keys``.
    public static func application(residentCode: String = "12345678901", municipality: String = "131016",
                                   dateOfBirth: String = "1985-06-15", signingKey: Int = 0,
                                   authKey: Int = 1) throws -> EnrollmentApplication {
        EnrollmentApplication(
            municipalityCode: municipality, residentCode: residentCode,
            certificates: ["signing", "user-authentication"],
            fourItems: .init(name: name, nameSubstituteMap: String(repeating: "0", count: name.count),
                             dateOfBirth: dateOfBirth, sex: "2", address: address,
                             addressSubstituteMap: String(repeating: "0", count: address.count)),
            csrs: ["signing": try csr(keys[signingKey]), "user-authentication": try csr(keys[authKey])])
    }
}
