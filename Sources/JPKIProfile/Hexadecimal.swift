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
