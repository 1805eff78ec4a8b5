import Foundation
import JPKIProfile

/// A municipal desk's application, exactly as sent (JSON): every field optional and textual, so
/// that each problem can be reported against the field it concerns instead of as a decoding error.
///
/// ```json
/// { "municipalityCode": "131016", "residentCode": "12345678901",
///   "certificates": ["signing", "user-authentication"],
///   "fourItems": { "name": "…", "nameSubstituteMap": "…", "dateOfBirth": "1980-04-01", "sex": "1",
///                  "address": "…", "addressSubstituteMap": "…" },
///   "csrs": { "signing": "-----BEGIN CERTIFICATE REQUEST-----…", "user-authentication": "…" },
///   "cardExpiry": "2035-03-31" }
/// ```
public struct EnrollmentApplication: Sendable, Codable {
    public var municipalityCode: String?
    public var residentCode: String?
    public var certificates: [String]?
    public var fourItems: FourItemsFields?
    /// CSR per kind, keyed by kind name: PEM, or base64 of the DER.
    public var csrs: [String: String]?
    public var cardExpiry: String?

    public struct FourItemsFields: Sendable, Codable {
        public var name: String?
        public var nameSubstituteMap: String?
        public var dateOfBirth: String?
        public var sex: String?
        public var address: String?
        public var addressSubstituteMap: String?

        public init(name: String?, nameSubstituteMap: String?, dateOfBirth: String?, sex: String?,
                    address: String?, addressSubstituteMap: String?) {
            self.name = name
            self.nameSubstituteMap = nameSubstituteMap
            self.dateOfBirth = dateOfBirth
            self.sex = sex
            self.address = address
            self.addressSubstituteMap = addressSubstituteMap
        }
    }

    public init(municipalityCode: String?, residentCode: String?, certificates: [String]?,
                fourItems: FourItemsFields?, csrs: [String: String]?, cardExpiry: String? = nil) {
        self.municipalityCode = municipalityCode
        self.residentCode = residentCode
        self.certificates = certificates
        self.fourItems = fourItems
        self.csrs = csrs
        self.cardExpiry = cardExpiry
    }

    /// Decodes an application from JSON, reporting a body that is not JSON of this shape as
    /// `malformed_json`.
    public static func decode(json: some DataProtocol) throws(EnrollmentError) -> EnrollmentApplication {
        do {
            return try JSONDecoder().decode(EnrollmentApplication.self, from: Data(json))
        } catch let DecodingError.typeMismatch(_, context) {
            throw EnrollmentError(.malformedJSON, field: context.codingPath.dottedPath, "wrong JSON type: \(context.debugDescription)")
        } catch {
            throw EnrollmentError(.malformedJSON, field: nil, "the body is not a JSON enrollment application")
        }
    }
}

extension [any CodingKey] {
    var dottedPath: String? {
        isEmpty ? nil : map { $0.intValue.map(String.init) ?? $0.stringValue }.joined(separator: ".")
    }
}
