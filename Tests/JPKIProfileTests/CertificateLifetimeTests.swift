import Foundation
import Testing
@testable import JPKIProfile

@Suite("Validity: until the fifth birthday after issuance")
struct CertificateLifetimeTests {
    /// Noon JST on `date`.
    func noonJST(_ date: String) -> Date {
        JapanStandardTime.endOfDay(CalendarDate(iso8601: date)!).addingTimeInterval(-12 * 3600 + 1)
    }

    func notAfter(issued: String, born: String, card: String? = nil, renewing: Date? = nil) -> String {
        let end = CertificateLifetime.notAfter(issuance: noonJST(issued), born: CalendarDate(iso8601: born)!,
                                               cardExpiry: card.flatMap(CalendarDate.init(iso8601:)), renewing: renewing)
        return JapanStandardTime.date(of: end).description
    }

    @Test func fifthBirthdayAfterIssuance() {
        #expect(notAfter(issued: "2026-11-22", born: "1980-04-01") == "2031-04-01")
        #expect(notAfter(issued: "2026-03-31", born: "1980-04-01") == "2030-04-01")
    }

    @Test func issuanceOnTheBirthdayDoesNotCountIt() {
        #expect(notAfter(issued: "2026-04-01", born: "1980-04-01") == "2031-04-01")
    }

    @Test func endsAt235959JST() {
        let end = CertificateLifetime.notAfter(issuance: noonJST("2026-11-22"), born: CalendarDate(iso8601: "1980-04-01")!,
                                               cardExpiry: nil)
        // 2031-04-01 23:59:59 JST is 14:59:59Z.
        #expect(end == ISO8601DateFormatter().date(from: "2031-04-01T14:59:59Z"))
    }

    @Test func leapDayBirthdayFallsOnTheTwentyEighth() {
        #expect(notAfter(issued: "2026-06-01", born: "2004-02-29") == "2031-02-28")
        #expect(notAfter(issued: "2027-06-01", born: "2004-02-29") == "2032-02-29")
    }

    @Test func cardExpiryWinsWhenEarlier() {
        #expect(notAfter(issued: "2026-11-22", born: "1980-04-01", card: "2029-01-15") == "2029-01-15")
        #expect(notAfter(issued: "2026-11-22", born: "1980-04-01", card: "2035-01-15") == "2031-04-01")
    }

    @Test func earlyRenewalRunsToTheSixthBirthday() {
        let current = JapanStandardTime.endOfDay(CalendarDate(iso8601: "2027-01-10")!)
        // Within three months of the current certificate's expiry.
        #expect(notAfter(issued: "2026-11-22", born: "1980-01-10", renewing: current) == "2032-01-10")
        // More than three months before it: the ordinary fifth birthday.
        #expect(notAfter(issued: "2026-09-01", born: "1980-01-10", renewing: current) == "2031-01-10")
    }
}

@Suite("Eligibility")
struct EligibilityTests {
    @Test func signingNeedsFifteenYears() {
        let born = CalendarDate(iso8601: "2011-11-22")!
        #expect(!Eligibility.mayHold(.signing, born: born, on: CalendarDate(iso8601: "2026-11-21")!))
        #expect(Eligibility.mayHold(.signing, born: born, on: CalendarDate(iso8601: "2026-11-22")!))
        #expect(Eligibility.mayHold(.userAuthentication, born: born, on: CalendarDate(iso8601: "2012-01-01")!))
    }

    @Test func ageCountsCompletedYears() {
        let born = CalendarDate(iso8601: "2008-02-29")!
        #expect(CertificateLifetime.age(on: CalendarDate(iso8601: "2023-02-27")!, born: born) == 14)
        #expect(CertificateLifetime.age(on: CalendarDate(iso8601: "2023-02-28")!, born: born) == 15)
    }
}
