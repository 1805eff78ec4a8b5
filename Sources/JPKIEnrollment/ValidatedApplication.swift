import Foundation
import JPKIAuthority
import JPKIConfiguration
import JPKIProfile
import X509

/// An application that passed every check of the profile and of the configuration: what the
/// RA hands to issuance.
public struct ValidatedApplication: Sendable {
    public let prefecture: PrefectureConfiguration
    public let municipality: PrefectureConfiguration.Municipality
    public let residentCode: ResidentCode
    public let fourItems: BasicFourItems
    /// The public key to certify for each requested kind, proven by its CSR.
    public let keys: [CertificateKind: Certificate.PublicKey]
    public let cardExpiry: CalendarDate?

    /// The requested kinds in a fixed order: signing first.
    public var kinds: [CertificateKind] { CertificateKind.allCases.filter { keys[$0] != nil } }
}

/// Checks an application field by field, in the order the fields appear, and stops at the first
/// problem. Checks that need no secret and touch nothing come first; the CSR signatures last.
public struct ApplicationValidator: Sendable {
    public let configuration: Configuration

    public init(configuration: Configuration) {
        self.configuration = configuration
    }

    /// Validates `application` sent by `requester` on `today` (JST).
    public func validate(_ application: EnrollmentApplication, requester: Operator,
                         today: CalendarDate) throws(EnrollmentError) -> ValidatedApplication {
        guard requester.role == .desk else {
            throw EnrollmentError(.roleNotPermitted, field: nil, "only municipal desk operators may enroll residents")
        }
        let (prefecture, municipality) = try municipalityOf(application)
        guard requester.municipality == municipality.code else {
            throw EnrollmentError(.forbiddenMunicipality, field: "municipalityCode",
                                  "operator \(requester.id) may enroll residents of \(requester.municipality?.value ?? "no municipality") only")
        }
        guard let residentText = application.residentCode else {
            throw EnrollmentError(.missingField, field: "residentCode", "the resident code is required")
        }
        guard let residentCode = ResidentCode(residentText) else {
            throw EnrollmentError(.invalidResidentCode, field: "residentCode", "the resident code must be 11 digits")
        }
        let kinds = try requestedKinds(application)
        let fourItems = try Self.fourItems(application.fourItems, today: today)
        let cardExpiry = try cardExpiryOf(application, today: today)
        if kinds.contains(.signing), !Eligibility.mayHold(.signing, born: fourItems.dateOfBirth, on: today) {
            throw EnrollmentError(.underAge, field: "fourItems.dateOfBirth",
                                  "the signing certificate is not issued to residents under \(Eligibility.minimumSigningAge)")
        }
        let keys = try keysOf(application, kinds: kinds)
        return ValidatedApplication(prefecture: prefecture, municipality: municipality, residentCode: residentCode,
                                    fourItems: fourItems, keys: keys, cardExpiry: cardExpiry)
    }

    func municipalityOf(_ application: EnrollmentApplication) throws(EnrollmentError)
        -> (PrefectureConfiguration, PrefectureConfiguration.Municipality)
    {
        guard let text = application.municipalityCode else {
            throw EnrollmentError(.missingField, field: "municipalityCode", "the municipality code is required")
        }
        let code: MunicipalityCode
        do {
            code = try MunicipalityCode(validating: text)
        } catch .malformed {
            throw EnrollmentError(.invalidMunicipalityCode, field: "municipalityCode", "a municipality code is six digits, the first two a prefecture code 01–47")
        } catch {
            throw EnrollmentError(.badCheckDigit, field: "municipalityCode", "the check digit of \(text) is wrong")
        }
        guard let found = configuration.municipality(code) else {
            throw EnrollmentError(.unknownMunicipality, field: "municipalityCode", "municipality \(code) is not served by this CA")
        }
        return found
    }

    func requestedKinds(_ application: EnrollmentApplication) throws(EnrollmentError) -> [CertificateKind] {
        guard let names = application.certificates else {
            throw EnrollmentError(.missingField, field: "certificates", "name the certificates to issue")
        }
        guard !names.isEmpty else {
            throw EnrollmentError(.noCertificateRequested, field: "certificates", "request at least one certificate")
        }
        var kinds: [CertificateKind] = []
        for (index, name) in names.enumerated() {
            guard let kind = CertificateKind(rawValue: name) else {
                throw EnrollmentError(.invalidCertificateKind, field: "certificates.\(index)",
                                      "\"\(name)\" is not signing or user-authentication")
            }
            guard !kinds.contains(kind) else {
                throw EnrollmentError(.duplicateCertificateKind, field: "certificates.\(index)", "\(name) is requested twice")
            }
            kinds.append(kind)
        }
        return kinds
    }

    /// The four items of an application or a change notice (`fourItems` in both), checked field
    /// by field against the profile on `today` (JST).
    public static func fourItems(_ fields: EnrollmentApplication.FourItemsFields?,
                                 today: CalendarDate) throws(EnrollmentError) -> BasicFourItems {
        guard let fields else {
            throw EnrollmentError(.missingField, field: "fourItems", "the basic four items are required")
        }
        func required(_ value: String?, _ name: String) throws(EnrollmentError) -> String {
            guard let value else { throw EnrollmentError(.missingField, field: "fourItems.\(name)", "\(name) is required") }
            return value
        }
        let name = try required(fields.name, "name")
        let nameMap = try required(fields.nameSubstituteMap, "nameSubstituteMap")
        let dateText = try required(fields.dateOfBirth, "dateOfBirth")
        guard let dateOfBirth = CalendarDate(iso8601: dateText) else {
            throw EnrollmentError(.invalidDate, field: "fourItems.dateOfBirth", "\"\(dateText)\" is not a date as YYYY-MM-DD")
        }
        let sexText = try required(fields.sex, "sex")
        guard let sex = Sex(rawValue: sexText) else {
            throw EnrollmentError(.invalidSex, field: "fourItems.sex", "sex is 1 (male), 2 (female) or 3 (unknown)")
        }
        let address = try required(fields.address, "address")
        let addressMap = try required(fields.addressSubstituteMap, "addressSubstituteMap")
        let items = BasicFourItems(name: name, nameSubstituteMap: nameMap, dateOfBirth: dateOfBirth, sex: sex,
                                   address: address, addressSubstituteMap: addressMap)
        if let violation = items.firstViolation(today: today) {
            throw Self.error(for: violation)
        }
        return items
    }

    static func error(for violation: BasicFourItems.Violation) -> EnrollmentError {
        let field = "fourItems.\(violation.field)"
        switch violation.rule {
        case .empty: return EnrollmentError(.emptyField, field: field, "\(violation.field) must not be empty")
        case .tooLong where violation.field == "address":
            return EnrollmentError(.addressTooLong, field: field,
                                   "the address is longer than \(BasicFourItems.maximumAddressLength) characters")
        case .tooLong:
            return EnrollmentError(.nameTooLong, field: field, "the name is longer than \(BasicFourItems.maximumNameLength) characters")
        case .controlCharacters: return EnrollmentError(.controlCharacters, field: field, "\(violation.field) contains control characters")
        case .substituteMapCharacters:
            return EnrollmentError(.invalidSubstituteMap, field: field, "a substitute-character map holds only the digits 0 and 1")
        case .substituteMapLength:
            return EnrollmentError(.substituteMapLength, field: field, "a substitute-character map has one digit per character")
        case .beforeMeiji: return EnrollmentError(.dateBeforeMeiji, field: field, "the date precedes the Meiji era")
        case .inTheFuture: return EnrollmentError(.dateInFuture, field: field, "the date of birth is in the future")
        }
    }

    func cardExpiryOf(_ application: EnrollmentApplication, today: CalendarDate) throws(EnrollmentError) -> CalendarDate? {
        guard let text = application.cardExpiry else { return nil }
        guard let date = CalendarDate(iso8601: text) else {
            throw EnrollmentError(.invalidDate, field: "cardExpiry", "\"\(text)\" is not a date as YYYY-MM-DD")
        }
        guard date >= today else { throw EnrollmentError(.cardExpired, field: "cardExpiry", "the card expired on \(date)") }
        return date
    }

    func keysOf(_ application: EnrollmentApplication, kinds: [CertificateKind]) throws(EnrollmentError)
        -> [CertificateKind: Certificate.PublicKey]
    {
        let csrs = application.csrs ?? [:]
        for name in csrs.keys.sorted() where !kinds.contains(where: { $0.rawValue == name }) {
            throw EnrollmentError(.unexpectedCSR, field: "csrs.\(name)", "a CSR was sent for a certificate not requested")
        }
        var keys: [CertificateKind: Certificate.PublicKey] = [:]
        for kind in kinds {
            let field = "csrs.\(kind.rawValue)"
            guard let text = csrs[kind.rawValue] else {
                throw EnrollmentError(.missingCSR, field: field, "a CSR is required for each requested certificate")
            }
            let key: Certificate.PublicKey
            do {
                key = try ProofOfPossession.verify(try ProofOfPossession.parse(text))
            } catch {
                throw Self.error(for: error, field: field)
            }
            if keys.values.contains(key) {
                throw EnrollmentError(.keyReused, field: field, "each certificate needs its own key pair")
            }
            keys[kind] = key
        }
        return keys
    }

    static func error(for rejection: ProofOfPossession.Rejection, field: String) -> EnrollmentError {
        switch rejection {
        case .malformed:
            EnrollmentError(.malformedCSR, field: field, "not a PKCS#10 request in PEM or base64 DER")
        case .invalidSignature:
            EnrollmentError(.invalidCSRSignature, field: field, "the CSR's signature does not verify: no proof of possession")
        case .unsupportedKeyType:
            EnrollmentError(.unsupportedKeyType, field: field, "JPKI certificates certify RSA keys only")
        case .keySize(let bits):
            EnrollmentError(.unsupportedKeySize, field: field,
                            "an RSA key of \(bits) bits; \(ProofOfPossession.minimumRSABits)–\(ProofOfPossession.maximumRSABits) are accepted")
        case .publicExponent:
            EnrollmentError(.unsupportedPublicExponent, field: field, "the RSA public exponent must be 65537")
        }
    }
}
