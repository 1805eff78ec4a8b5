/// The Japanese era (元号) in which a date falls, as the era digit of the JPKI date of birth.
///
/// The JPKI date-of-birth item (OID 1.2.392.200149.8.5.5.4) is `EYYYYMMDD`: the era digit then
/// the Gregorian date. Era boundaries are the first day of each era in the Gregorian calendar.
public enum JapaneseEra: Int, Sendable, CaseIterable {
    case unknown = 0
    case meiji = 1
    case taisho = 2
    case showa = 3
    case heisei = 4
    case reiwa = 5

    /// First day of each era, newest first.
    private static let starts: [(JapaneseEra, CalendarDate)] = [
        (.reiwa, CalendarDate(year: 2019, month: 5, day: 1)!),
        (.heisei, CalendarDate(year: 1989, month: 1, day: 8)!),
        (.showa, CalendarDate(year: 1926, month: 12, day: 25)!),
        (.taisho, CalendarDate(year: 1912, month: 7, day: 30)!),
        (.meiji, CalendarDate(year: 1868, month: 10, day: 23)!),
    ]

    /// The era containing `date`, or `nil` for a date before the Meiji era.
    public init?(containing date: CalendarDate) {
        guard let match = Self.starts.first(where: { date >= $0.1 }) else { return nil }
        self = match.0
    }

    /// `EYYYYMMDD` for `date`, as written into the signing certificate.
    public static func jpkiDateOfBirth(_ date: CalendarDate) -> String? {
        guard let era = JapaneseEra(containing: date) else { return nil }
        return "\(era.rawValue)" + date.description.filter { $0 != "-" }
    }
}
