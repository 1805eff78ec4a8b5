import Foundation
import JPKIProfile
import Testing

@Suite("Change-notice rules table")
struct ChangeNoticeRulesTests {
    /// The table of `jpki-profile.md` (Revocation), case by case: the expected reason per
    /// certificate kind, `nil` where the certificate is kept.
    static let table: [(ChangeNoticeKind, signing: RevocationReason?, userAuthentication: RevocationReason?)] = [
        (.moveWithinMunicipality, .affiliationChanged, nil),
        (.moveOut, .affiliationChanged, nil),
        (.moveIn, .affiliationChanged, nil),
        (.addressCorrection, .affiliationChanged, nil),
        (.nameChange, .affiliationChanged, nil),
        (.sexCorrection, .affiliationChanged, nil),
        (.dateOfBirthCorrection, .affiliationChanged, nil),
        (.emigration, .affiliationChanged, nil),
        (.death, .cessationOfOperation, .cessationOfOperation),
        (.removal, .cessationOfOperation, .cessationOfOperation),
    ]

    @Test func everyKindIsInTheTable() {
        #expect(Set(Self.table.map(\.0)) == Set(ChangeNoticeKind.allCases))
    }

    @Test(arguments: ChangeNoticeRulesTests.table.indices)
    func revokesAsTheTableSays(_ row: Int) {
        let (kind, signing, userAuthentication) = Self.table[row]
        #expect(kind.revocationReason(for: .signing) == signing, "\(kind) on signing")
        #expect(kind.revocationReason(for: .userAuthentication) == userAuthentication, "\(kind) on user authentication")
    }

    @Test func onlyChangesOfTheFourItemsCarryThem() {
        #expect(ChangeNoticeKind.nameChange.mayCarryFourItems && ChangeNoticeKind.moveIn.mayCarryFourItems)
        #expect(!ChangeNoticeKind.death.mayCarryFourItems && !ChangeNoticeKind.removal.mayCarryFourItems)
        #expect(!ChangeNoticeKind.emigration.mayCarryFourItems)
    }

    @Test func reasonsReadBackByName() {
        for reason in RevocationReason.allCases { #expect(RevocationReason(name: reason.name) == reason) }
        #expect(RevocationReason(name: "KeyCompromise") == nil)
    }
}

@Suite("RFC 3339 timestamps")
struct TimestampTests {
    @Test func parsesOffsetsAndFractions() {
        let expected = Date(timeIntervalSince1970: 1_795_134_600)  // 2026-11-20T00:30:00Z
        #expect(Timestamp.parse("2026-11-20T00:30:00Z") == expected)
        #expect(Timestamp.parse("2026-11-20T09:30:00+09:00") == expected)
        #expect(Timestamp.parse("2026-11-19T19:30:00-05:00") == expected)
        #expect(Timestamp.parse("2026-11-20T00:30:00.999Z") == expected)
    }

    /// Formatted as Foundation's ISO 8601 formatter formats the same second, across days,
    /// months, leap days, years and the epoch, and read back by ``Timestamp/parse(_:)``.
    @Test(arguments: [0 as Int64, -1, 86_399, 86_400, 951_782_400, 951_868_799, 1_795_134_600, 1_798_761_599,
                      1_798_761_600, 4_102_444_800, -31_536_000] as [Int64])
    func formatsWholeSecondsInUTC(_ seconds: Int64) {
        let formatter = ISO8601DateFormatter()
        formatter.timeZone = TimeZone(identifier: "UTC")
        let date = Date(timeIntervalSince1970: TimeInterval(seconds))
        #expect(Timestamp.format(seconds) == formatter.string(from: date))
        #expect(Timestamp.parse(Timestamp.format(seconds)) == date)
    }

    @Test(arguments: ["2026-11-20", "2026-11-20T09:30:00", "2026-11-20 09:30:00Z", "2026-02-30T00:00:00Z",
                      "2026-11-20T24:00:00Z", "2026-11-20T09:30:00+0900", "2026-11-20T09:30:00.Z", "２０２６-11-20T00:00:00Z",
                      "2026-11-20T09:30:00Zjunk", ""])
    func refusesWhatIsNotRFC3339WithOffset(_ text: String) {
        #expect(Timestamp.parse(text) == nil)
    }
}
