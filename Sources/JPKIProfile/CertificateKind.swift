/// The two kinds of JPKI end-entity certificate.
///
/// Since 2016 every card carries both: the signing certificate (署名用電子証明書), which carries the
/// holder's basic four items, and the user-authentication certificate (利用者証明用電子証明書), which
/// carries none of them. Each kind is issued by its own CA.
public enum CertificateKind: String, Sendable, Hashable, Codable, CaseIterable, CustomStringConvertible {
    case signing = "signing"
    case userAuthentication = "user-authentication"

    public var description: String { rawValue }

    /// Whether the certificate carries the basic four items (基本4情報) in subjectAltName.
    public var carriesFourItems: Bool { self == .signing }
}
