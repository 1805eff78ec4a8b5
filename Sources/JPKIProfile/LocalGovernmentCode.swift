/// A prefecture code (都道府県コード): 01 Hokkaido … 13 Tokyo … 47 Okinawa.
public struct PrefectureCode: Sendable, Hashable, Codable, Comparable, CustomStringConvertible {
    public let value: String

    public init?(_ text: String) {
        guard text.isASCIIDigits(count: 2), let n = Int(text), (1...47).contains(n) else {
            return nil
        }
        value = text
    }

    public var description: String { value }
    public static func < (a: Self, b: Self) -> Bool { a.value < b.value }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        guard let code = PrefectureCode(try container.decode(String.self)) else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "expected a prefecture code 01…47")
        }
        self = code
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(value)
    }
}

/// A local government code (全国地方公共団体コード): five digits and a check digit.
///
/// The check digit is 11 − (Σ digit × weight mod 11) over the first five digits with weights
/// 6, 5, 4, 3, 2, keeping only the last digit of the result (so 11 → 1 and 10 → 0), as the
/// Ministry of Internal Affairs specifies for the code.
public struct MunicipalityCode: Sendable, Hashable, Codable, Comparable, CustomStringConvertible {
    public enum ParseError: Error, Sendable, Equatable {
        /// Not six ASCII digits whose first two are a prefecture code, 01…47.
        case malformed
        /// Six digits whose last does not match the check digit of the first five.
        case badCheckDigit
    }

    public let value: String

    public init(validating text: String) throws(ParseError) {
        guard text.isASCIIDigits(count: 6), PrefectureCode(String(text.prefix(2))) != nil else {
            throw .malformed
        }
        let digits = text.utf8.map { Int($0 - UInt8(ascii: "0")) }
        guard digits[5] == MunicipalityCode.checkDigit(digits[0..<5]) else { throw .badCheckDigit }
        value = text
    }

    /// The check digit of the first five digits of a local government code.
    public static func checkDigit(_ firstFive: ArraySlice<Int>) -> Int {
        let sum = zip(firstFive, [6, 5, 4, 3, 2]).reduce(0) { $0 + $1.0 * $1.1 }
        return (11 - sum % 11) % 10
    }

    /// The prefecture the municipality belongs to: the code's first two digits, checked at parsing.
    public var prefecture: PrefectureCode { PrefectureCode(String(value.prefix(2)))! }

    public var description: String { value }
    public static func < (a: Self, b: Self) -> Bool { a.value < b.value }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        do {
            try self.init(validating: try container.decode(String.self))
        } catch {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "not a valid municipality code: \(error)")
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(value)
    }
}
