import Foundation

/// Japan Standard Time (UTC+9, no daylight saving), the clock of the resident registry and of
/// the JPKI validity rules: a certificate ends at 23:59:59 JST, 14:59:59Z.
///
/// With a fixed offset and the proleptic Gregorian calendar, dates are plain arithmetic on day
/// numbers (CalendarDate.daysSinceEpoch); no Foundation Calendar is needed on the issuance path.
public enum JapanStandardTime {
    public static let offsetSeconds: Int64 = 9 * 3600

    /// The calendar date in Japan at `instant`.
    public static func date(of instant: Date) -> CalendarDate {
        let local = Int64(instant.timeIntervalSince1970.rounded(.down)) + offsetSeconds
        return CalendarDate(daysSinceEpoch: local >= 0 ? local / 86_400 : (local - 86_399) / 86_400)
    }

    /// The last second of `date` in Japan: 23:59:59 JST.
    public static func endOfDay(_ date: CalendarDate) -> Date {
        Date(timeIntervalSince1970: TimeInterval(date.daysSinceEpoch * 86_400 + 86_399 - offsetSeconds))
    }
}
