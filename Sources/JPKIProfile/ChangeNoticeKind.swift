/// The kinds of change notice (異動等情報) the resident registry sends the CA, and what each does
/// to a resident's certificates.
///
/// Under the Public Individual Authentication Act (公的個人認証法) the signing certificate stands
/// for the basic four items it carries: any change to them, emigration, death or removal from the
/// registry ends it. The user-authentication certificate carries no four items, so only the end
/// of the person's registration, by death or removal, ends it; a move or a name change keeps it.
/// (`jpki-profile.md`, Revocation.)
public enum ChangeNoticeKind: String, Sendable, Hashable, Codable, CaseIterable, CustomStringConvertible {
    /// 転居: a new address within the same municipality.
    case moveWithinMunicipality = "move-within-municipality"
    /// 転出: leaving the municipality for another one in Japan.
    case moveOut = "move-out"
    /// 転入: arriving in a municipality from another one.
    case moveIn = "move-in"
    /// An error in the registered address corrected (職権修正).
    case addressCorrection = "address-correction"
    case nameChange = "name-change"
    case sexCorrection = "sex-correction"
    case dateOfBirthCorrection = "date-of-birth-correction"
    /// 国外転出: leaving Japan. Since 2024 the card may be kept abroad, but the signing
    /// certificate, whose address is no longer the registered one, ends.
    case emigration
    case death
    /// 消除: the registration is removed (e.g. the resident cannot be found at the address).
    case removal

    public var description: String { rawValue }

    /// Whether a notice of this kind may carry the resident's new four items: only the kinds that
    /// change them while the resident stays registered.
    public var mayCarryFourItems: Bool {
        switch self {
        case .moveWithinMunicipality, .moveOut, .moveIn, .addressCorrection, .nameChange, .sexCorrection,
             .dateOfBirthCorrection:
            true
        case .emigration, .death, .removal:
            false
        }
    }

    /// What a notice of this kind does to a valid or suspended certificate of `kind`: the reason
    /// it is revoked with, or `nil` if the certificate is kept.
    ///
    /// Reasons as the real service uses them (RFC 5280 §5.3.1): `affiliationChanged` when the
    /// certificate's contents no longer match the registry (emigration included: the address
    /// changed), `cessationOfOperation` when the holder's registration has ended.
    public func revocationReason(for kind: CertificateKind) -> RevocationReason? {
        switch (self, kind) {
        case (.death, _), (.removal, _):
            .cessationOfOperation
        case (_, .userAuthentication):
            nil
        case (_, .signing):
            .affiliationChanged
        }
    }
}
