import Foundation

/// Instants written as RFC 3339 §5.6 `date-time`: `2026-11-20T09:30:00+09:00`,
/// `2026-11-20T00:30:00Z`, with optional fractional seconds. The offset is required, so that a
/// notice's time is never read in the wrong zone.
public enum Timestamp {
    /// `2026-11-20T00:30:00Z`: the instant to the second below it, in UTC, the form JSON
    /// answers carry.
    public static func format(_ date: Date) -> String {
        format(Int64(date.timeIntervalSince1970.rounded(.down)))
    }

    /// Whole Unix seconds as ``format(_:)-(Date)`` writes them, byte by byte into the string's
    /// storage: validity answers carry two or three of these each, by the ten thousand a second.
    public static func format(_ seconds: Int64) -> String {
        let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        let date = CalendarDate(daysSinceEpoch: days)
        let second = Int(seconds - days * 86_400)
        return String(unsafeUninitializedCapacity: 20) { out in
            func digits(_ value: Int, _ count: Int, at offset: Int) {
                var value = value
                for index in (offset..<offset + count).reversed() {
                    out[index] = UInt8(ascii: "0") + UInt8(value % 10)
                    value /= 10
                }
            }
            digits(date.year, 4, at: 0)
            digits(date.month, 2, at: 5)
            digits(date.day, 2, at: 8)
            digits(second / 3600, 2, at: 11)
            digits(second / 60 % 60, 2, at: 14)
            digits(second % 60, 2, at: 17)
            (out[4], out[7], out[10]) = (UInt8(ascii: "-"), UInt8(ascii: "-"), UInt8(ascii: "T"))
            (out[13], out[16], out[19]) = (UInt8(ascii: ":"), UInt8(ascii: ":"), UInt8(ascii: "Z"))
            return 20
        }
    }

    /// Parses `text` strictly, or returns `nil`. Fractions are accepted and truncated to the second:
    /// revocation times in CRLs and OCSP have whole seconds (RFC 5280 §4.1.2.5).
    public static func parse(_ text: String) -> Date? {
        let bytes = Array(text.utf8)
        guard bytes.count >= 20, bytes[4] == UInt8(ascii: "-"), bytes[7] == UInt8(ascii: "-"),
              bytes[10] == UInt8(ascii: "T") || bytes[10] == UInt8(ascii: "t"),
              bytes[13] == UInt8(ascii: ":"), bytes[16] == UInt8(ascii: ":") else { return nil }
        func number(_ range: Range<Int>) -> Int? {
            var value = 0
            for index in range {
                guard index < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[index]) else { return nil }
                value = value * 10 + Int(bytes[index] - UInt8(ascii: "0"))
            }
            return value
        }
        guard let year = number(0..<4), let month = number(5..<7), let day = number(8..<10),
              let date = CalendarDate(year: year, month: month, day: day),
              let hour = number(11..<13), let minute = number(14..<16), let second = number(17..<19),
              hour < 24, minute < 60, second < 60 else { return nil }
        var index = 19
        if bytes[index] == UInt8(ascii: ".") {
            index += 1
            let start = index
            while index < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[index]) { index += 1 }
            guard index > start, index < bytes.count else { return nil }
        }
        let offset: Int
        switch bytes[index] {
        case UInt8(ascii: "Z"), UInt8(ascii: "z"):
            guard index + 1 == bytes.count else { return nil }
            offset = 0
        case UInt8(ascii: "+"), UInt8(ascii: "-"):
            guard index + 6 == bytes.count, bytes[index + 3] == UInt8(ascii: ":"),
                  let hours = number(index + 1..<index + 3), let minutes = number(index + 4..<index + 6),
                  hours < 24, minutes < 60 else { return nil }
            offset = (hours * 3600 + minutes * 60) * (bytes[index] == UInt8(ascii: "-") ? -1 : 1)
        default:
            return nil
        }
        let seconds = date.daysSinceEpoch * 86_400 + Int64(hour * 3600 + minute * 60 + second) - Int64(offset)
        return Date(timeIntervalSince1970: TimeInterval(seconds))
    }
}
