import X509

/// Certificate serial numbers: 16 octets from the system CSPRNG, the first octet's sign bit
/// cleared and lowest bit set (126 random bits), so always positive and 16 octets long.
///
/// RFC 5280 §4.1.2.2 allows at most 20 octets and asks for positive integers; the CA/Browser
/// Forum's baseline asks for at least 64 bits of CSPRNG output. Random serials also mean a
/// serial reveals nothing about how many residents were issued certificates, or when.
public enum SerialNumberGenerator {
    public static func next() -> Certificate.SerialNumber {
        var bytes = randomBytes(16)
        // Clear the sign bit and keep the first octet non-zero, so the DER INTEGER is positive
        // and always 16 octets long.
        bytes[0] = (bytes[0] & 0x7F) | 0x01
        return Certificate.SerialNumber(bytes: bytes)
    }
}

/// `count` bytes from the system CSPRNG (getrandom(2)), eight per call.
func randomBytes(_ count: Int) -> [UInt8] {
    var generator = SystemRandomNumberGenerator()
    var bytes: [UInt8] = []
    bytes.reserveCapacity(count + 7)
    while bytes.count < count {
        withUnsafeBytes(of: generator.next() as UInt64) { bytes.append(contentsOf: $0) }
    }
    return Array(bytes.prefix(count))
}
