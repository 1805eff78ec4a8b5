/// The resident code (住民票コード): 11 digits, assigned by the resident registry.
///
/// The law forbids its use in the JPKI area: it must never appear in a certificate, a CRL, an
/// OCSP answer, a log line or an API answer, and it is stored only as a keyed hash. This type
/// therefore redacts itself when printed or reflected, so that a stray interpolation cannot
/// leak it; the digits are reachable only through ``withDigits(_:)``, for hashing.
public struct ResidentCode: Sendable, Hashable, CustomStringConvertible, CustomDebugStringConvertible,
    CustomReflectable
{
    private let digits: String

    public init?(_ text: String) {
        guard text.isASCIIDigits(count: 11) else { return nil }
        digits = text
    }

    /// Gives the digits to `body`, for keyed hashing only.
    public func withDigits<R>(_ body: (String) throws -> R) rethrows -> R { try body(digits) }

    public var description: String { "<resident code redacted>" }
    public var debugDescription: String { description }
    public var customMirror: Mirror { Mirror(self, children: []) }
}
