import Foundation
import JPKIAuthority
import JPKIConfiguration
import JPKIStore
import Testing
@testable import JPKIRevocation

/// The reader of flat notice lines decides only the lines it fully understands, and those
/// exactly as `JSONDecoder` would; every other line goes to `JSONDecoder`.
@Suite("Reading notice lines")
struct ChangeNoticeLineTests {
    static let feed = Operator(id: "feed", role: .registryFeed, municipality: nil, credential: "")
    static let validator = ChangeNoticeValidator(hasher: ResidentCodeHasher(secret: Data(repeating: 7, count: 32)),
                                                 futureTolerance: 300)
    static let now = Date(timeIntervalSince1970: 1_795_000_000)

    /// A line's outcome as compared here: the notice's content, or the error's code and field.
    func outcome(_ result: Result<NoticeApplication, NoticeLineRejection>) -> String {
        switch result {
        case .success(let notice):
            "\(notice.noticeID) \(notice.kind) \(notice.residentHash.base64EncodedString()) \(notice.effectiveAt.timeIntervalSince1970)"
        case .failure(let rejection):
            "\(rejection.error.code) \(rejection.error.field ?? "-") \(rejection.noticeID ?? "-")"
        }
    }

    /// What `JSONDecoder` alone makes of the line.
    func decoded(_ line: String) -> String {
        guard let notice = try? JSONDecoder().decode(ChangeNotice.self, from: Data(line.utf8)) else { return "undecodable" }
        do {
            return outcome(.success(try Self.validator.validate(notice, line: 1, feed: Self.feed, now: Self.now)))
        } catch {
            return outcome(.failure(NoticeLineRejection(notice: notice, error: error)))
        }
    }

    static let members = #""noticeId":"n-1","kind":"death","residentCode":"12345678901","municipalityCode":"131016","effectiveAt":"2026-11-18T09:00:00+09:00""#

    @Test(arguments: [
        "{\(members)}",
        " {\t\"kind\" : \"death\" , \"noticeId\":\"n-2\",\"residentCode\":\"12345678901\",\"municipalityCode\":\"131016\",\"effectiveAt\":\"2026-11-18T00:00:00Z\" }\r",
        #"{"noticeId":"n-3","kind":"death"}"#,
        "{}",
    ])
    func flatLinesAreReadAsJSONDecoderReadsThem(_ line: String) {
        #expect(ChangeNoticeLine.flatNotice(Array(line.utf8)) != nil)
        #expect(outcome(Self.validator.validate(line: Array(line.utf8), number: 1, feed: Self.feed, now: Self.now))
                == decoded(line))
    }

    @Test(arguments: [
        #"{"noticeId":"n\/4","kind":"death","residentCode":"12345678901","municipalityCode":"131016","effectiveAt":"2026-11-18T00:00:00Z"}"#,
        "{\(members),\"extra\":\"ignored by JSONDecoder\"}",
        "{\(members),\"kind\":\"move-out\"}",
        #"{"noticeId":7}"#,
        #"{"noticeId":null,"kind":"death"}"#,
        "{\(members),\"fourItems\":{\"name\":\"x\"}}",
        "{\(members)} trailing",
        "{\(members)",
        "[\"noticeId\"]",
    ])
    func otherLinesGoToJSONDecoder(_ line: String) {
        #expect(ChangeNoticeLine.flatNotice(Array(line.utf8)) == nil)
        let result = outcome(Self.validator.validate(line: Array(line.utf8), number: 1, feed: Self.feed, now: Self.now))
        let reference = decoded(line)
        #expect(reference == "undecodable" ? result.hasPrefix("malformedJSON") : result == reference)
    }

    @Test func bytesThatAreNotUTF8AreNotReadFlat() {
        var line = Array("{\"noticeId\":\"n-5\",\"kind\":\"death\"}".utf8)
        line[14] = 0xFF
        #expect(ChangeNoticeLine.flatNotice(line) == nil)
        #expect(outcome(Self.validator.validate(line: line, number: 1, feed: Self.feed, now: Self.now)).hasPrefix("malformedJSON"))
    }
}
