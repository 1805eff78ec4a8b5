extension Sequence<UInt8> {
    /// Lowercase hexadecimal, two digits per byte: serial numbers and digests as the store,
    /// URLs and configuration write them. (Foundation's `String(format:)` is slow on Linux.)
    public var lowercaseHex: String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(underestimatedCount * 2)
        for byte in self {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}

extension StringProtocol {
    /// Whether every character is an ASCII hexadecimal digit, either case, checked by its UTF-8
    /// bytes: `Character.isHexDigit` also admits the fullwidth forms (U+FF10 "０", U+FF41 "ａ"),
    /// in which no serial, digest or identifier here is written, and which
    /// ``Swift/Array/init(hexadecimal:)`` then refuses.
    public var isASCIIHexadecimal: Bool {
        utf8.allSatisfy {
            (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains($0)
                || (UInt8(ascii: "A")...UInt8(ascii: "F")).contains($0)
        }
    }
}

extension Array<UInt8> {
    /// The bytes of an even-length hexadecimal string (either case), or `nil` if it is not one.
    public init?(hexadecimal text: String) {
        var text = text
        guard let bytes = text.withUTF8({ [UInt8](hexadecimalUTF8: UnsafeRawBufferPointer($0)) }) else { return nil }
        self = bytes
    }

    /// The bytes of hexadecimal digits given as UTF-8 (a stored serial read straight from the
    /// database's buffer, with no string made), or `nil` if they are not an even number of digits.
    public init?(hexadecimalUTF8 digits: UnsafeRawBufferPointer) {
        guard digits.count % 2 == 0 else { return nil }
        @inline(__always) func nibble(_ c: UInt8) -> UInt8? {
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): c &- UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): c &- UInt8(ascii: "a") &+ 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): c &- UInt8(ascii: "A") &+ 10
            default: nil
            }
        }
        var valid = true
        self.init(unsafeUninitializedCapacity: digits.count / 2) { buffer, count in
            var index = 0
            while index < digits.count {
                guard let high = nibble(digits[index]), let low = nibble(digits[index + 1]) else {
                    valid = false
                    break
                }
                buffer[index / 2] = high << 4 | low
                index += 2
            }
            count = index / 2
        }
        guard valid else { return nil }
    }
}
