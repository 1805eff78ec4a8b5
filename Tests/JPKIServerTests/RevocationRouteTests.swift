import Foundation
import Hummingbird
import HummingbirdTesting
import JPKIEnrollment
import JPKIServer
import JPKIStore
import JPKITestSupport
import Testing

@Suite("HTTP API: revocation")
struct RevocationRouteTests {
    struct Metadata: Decodable {
        let serial: String
        let status: String
        let revocationReason: String?
    }

    struct NoticeAnswer: Decodable {
        struct Summary: Decodable {
            let notices: Int
            let applied: Int
            let rejected: Int
            let revoked: Int
        }
        struct Result: Decodable {
            struct Revoked: Decodable {
                let issuer: String
                let serial: String
                let reason: String
            }
            let line: Int
            let outcome: String
            let revoked: [Revoked]?
            let error: RouteTests.ErrorBody.Detail?
        }
        let summary: Summary
        let results: [Result]
    }

    static func bearer(_ secret: String) -> HTTPFields { [.authorization: "Bearer \(secret)", .contentType: "application/json"] }

    func withEnrolled(_ body: @Sendable (TestService, any TestClientProtocol, RouteTests.EnrollmentBody) async throws -> Void) async throws {
        try await RouteTests().withApp { service, client in
            let created = try await client.execute(uri: "/v1/enrollments", method: .post, headers: RouteTests.chiyoda,
                                                   body: try RouteTests.json(try Fixtures.application()))
            #expect(created.status == .created)
            try await body(service, client, try RouteTests.EnrollmentBody.decode(created.body))
        }
    }

    func errorCode(_ response: TestResponse) throws -> String {
        try JSONDecoder().decode(RouteTests.ErrorBody.self, from: Data(buffer: response.body)).error.code
    }

    @Test func holdReleaseRevokeOverHTTP() async throws {
        try await withEnrolled { service, client, issued in
            let path = "/v1/certificates/13/signing/\(issued.certificates[0].serial)"
            // The call centre suspends, but may not resume or revoke.
            let held = try await client.execute(uri: path + "/hold", method: .post, headers: Self.bearer("call-centre-secret"))
            #expect(held.status == .ok)
            let heldBody = try JSONDecoder().decode(Metadata.self, from: Data(buffer: held.body))
            #expect(heldBody.status == "suspended" && heldBody.revocationReason == "certificateHold")
            let refused = try await client.execute(uri: path + "/release", method: .post, headers: Self.bearer("call-centre-secret"))
            #expect(try refused.status == .forbidden && errorCode(refused) == "role_not_permitted")
            // Another municipality's desk may not touch it.
            let other = try await client.execute(uri: path + "/release", method: .post, headers: Self.bearer("shibuya-secret"))
            #expect(try other.status == .forbidden && errorCode(other) == "forbidden_municipality")
            // Its own desk resumes it, then revokes it.
            let released = try await client.execute(uri: path + "/release", method: .post, headers: RouteTests.chiyoda)
            #expect(try JSONDecoder().decode(Metadata.self, from: Data(buffer: released.body)).status == "valid")
            let noReason = try await client.execute(uri: path + "/revoke", method: .post, headers: RouteTests.chiyoda)
            #expect(try noReason.status == .badRequest && errorCode(noReason) == "missing_field")
            let badReason = try await client.execute(uri: path + "/revoke", method: .post, headers: RouteTests.chiyoda,
                                                     body: ByteBuffer(string: #"{"reason": "cACompromise"}"#))
            #expect(try badReason.status == .badRequest && errorCode(badReason) == "invalid_reason")
            let revoked = try await client.execute(uri: path + "/revoke", method: .post, headers: RouteTests.chiyoda,
                                                   body: ByteBuffer(string: #"{"reason": "keyCompromise"}"#))
            #expect(revoked.status == .ok)
            #expect(try JSONDecoder().decode(Metadata.self, from: Data(buffer: revoked.body)).revocationReason == "keyCompromise")
            // Final.
            let again = try await client.execute(uri: path + "/hold", method: .post, headers: RouteTests.chiyoda)
            #expect(try again.status == .conflict && errorCode(again) == "transition_not_allowed")
            let unknown = try await client.execute(uri: "/v1/certificates/13/signing/0abc/hold", method: .post,
                                                   headers: Self.bearer("admin-secret"))
            #expect(try unknown.status == .notFound && errorCode(unknown) == "unknown_certificate")
            let record = try #require(try service.runtime.database.certificate(ca: "13/signing", serial: issued.certificates[0].serial))
            #expect(record.status == .revoked && record.revocationReason == .keyCompromise)
        }
    }

    @Test func theFeedPostsNoticesAndNothingElse() async throws {
        try await withEnrolled { service, client, issued in
            let now = NoticeFeed.justNow()
            let body = [
                try NoticeFeed.line(id: "h1", kind: "move-out", resident: "12345678901", effectiveAt: now),
                "not json",
                try NoticeFeed.line(id: "h2", kind: "death", resident: "12345678901", effectiveAt: now),
            ].joined(separator: "\n")
            let desk = try await client.execute(uri: "/v1/notices", method: .post, headers: RouteTests.chiyoda,
                                                body: ByteBuffer(string: body))
            #expect(try desk.status == .forbidden && errorCode(desk) == "role_not_permitted")
            let response = try await client.execute(uri: "/v1/notices", method: .post,
                                                    headers: [.authorization: "Bearer feed-secret", .contentType: "application/x-ndjson"],
                                                    body: ByteBuffer(string: body))
            #expect(response.status == .ok)
            let answer = try JSONDecoder().decode(NoticeAnswer.self, from: Data(buffer: response.body))
            #expect(answer.summary.notices == 3 && answer.summary.applied == 2 && answer.summary.rejected == 1)
            #expect(answer.results.map(\.outcome) == ["applied", "rejected", "applied"])
            #expect(answer.results[0].revoked?.map(\.serial) == [issued.certificates[0].serial])
            #expect(answer.results[1].error?.code == "malformed_json" && answer.results[1].line == 2)
            #expect(answer.results[2].revoked?.map(\.reason) == ["cessationOfOperation"])
            // The feed cannot enroll or hold.
            let enroll = try await client.execute(uri: "/v1/enrollments", method: .post, headers: Self.bearer("feed-secret"),
                                                  body: try RouteTests.json(try Fixtures.application()))
            #expect(enroll.status == .forbidden)
            let hold = try await client.execute(uri: "/v1/certificates/13/user-authentication/\(issued.certificates[1].serial)/hold",
                                                method: .post, headers: Self.bearer("feed-secret"))
            #expect(hold.status == .forbidden)
            #expect(try service.runtime.database.certificateCount() == 2)
        }
    }

    @Test func anAdministratorRevokesAWholeCAWithConfirmation() async throws {
        try await withEnrolled { service, client, _ in
            let uri = "/v1/authorities/13/signing/revoke-all"
            let desk = try await client.execute(uri: uri, method: .post, headers: RouteTests.chiyoda,
                                                body: ByteBuffer(string: #"{"confirm": "13/signing"}"#))
            #expect(desk.status == .forbidden)
            let unconfirmed = try await client.execute(uri: uri, method: .post, headers: Self.bearer("admin-secret"),
                                                       body: ByteBuffer(string: #"{"confirm": "13/user-authentication"}"#))
            #expect(try unconfirmed.status == .badRequest && errorCode(unconfirmed) == "confirmation_required")
            #expect(try service.runtime.database.certificateCount(status: .revoked) == 0)
            let done = try await client.execute(uri: uri, method: .post, headers: Self.bearer("admin-secret"),
                                                body: ByteBuffer(string: #"{"confirm": "13/signing"}"#))
            #expect(done.status == .ok)
            #expect(String(buffer: done.body).contains("\"revoked\":1"))
            #expect(try service.runtime.database.certificateCount(status: .revoked) == 1)
            #expect(try service.runtime.database.certificateCount(status: .valid) == 1)
        }
    }
}
