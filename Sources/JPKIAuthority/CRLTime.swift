import JPKIProfile
import SwiftASN1

/// Times in CRLs, from whole Unix seconds: RFC 5280 §5.1.2.4 and §5.1.2.6 ask for UTCTime for
/// dates through 2049 and GeneralizedTime from 2050, in UTC (`Z`) with whole seconds.
enum CRLTime {
    static func serialize(_ seconds: Int64, into coder: inout DER.Serializer) throws {
        let parts = civil(seconds)
        if parts.year < 2050 {
            try coder.serialize(UTCTime(year: parts.year, month: parts.month, day: parts.day,
                                        hours: parts.hours, minutes: parts.minutes, seconds: parts.seconds))
        } else {
            try coder.serialize(try generalized(seconds))
        }
    }

    /// The instant as GeneralizedTime, whatever the year: the form invalidityDate must take (§5.3.2).
    static func generalized(_ seconds: Int64) throws -> GeneralizedTime {
        let parts = civil(seconds)
        return try GeneralizedTime(year: parts.year, month: parts.month, day: parts.day, hours: parts.hours,
                                   minutes: parts.minutes, seconds: parts.seconds, fractionalSeconds: 0)
    }

    private static func civil(_ seconds: Int64) -> (year: Int, month: Int, day: Int, hours: Int, minutes: Int, seconds: Int) {
        let (days, remainder) = seconds.quotientAndRemainder(dividingBy: 86_400)
        let (dayNumber, secondOfDay) = remainder < 0 ? (days - 1, remainder + 86_400) : (days, remainder)
        let date = CalendarDate(daysSinceEpoch: dayNumber)
        let second = Int(secondOfDay)
        return (date.year, date.month, date.day, second / 3600, second / 60 % 60, second % 60)
    }
}
