import Foundation
import Testing
@testable import JPKIProfile

@Suite("Era digit of the JPKI date of birth")
struct JapaneseEraTests {
    @Test("each era starts on its first day", arguments: [
        ("1868-10-22", nil), ("1868-10-23", "1"), ("1912-07-29", "1"), ("1912-07-30", "2"),
        ("1926-12-24", "2"), ("1926-12-25", "3"), ("1989-01-07", "3"), ("1989-01-08", "4"),
        ("2019-04-30", "4"), ("2019-05-01", "5"), ("2024-02-29", "5"),
    ] as [(String, String?)])
    func boundaries(date: String, digit: String?) throws {
        let day = try #require(CalendarDate(iso8601: date))
        #expect(JapaneseEra(containing: day).map { "\($0.rawValue)" } == digit)
    }

    @Test func formatIsEraThenGregorianDate() throws {
        #expect(JapaneseEra.jpkiDateOfBirth(try #require(CalendarDate(iso8601: "1980-04-01"))) == "319800401")
        #expect(JapaneseEra.jpkiDateOfBirth(try #require(CalendarDate(iso8601: "2020-12-31"))) == "520201231")
        #expect(JapaneseEra.jpkiDateOfBirth(try #require(CalendarDate(iso8601: "1850-01-01"))) == nil)
    }

    @Test("dates are parsed strictly", arguments: ["2023-02-29", "2023-13-01", "2023-1-01", "20230101", "abcd-ef-gh", "", "2023-04-31"])
    func invalidDates(text: String) {
        #expect(CalendarDate(iso8601: text) == nil)
    }
}

@Suite("Day arithmetic")
struct DayArithmeticTests {
    @Test func dayNumbersRoundTripAgainstFoundation() {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(secondsFromGMT: 0)!
        for days in stride(from: Int64(-40_000), through: 80_000, by: 37) {
            let date = CalendarDate(daysSinceEpoch: days)
            #expect(date.daysSinceEpoch == days)
            let parts = calendar.dateComponents([.year, .month, .day], from: Date(timeIntervalSince1970: TimeInterval(days * 86_400)))
            #expect((date.year, date.month, date.day) == (parts.year!, parts.month!, parts.day!))
        }
    }

    @Test func japanIsNineHoursAhead() {
        // 2026-11-21 14:59:59Z is 23:59:59 JST; one second later it is the 22nd in Japan.
        #expect(JapanStandardTime.date(of: Date(timeIntervalSince1970: 1_795_273_199)).description == "2026-11-21")
        #expect(JapanStandardTime.date(of: Date(timeIntervalSince1970: 1_795_273_200)).description == "2026-11-22")
        #expect(JapanStandardTime.endOfDay(CalendarDate(iso8601: "2026-11-21")!) == Date(timeIntervalSince1970: 1_795_273_199))
    }

    @Test func addingMonthsClampsTheDay() {
        #expect(CalendarDate(iso8601: "2027-05-31")!.addingMonths(-3).description == "2027-02-28")
        #expect(CalendarDate(iso8601: "2028-05-31")!.addingMonths(-3).description == "2028-02-29")
        #expect(CalendarDate(iso8601: "2027-01-15")!.addingMonths(-3).description == "2026-10-15")
    }
}
