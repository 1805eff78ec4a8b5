import Foundation

/// Japan Standard Time (UTC+9, no daylight saving), the clock of the resident registry and of
/// the JPKI validity rules: a certificate ends at 23:59:59 JST, 14:59:59Z.
public enum JapanStandardTime {
    public static let timeZone = TimeZone(secondsFromGMT: 9 * 3600)!

    static let calendar: Calendar = {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        return calendar
    }()

    /// The calendar date in Japan at `instant`.
    public static func date(of instant: Date) -> CalendarDate {
        let parts = calendar.dateComponents([.year, .month, .day], from: instant)
        return CalendarDate(year: parts.year!, month: parts.month!, day: parts.day!)!
    }

    /// The last second of `date` in Japan: 23:59:59 JST.
    public static func endOfDay(_ date: CalendarDate) -> Date {
        calendar.date(from: DateComponents(year: date.year, month: date.month, day: date.day,
                                           hour: 23, minute: 59, second: 59))!
    }
}
