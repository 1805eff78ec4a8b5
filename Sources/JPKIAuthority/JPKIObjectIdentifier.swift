import SwiftASN1

/// Object identifiers of the JPKI arc 1.2.392.200149.8.5 (J-LIS).
public enum JPKIObjectIdentifier {
    /// Certificate policy of the signing certificate (署名用電子証明書).
    public static let signingPolicy: ASN1ObjectIdentifier = [1, 2, 392, 200149, 8, 5, 1, 1, 20]
    /// Certificate policy of the user-authentication certificate (利用者証明用電子証明書).
    public static let userAuthenticationPolicy: ASN1ObjectIdentifier = [1, 2, 392, 200149, 8, 5, 1, 3, 30]

    /// The subjectAltName otherName types that carry the basic four items.
    public enum FourItems {
        public static let name: ASN1ObjectIdentifier = [1, 2, 392, 200149, 8, 5, 5, 1]
        public static let nameSubstituteMap: ASN1ObjectIdentifier = [1, 2, 392, 200149, 8, 5, 5, 2]
        public static let sex: ASN1ObjectIdentifier = [1, 2, 392, 200149, 8, 5, 5, 3]
        public static let dateOfBirth: ASN1ObjectIdentifier = [1, 2, 392, 200149, 8, 5, 5, 4]
        public static let address: ASN1ObjectIdentifier = [1, 2, 392, 200149, 8, 5, 5, 5]
        public static let addressSubstituteMap: ASN1ObjectIdentifier = [1, 2, 392, 200149, 8, 5, 5, 6]
    }
}
