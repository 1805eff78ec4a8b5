/// Why an enrollment was refused: a stable machine-readable code, the field that was wrong (a
/// dotted path into the application, e.g. `fourItems.dateOfBirth`), and a sentence for people.
///
/// A refused enrollment changes nothing: validation precedes signing, and recording is one
/// transaction.
public struct EnrollmentError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Code: String, Sendable, Codable, CaseIterable {
        case malformedJSON = "malformed_json"
        case missingField = "missing_field"
        case invalidMunicipalityCode = "invalid_municipality_code"
        case badCheckDigit = "bad_check_digit"
        case unknownMunicipality = "unknown_municipality"
        case forbiddenMunicipality = "forbidden_municipality"
        case roleNotPermitted = "role_not_permitted"
        case invalidResidentCode = "invalid_resident_code"
        case invalidCertificateKind = "invalid_certificate_kind"
        case noCertificateRequested = "no_certificate_requested"
        case duplicateCertificateKind = "duplicate_certificate_kind"
        case invalidDate = "invalid_date"
        case dateInFuture = "date_in_future"
        case dateBeforeMeiji = "date_before_meiji"
        case invalidSex = "invalid_sex"
        case emptyField = "empty_field"
        case nameTooLong = "name_too_long"
        case addressTooLong = "address_too_long"
        case controlCharacters = "control_characters"
        case invalidSubstituteMap = "invalid_substitute_map"
        case substituteMapLength = "substitute_map_length"
        case cardExpired = "card_expired"
        case missingCSR = "missing_csr"
        case unexpectedCSR = "unexpected_csr"
        case malformedCSR = "malformed_csr"
        case invalidCSRSignature = "invalid_csr_signature"
        case unsupportedKeyType = "unsupported_key_type"
        case unsupportedKeySize = "unsupported_key_size"
        case unsupportedPublicExponent = "unsupported_public_exponent"
        case keyReused = "key_reused"
        case underAge = "under_age"
    }

    public let code: Code
    public let field: String?
    public let message: String

    public init(_ code: Code, field: String?, _ message: String) {
        self.code = code
        self.field = field
        self.message = message
    }

    /// 403 for who-may-do-what, 400 for everything about the application itself.
    public var httpStatus: Int {
        switch code {
        case .forbiddenMunicipality, .roleNotPermitted: 403
        default: 400
        }
    }

    public var description: String { "\(code.rawValue)\(field.map { " (\($0))" } ?? ""): \(message)" }
}
