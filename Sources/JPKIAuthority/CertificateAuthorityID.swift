import JPKIProfile

/// Which CA: each prefecture runs two, one per certificate kind, as J-LIS runs separate roots
/// for digital signature and for user authentication.
public struct CertificateAuthorityID: Sendable, Hashable, Comparable, CustomStringConvertible {
    public let prefecture: PrefectureCode
    public let kind: CertificateKind

    public init(prefecture: PrefectureCode, kind: CertificateKind) {
        self.prefecture = prefecture
        self.kind = kind
    }

    /// `13/signing`: the form used in URLs, file names and the store.
    public var description: String { "\(prefecture)/\(kind)" }

    /// Parses the ``description`` form.
    public init?(_ text: String) {
        let parts = text.split(separator: "/")
        guard parts.count == 2, let prefecture = PrefectureCode(String(parts[0])),
              let kind = CertificateKind(rawValue: String(parts[1])) else { return nil }
        self.init(prefecture: prefecture, kind: kind)
    }

    public static func < (a: Self, b: Self) -> Bool { a.description < b.description }

    /// The organizational unit naming the CA's purpose, as in the J-LIS root subjects.
    public var purposeUnit: String {
        switch kind {
        case .signing: "JPKI for digital signature"
        case .userAuthentication: "JPKI for user authentication"
        }
    }
}
