import Foundation
import JPKIConfiguration
import JPKIEnrollment
import JPKIStore
import JPKITestSupport
import Testing
import _CryptoExtras
import Crypto
import SwiftASN1
import X509

/// Every refusal names its field and code, and leaves the store exactly as it was.
@Suite("Enrollment validation errors")
struct ValidationTests {
    typealias Mutation = @Sendable (inout EnrollmentApplication) throws -> Void

    static let cases: [(String, EnrollmentError.Code, String?, Mutation)] = [
        ("no municipality", .missingField, "municipalityCode", { $0.municipalityCode = nil }),
        ("short municipality", .invalidMunicipalityCode, "municipalityCode", { $0.municipalityCode = "13101" }),
        ("bad check digit", .badCheckDigit, "municipalityCode", { $0.municipalityCode = "131017" }),
        ("unknown municipality", .unknownMunicipality, "municipalityCode", { $0.municipalityCode = "271004" }),
        ("no resident code", .missingField, "residentCode", { $0.residentCode = nil }),
        ("bad resident code", .invalidResidentCode, "residentCode", { $0.residentCode = "1234567890X" }),
        ("no certificates", .missingField, "certificates", { $0.certificates = nil }),
        ("empty certificates", .noCertificateRequested, "certificates", { $0.certificates = [] }),
        ("unknown kind", .invalidCertificateKind, "certificates.1", { $0.certificates = ["signing", "encryption"] }),
        ("kind twice", .duplicateCertificateKind, "certificates.1", { $0.certificates = ["signing", "signing"] }),
        ("no four items", .missingField, "fourItems", { $0.fourItems = nil }),
        ("no name", .missingField, "fourItems.name", { $0.fourItems?.name = nil }),
        ("empty name", .emptyField, "fourItems.name", { $0.fourItems?.name = ""; $0.fourItems?.nameSubstituteMap = "" }),
        ("long name", .nameTooLong, "fourItems.name", { $0.fourItems?.name = String(repeating: "山", count: 101); $0.fourItems?.nameSubstituteMap = String(repeating: "0", count: 101) }),
        ("bad name map", .invalidSubstituteMap, "fourItems.nameSubstituteMap", { $0.fourItems?.nameSubstituteMap = "00x00" }),
        ("short name map", .substituteMapLength, "fourItems.nameSubstituteMap", { $0.fourItems?.nameSubstituteMap = "00" }),
        ("bad date", .invalidDate, "fourItems.dateOfBirth", { $0.fourItems?.dateOfBirth = "1985-02-30" }),
        ("date format", .invalidDate, "fourItems.dateOfBirth", { $0.fourItems?.dateOfBirth = "S60.6.15" }),
        ("future birth", .dateInFuture, "fourItems.dateOfBirth", { $0.fourItems?.dateOfBirth = "2099-01-01" }),
        ("pre-Meiji birth", .dateBeforeMeiji, "fourItems.dateOfBirth", { $0.fourItems?.dateOfBirth = "1860-01-01" }),
        ("bad sex", .invalidSex, "fourItems.sex", { $0.fourItems?.sex = "M" }),
        ("address too long", .addressTooLong, "fourItems.address", {
            $0.fourItems?.address = String(repeating: "あ", count: 201)
            $0.fourItems?.addressSubstituteMap = String(repeating: "0", count: 201)
        }),
        ("control characters", .controlCharacters, "fourItems.address", { $0.fourItems?.address = "東京都\u{0007}"; $0.fourItems?.addressSubstituteMap = "0000" }),
        ("address map length", .substituteMapLength, "fourItems.addressSubstituteMap", { $0.fourItems?.addressSubstituteMap = "0" }),
        ("bad card expiry", .invalidDate, "cardExpiry", { $0.cardExpiry = "someday" }),
        ("expired card", .cardExpired, "cardExpiry", { $0.cardExpiry = "2020-01-01" }),
        ("under fifteen", .underAge, "fourItems.dateOfBirth", {
            let born = Calendar.current.date(byAdding: .year, value: -14, to: Date())!
            $0.fourItems?.dateOfBirth = String(ISO8601DateFormatter().string(from: born).prefix(10))
        }),
        ("missing CSR", .missingCSR, "csrs.user-authentication", { $0.csrs?["user-authentication"] = nil }),
        ("CSR not requested", .unexpectedCSR, "csrs.user-authentication", { $0.certificates = ["signing"] }),
        ("garbage CSR", .malformedCSR, "csrs.signing", { $0.csrs?["signing"] = "hello" }),
        ("forged CSR", .invalidCSRSignature, "csrs.signing", { app in
            var der = try PEMDocument(pemString: app.csrs!["signing"]!).derBytes
            der[der.count - 1] ^= 0xFF
            app.csrs?["signing"] = Data(der).base64EncodedString()
        }),
        ("EC key", .unsupportedKeyType, "csrs.signing", { $0.csrs?["signing"] = try Fixtures.csr(Certificate.PrivateKey(P256.Signing.PrivateKey())) }),
        ("RSA-1024", .unsupportedKeySize, "csrs.signing", { $0.csrs?["signing"] = try Fixtures.opensslCSR(bits: 1024) }),
        ("exponent 3", .unsupportedPublicExponent, "csrs.signing", { $0.csrs?["signing"] = try Fixtures.opensslCSR(bits: 2048, exponent: 3) }),
        ("one key for both", .keyReused, "csrs.user-authentication", { app in
            let signing = app.csrs?["signing"]
            app.csrs?["user-authentication"] = signing
        }),
    ]

    @Test("refused with code and field, nothing written", arguments: cases.indices)
    func refused(index: Int) async throws {
        let (_, code, field, mutate) = Self.cases[index]
        let service = try TestService.make()
        defer { service.remove() }
        var application = try Fixtures.application()
        try mutate(&application)
        let auditBefore = try service.runtime.database.recentAuditEntries(limit: 1000).count
        do {
            _ = try await service.runtime.enrollment.enroll(application, by: TestService.chiyodaDesk)
            Issue.record("case \(Self.cases[index].0) was accepted")
        } catch let error as EnrollmentError {
            #expect(error.code == code, "case \(Self.cases[index].0): \(error)")
            #expect(error.field == field, "case \(Self.cases[index].0): \(error)")
            #expect(error.httpStatus == 400)
        }
        #expect(try service.runtime.database.certificateCount() == 0)
        #expect(try service.runtime.database.recentAuditEntries(limit: 1000).count == auditBefore)
    }

    @Test func theTableCoversEveryApplicationErrorCode() {
        let covered = Set(Self.cases.map(\.1))
        // Codes raised outside validate(): JSON decoding and authorisation, tested elsewhere.
        let elsewhere: Set<EnrollmentError.Code> = [.malformedJSON, .forbiddenMunicipality, .roleNotPermitted]
        #expect(Set(EnrollmentError.Code.allCases).subtracting(covered).subtracting(elsewhere).isEmpty)
    }

    @Test func malformedJSONNamesTheWrongType() {
        #expect(throws: EnrollmentError(.malformedJSON, field: nil, "the body is not a JSON enrollment application")) {
            try EnrollmentApplication.decode(json: Data("{not json".utf8))
        }
        do {
            _ = try EnrollmentApplication.decode(json: Data(#"{"certificates": "signing"}"#.utf8))
            Issue.record("a string for an array was accepted")
        } catch {
            #expect(error.code == .malformedJSON)
            #expect(error.field == "certificates")
        }
    }
}

@Suite("Operator credential digests in the configuration")
struct CredentialDigestTests {
    @Test func aDigestIsSixtyFourLowercaseASCIIHexDigits() {
        let digest = OperatorCredential.digest(of: "secret")
        #expect(OperatorCredential.parseDigest(digest) == String(digest.dropFirst(7)))
        #expect(OperatorCredential.parseDigest(digest.uppercased()) == nil)
        #expect(OperatorCredential.parseDigest("sha256:" + String(repeating: "a", count: 63)) == nil)
        // Fullwidth "ａ" passes `Character.isHexDigit` but is no hex digit a credential's bytes
        // can be read from: such a digest would load and then match no one.
        #expect(OperatorCredential.parseDigest("sha256:" + String(repeating: "ａ", count: 64)) == nil)
    }
}
