import Foundation
import Hummingbird
import HummingbirdTesting
import JPKIEnrollment
import JPKIPublication
import JPKIServer
import JPKITestSupport
import Testing
import X509

@Suite("HTTP API")
struct RouteTests {
    struct ErrorBody: Decodable {
        struct Detail: Decodable {
            let code: String
            let field: String?
            let message: String
        }
        let error: Detail
    }

    struct EnrollmentBody: Codable {
        struct Issued: Codable {
            struct Reference: Codable {
                let issuer: String
                let serial: String
            }
            let kind: String
            let issuer: String
            let serial: String
            let notBefore: Date
            let notAfter: Date
            let crlPartition: String
            let supersedes: Reference?
            let certificate: String
        }
        let certificates: [Issued]

        /// Decoded as a client would, with ISO 8601 dates, keys checked against the text.
        static func decode(_ buffer: ByteBuffer) throws -> Self {
            let decoder = JSONDecoder()
            decoder.dateDecodingStrategy = .iso8601
            return try decoder.decode(Self.self, from: Data(buffer: buffer))
        }

        /// The text Foundation's encoder wrote for the same answer before the answer was written
        /// directly: sorted keys, ISO 8601 dates, unescaped slashes, absent optionals left out.
        var encodedByFoundation: String {
            get throws {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
                encoder.dateEncodingStrategy = .iso8601
                return String(decoding: try encoder.encode(self), as: UTF8.self)
            }
        }
    }

    func withApp(_ body: @Sendable (TestService, any TestClientProtocol) async throws -> Void) async throws {
        let service = try TestService.make()
        defer { service.remove() }
        let crl = CRLPublisher(runtime: service.runtime, root: service.directory.appendingPathComponent("crl"), logger: service.logger)
        let app = Application(router: APIRoutes.router(runtime: service.runtime, crl: crl, ocsp: try OCSPService(
            runtime: service.runtime, dataDirectory: service.directory, logger: service.logger)))
        try await app.test(.router) { client in try await body(service, client) }
    }

    static func json(_ application: EnrollmentApplication) throws -> ByteBuffer {
        ByteBuffer(bytes: try JSONEncoder().encode(application))
    }

    static let chiyoda: HTTPFields = [.authorization: "Bearer chiyoda-secret", .contentType: "application/json"]

    @Test func enrollsAndFetchesOverHTTP() async throws {
        try await withApp { service, client in
            let body = try Self.json(try Fixtures.application())
            let created = try await client.execute(uri: "/v1/enrollments", method: .post, headers: Self.chiyoda, body: body)
            #expect(created.status == .created)
            #expect(created.headers[.contentType] == "application/json")
            let issued = try EnrollmentBody.decode(created.body)
            #expect(issued.certificates.map(\.kind) == ["signing", "user-authentication"])
            #expect(issued.certificates.map(\.issuer) == ["13/signing", "13/user-authentication"])
            #expect(issued.certificates[0].crlPartition == "131016")
            #expect(issued.certificates.allSatisfy { $0.supersedes == nil })
            // The answer's fields are the certificate's own.
            for entry in issued.certificates {
                let certificate = try Certificate(pemEncoded: entry.certificate)
                #expect(entry.serial == certificate.serialNumber.hex)
                #expect(entry.notBefore == certificate.notValidBefore && entry.notAfter == certificate.notValidAfter)
            }
            #expect(String(buffer: created.body) == (try issued.encodedByFoundation))
            let signing = issued.certificates[0]
            let pem = try Certificate(pemEncoded: signing.certificate)
            // DER by default, PEM on request, the record as JSON.
            do {
                let response = try await client.execute(uri: "/v1/certificates/13/signing/\(signing.serial)", method: .get, headers: Self.chiyoda)
                #expect(response.status == .ok)
                #expect(response.headers[.contentType] == "application/pkix-cert")
                #expect(try Certificate(derEncoded: Array(buffer: response.body)) == pem)
            }
            do {
                let response = try await client.execute(uri: "/v1/certificates/13/signing/\(signing.serial.uppercased())?format=pem",
                                                        method: .get, headers: Self.chiyoda)
                #expect(response.status == .ok)
                #expect(try Certificate(pemEncoded: String(buffer: response.body)) == pem)
            }
            do {
                let response = try await client.execute(uri: "/v1/certificates/13/signing/\(signing.serial)?format=json", method: .get,
                                     headers: [.authorization: "Bearer admin-secret"])
                #expect(response.status == .ok)
                let text = String(buffer: response.body)
                #expect(text.contains("\"status\":\"valid\"") && text.contains("\"crlPartition\":\"131016\""))
            }
            // Another municipality's desk cannot see it.
            do {
                let response = try await client.execute(uri: "/v1/certificates/13/signing/\(signing.serial)", method: .get,
                                     headers: [.authorization: "Bearer shibuya-secret"])
                #expect(response.status == .notFound)
            }
            // Enrolling again supersedes.
            let again = try Self.json(try Fixtures.application(signingKey: 2, authKey: 3))
            do {
                let response = try await client.execute(uri: "/v1/enrollments", method: .post, headers: Self.chiyoda, body: again)
                #expect(response.status == .created)
                let second = try EnrollmentBody.decode(response.body)
                #expect(second.certificates[0].supersedes?.serial == signing.serial)
                #expect(second.certificates[0].supersedes?.issuer == "13/signing")
                #expect(second.certificates[1].supersedes?.serial == issued.certificates[1].serial)
                #expect(String(buffer: response.body) == (try second.encodedByFoundation))
            }
            #expect(try service.runtime.database.certificateCount() == 4)
            let fetched = try service.runtime.database.recentAuditEntries(limit: 100).filter { $0.action == "certificate.fetched" }
            #expect(fetched.map(\.actor).sorted() == ["admin", "desk-chiyoda", "desk-chiyoda"])
        }
    }

    @Test func authenticationAndAuthorisation() async throws {
        try await withApp { service, client in
            let body = try Self.json(try Fixtures.application())
            do {
                let response = try await client.execute(uri: "/v1/enrollments", method: .post, body: body)
                #expect(response.status == .unauthorized)
                #expect(try JSONDecoder().decode(ErrorBody.self, from: Data(buffer: response.body)).error.code == "unauthenticated")
            }
            do {
                let response = try await client.execute(uri: "/v1/enrollments", method: .post, headers: [.authorization: "Bearer guess"], body: body)
                #expect(response.status == .unauthorized)
                #expect(try JSONDecoder().decode(ErrorBody.self, from: Data(buffer: response.body)).error.code == "invalid_credential")
            }
            do {
                let response = try await client.execute(uri: "/v1/enrollments", method: .post, headers: [.authorization: "Bearer shibuya-secret"], body: body)
                #expect(response.status == .forbidden)
                let error = try JSONDecoder().decode(ErrorBody.self, from: Data(buffer: response.body)).error
                #expect(error.code == "forbidden_municipality" && error.field == "municipalityCode")
            }
            #expect(try service.runtime.database.certificateCount() == 0)
        }
    }

    @Test func validationErrorsAreJSONAndChangeNothing() async throws {
        try await withApp { service, client in
            var application = try Fixtures.application()
            application.fourItems?.dateOfBirth = "1985-13-01"
            do {
                let response = try await client.execute(uri: "/v1/enrollments", method: .post, headers: Self.chiyoda, body: try Self.json(application))
                #expect(response.status == .badRequest)
                let error = try JSONDecoder().decode(ErrorBody.self, from: Data(buffer: response.body)).error
                #expect(error.code == "invalid_date" && error.field == "fourItems.dateOfBirth")
            }
            do {
                let response = try await client.execute(uri: "/v1/enrollments", method: .post, headers: Self.chiyoda, body: ByteBuffer(string: "{oops"))
                #expect(response.status == .badRequest)
                #expect(try JSONDecoder().decode(ErrorBody.self, from: Data(buffer: response.body)).error.code == "malformed_json")
            }
            let huge = ByteBuffer(repeating: UInt8(ascii: " "), count: 300 * 1024)
            do {
                let response = try await client.execute(uri: "/v1/enrollments", method: .post, headers: Self.chiyoda, body: huge)
                #expect(response.status == .contentTooLarge)
                #expect(try JSONDecoder().decode(ErrorBody.self, from: Data(buffer: response.body)).error.code == "body_too_large")
            }
            do {
                let response = try await client.execute(uri: "/no/such/route", method: .get)
                #expect(response.status == .notFound)
                #expect(try JSONDecoder().decode(ErrorBody.self, from: Data(buffer: response.body)).error.code == "not_found")
            }
            do {
                let response = try await client.execute(uri: "/v1/certificates/13/signing/zz", method: .get, headers: Self.chiyoda)
                #expect(response.status == .badRequest)
                #expect(try JSONDecoder().decode(ErrorBody.self, from: Data(buffer: response.body)).error.code == "invalid_serial")
            }
            #expect(try service.runtime.database.certificateCount() == 0)
            #expect(try service.runtime.database.recentAuditEntries(limit: 10).allSatisfy { $0.action == "ca.created" })
        }
    }

    @Test func publicCACertificatesAndHealth() async throws {
        try await withApp { service, client in
            do {
                let response = try await client.execute(uri: "/ca/13/signing.der", method: .get)
                #expect(response.status == .ok)
                #expect(response.headers[.contentType] == "application/pkix-cert")
                #expect(try Certificate(derEncoded: Array(buffer: response.body)) == service.authority(.signing).certificate)
            }
            do {
                let response = try await client.execute(uri: "/ca/13/user-authentication.pem", method: .get)
                #expect(try Certificate(pemEncoded: String(buffer: response.body)) == service.authority(.userAuthentication).certificate)
            }
            do {
                let response = try await client.execute(uri: "/ca/47/signing.der", method: .get)
                #expect(response.status == .notFound)
            }
            do {
                // A wrong credential does not lock anyone out of the public routes.
                let wrong = try await client.execute(uri: "/ca/13/signing.der", method: .get, headers: [.authorization: "Bearer stale"])
                #expect(wrong.status == .ok)
                let response = try await client.execute(uri: "/health", method: .get)
                #expect(response.status == .ok)
                let text = String(buffer: response.body)
                #expect(text.contains("\"status\":\"ok\"") && text.contains("\"mode\":\"development\"") && text.contains("13/signing"))
            }
        }
    }
}
