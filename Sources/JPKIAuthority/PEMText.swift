import Foundation
import SwiftASN1

extension PEMDocument {
    /// The document as PEM text (RFC 7468 §2): the same text as swift-asn1's `pemString`
    /// (base64 in lines of 64 characters, "\n" between lines, none after the END line), made by
    /// Foundation's line-wrapping base64 encoder.
    ///
    /// Why not `pemString`: it counts the characters left in the base64 before cutting each
    /// line, which is quadratic in the length; for the two certificates of an enrollment it was
    /// a tenth of the CPU time of the whole request over HTTP (`perf`, `jpki-ca bench issue`).
    public var text: String {
        let base64 = Data(derBytes).base64EncodedString(options: [.lineLength64Characters, .endLineWithLineFeed])
        let body = base64.isEmpty ? "" : base64 + "\n"
        return "-----BEGIN \(discriminator)-----\n" + body + "-----END \(discriminator)-----"
    }
}
