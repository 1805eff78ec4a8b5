import Foundation

/// The validity rules of the JPKI end-entity certificates (公的個人認証法施行規則).
///
/// A certificate runs from issuance until 23:59:59 JST on the holder's fifth birthday after the
/// day of issuance (発行の日から5回目の誕生日), or until the end of the card's expiry date if that
/// comes first. A renewal made within three months before the current certificate expires runs
/// until the sixth birthday instead, so that renewing early loses the holder nothing.
public enum CertificateLifetime {
    /// How long before expiry a renewal counts as early renewal.
    public static let renewalWindowMonths = 3

    /// The `nth` birthday strictly after `day`.
    public static func birthday(_ nth: Int, after day: CalendarDate, born: CalendarDate) -> CalendarDate {
        let thisYear = born.anniversary(in: day.year)
        let firstYear = thisYear > day ? day.year : day.year + 1
        return born.anniversary(in: firstYear + nth - 1)
    }

    /// The last instant of validity for a certificate issued at `issuance`.
    ///
    /// - Parameters:
    ///   - born: the holder's date of birth.
    ///   - cardExpiry: the card's last valid day, if the desk gave one.
    ///   - renewing: the expiry of the certificate of the same kind this one replaces, if any.
    public static func notAfter(issuance: Date, born: CalendarDate, cardExpiry: CalendarDate?,
                                renewing: Date? = nil) -> Date {
        let today = JapanStandardTime.date(of: issuance)
        var nth = 5
        // The window opens on the same day of the month three months before the current
        // certificate's last day (JST).
        if let renewing, renewing > issuance,
           today >= JapanStandardTime.date(of: renewing).addingMonths(-renewalWindowMonths) {
            nth = 6
        }
        var last = birthday(nth, after: today, born: born)
        if let cardExpiry, cardExpiry < last { last = cardExpiry }
        return JapanStandardTime.endOfDay(last)
    }

    /// Age in completed years on `day`: the year count rises on the birthday (29 February
    /// birthdays on 28 February in common years).
    public static func age(on day: CalendarDate, born: CalendarDate) -> Int {
        let years = day.year - born.year
        return born.anniversary(in: day.year) > day ? years - 1 : years
    }
}
