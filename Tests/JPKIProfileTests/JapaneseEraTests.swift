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
