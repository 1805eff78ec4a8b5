import JPKIEnrollment

/// Why a change notice was rejected or a holder's request refused: a stable code, the field
/// concerned (a dotted path, e.g. `fourItems.address`) and a sentence for people.
///
/// A rejected notice or refused request changes nothing but the record of its rejection.
public struct RevocationError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Code: String, Sendable, Codable, CaseIterable {
        // The notice itself.
        case malformedJSON = "malformed_json"
        case missingField = "missing_field"
        case invalidNoticeID = "invalid_notice_id"
        case unknownNoticeKind = "unknown_notice_kind"
        case invalidResidentCode = "invalid_resident_code"
        case invalidMunicipalityCode = "invalid_municipality_code"
        case badCheckDigit = "bad_check_digit"
        case invalidTimestamp = "invalid_timestamp"
        case effectiveTimeInFuture = "effective_time_in_future"
        case unexpectedFourItems = "unexpected_four_items"
        /// The new four items break a rule of the profile; the field names which item.
        case invalidFourItems = "invalid_four_items"
        // Who may do what.
        case roleNotPermitted = "role_not_permitted"
        case forbiddenMunicipality = "forbidden_municipality"
        // Holders' requests.
        case unknownCertificate = "unknown_certificate"
        case invalidSerial = "invalid_serial"
        case transitionNotAllowed = "transition_not_allowed"
        case invalidReason = "invalid_reason"
    }

    public let code: Code
    public let field: String?
    public let message: String

    public init(_ code: Code, field: String?, _ message: String) {
        self.code = code
        self.field = field
        self.message = message
    }

    /// A rule of the profile broken by a notice's four items: the field and the enrollment check's
    /// code, but not its message, which can repeat the value sent (a shifted column could hold a
    /// resident code).
    init(fourItems error: EnrollmentError) {
        self.init(error.code == .missingField ? .missingField : .invalidFourItems, field: error.field,
                  "\(error.field ?? "fourItems") breaks the profile's rule \(error.code.rawValue) (docs/api.md)")
    }

    /// 403 for who-may-do-what, 404 for an unknown certificate, 409 for a change the
    /// certificate's state forbids, 400 for everything about the request itself.
    public var httpStatus: Int {
        switch code {
        case .roleNotPermitted, .forbiddenMunicipality: 403
        case .unknownCertificate: 404
        case .transitionNotAllowed: 409
        default: 400
        }
    }

    public var description: String { "\(code.rawValue)\(field.map { " (\($0))" } ?? ""): \(message)" }
}
