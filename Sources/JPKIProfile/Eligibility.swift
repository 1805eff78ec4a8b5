/// Who may hold which certificate.
///
/// The signing certificate is not issued to residents under 15 (公的個人認証法 Art. 3 and its
/// enforcement rules); the user-authentication certificate is issued to any resident with a card.
public enum Eligibility {
    public static let minimumSigningAge = 15

    /// Whether a resident born on `born` may be issued `kind` on `day` (a JST date).
    public static func mayHold(_ kind: CertificateKind, born: CalendarDate, on day: CalendarDate) -> Bool {
        switch kind {
        case .signing: CertificateLifetime.age(on: day, born: born) >= minimumSigningAge
        case .userAuthentication: true
        }
    }
}
