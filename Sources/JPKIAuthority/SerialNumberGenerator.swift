import X509

/// Certificate serial numbers: 16 octets from the system CSPRNG with the top two bits fixed
/// (126 random bits), positive, always 16 octets long.
///
/// RFC 5280 §4.1.2.2 allows at most 20 octets and asks for positive integers; the CA/Browser
/// Forum's baseline asks for at least 64 bits of CSPRNG output. Random serials also mean a
/// serial reveals nothing about how many residents were issued certificates, or when.
public enum SerialNumberGenerator {
    public static func next() -> Certificate.SerialNumber {
        var generator = SystemRandomNumberGenerator()
        var bytes = (0..<16).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        // Clear the sign bit and keep the first octet non-zero, so the DER INTEGER is positive
        // and always 16 octets long.
        bytes[0] = (bytes[0] & 0x7F) | 0x01
        return Certificate.SerialNumber(bytes: bytes)
    }
}
