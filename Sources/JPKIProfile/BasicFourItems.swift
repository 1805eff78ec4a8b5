/// The basic four items (基本4情報) of a resident as the resident registry holds them:
/// name, date of birth, sex and address, with the substitute-character maps for name and address.
///
/// Only the signing certificate carries them. Validation here is the profile's: lengths, map
/// shapes and the date's range; whether the items match the registry is the desk's duty.
public struct BasicFourItems: Sendable, Hashable, Codable {
    /// Surname, an ideographic (full-width) space, given name; characters outside the JIS sets
    /// already replaced by their substitutes.
    public var name: String
    /// One digit per character of ``name``: `0` as registered, `1` substituted.
    public var nameSubstituteMap: String
    public var dateOfBirth: CalendarDate
    public var sex: Sex
    /// From the prefecture on, no postcode.
    public var address: String
    /// One digit per character of ``address``, as for the name.
    public var addressSubstituteMap: String

    /// The profile's cap on the address: 200 characters.
    public static let maximumAddressLength = 200
    /// A cap on the name, so that no item can grow a certificate without bound.
    public static let maximumNameLength = 100

    public init(name: String, nameSubstituteMap: String, dateOfBirth: CalendarDate, sex: Sex,
                address: String, addressSubstituteMap: String) {
        self.name = name
        self.nameSubstituteMap = nameSubstituteMap
        self.dateOfBirth = dateOfBirth
        self.sex = sex
        self.address = address
        self.addressSubstituteMap = addressSubstituteMap
    }

    /// A rule of the profile that the items break, and which item breaks it.
    public struct Violation: Error, Sendable, Equatable {
        public enum Rule: String, Sendable {
            case empty
            case tooLong
            case substituteMapLength
            case substituteMapCharacters
            case beforeMeiji
            case inTheFuture
            case controlCharacters
        }
        /// The item's name as it appears in an application (`name`, `addressSubstituteMap`, …).
        public let field: String
        public let rule: Rule
    }

    /// Checks every rule of the profile and returns the first violation, item by item in
    /// application order, or `nil` if the items are acceptable on `today` (a JST date).
    public func firstViolation(today: CalendarDate) -> Violation? {
        if let v = Self.checkText(name, field: "name", limit: Self.maximumNameLength) { return v }
        if let v = Self.checkMap(nameSubstituteMap, for: name, field: "nameSubstituteMap") { return v }
        if JapaneseEra(containing: dateOfBirth) == nil { return Violation(field: "dateOfBirth", rule: .beforeMeiji) }
        if dateOfBirth > today { return Violation(field: "dateOfBirth", rule: .inTheFuture) }
        if let v = Self.checkText(address, field: "address", limit: Self.maximumAddressLength) { return v }
        if let v = Self.checkMap(addressSubstituteMap, for: address, field: "addressSubstituteMap") { return v }
        return nil
    }

    private static func checkText(_ text: String, field: String, limit: Int) -> Violation? {
        if text.isEmpty { return Violation(field: field, rule: .empty) }
        if text.count > limit { return Violation(field: field, rule: .tooLong) }
        // Control and format characters (Cc, Cf: e.g. U+202E RIGHT-TO-LEFT OVERRIDE) would let an
        // item display as something other than what it is.
        if text.unicodeScalars.contains(where: { [.control, .format].contains($0.properties.generalCategory) }) {
            return Violation(field: field, rule: .controlCharacters)
        }
        return nil
    }

    private static func checkMap(_ map: String, for text: String, field: String) -> Violation? {
        guard map.allSatisfy({ $0 == "0" || $0 == "1" }) else {
            return Violation(field: field, rule: .substituteMapCharacters)
        }
        guard map.count == text.count else { return Violation(field: field, rule: .substituteMapLength) }
        return nil
    }
}
