import Foundation
import Testing
@testable import JPKIRevocation

/// A report line is written by hand: it must be the text JSONEncoder with sorted keys and
/// unescaped slashes would write for the same result, in every combination of its optional parts.
@Suite("Report lines of notices")
struct NoticeResultTests {
    /// The result as JSONEncoder sees it: absent optionals are left out, as in the report format.
    struct Encoded: Encodable {
        struct Failure: Encodable {
            let code: String
            let field: String?
            let message: String
        }
        struct Revoked: Encodable {
            let issuer: String
            let serial: String
            let reason: String
        }
        let line: Int
        let noticeId: String?
        let kind: String?
        let outcome: String
        let revoked: [Revoked]?
        let error: Failure?

        init(_ result: NoticeResult) {
            line = result.line
            noticeId = result.noticeId
            kind = result.kind
            outcome = result.outcome
            revoked = result.revoked?.map { .init(issuer: $0.issuer, serial: $0.serial, reason: $0.reason) }
            error = result.error.map { .init(code: $0.code.rawValue, field: $0.field, message: $0.message) }
        }
    }

    static var results: [NoticeResult] {
        let revocations: [[NoticeResult.Revoked]?] = [
            nil, [],
            [.init(issuer: "13/signing", serial: "0a1b", reason: "affiliationChanged")],
            [.init(issuer: "13/signing", serial: "0a1b", reason: "cessationOfOperation"),
             .init(issuer: "13/user-authentication", serial: "ff00", reason: "cessationOfOperation")],
        ]
        let errors: [RevocationError?] = [
            nil,
            RevocationError(.malformedJSON, field: nil, "the line is not a JSON object"),
            RevocationError(.invalidResidentCode, field: "residentCode", "quote \" backslash \\ tab\t 東京/1"),
        ]
        var results: [NoticeResult] = []
        for noticeId in [nil, "n-1", "id \"quoted\""] as [String?] {
            for kind in [nil, "death"] as [String?] {
                for revoked in revocations {
                    for error in errors {
                        results.append(NoticeResult(line: results.count + 1, noticeId: noticeId, kind: kind,
                                                    outcome: error == nil ? "applied" : "rejected", revoked: revoked, error: error))
                    }
                }
            }
        }
        return results
    }

    @Test func eachLineIsWhatJSONEncoderWouldWrite() throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        for result in Self.results {
            #expect(result.json == String(decoding: try encoder.encode(Encoded(result)), as: UTF8.self))
        }
    }
}
