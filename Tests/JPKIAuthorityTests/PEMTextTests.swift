import JPKIAuthority
import SwiftASN1
import Testing

@Suite("PEM text")
struct PEMTextTests {
    /// The text swift-asn1 would write, for every length across several lines' worth (each
    /// remainder modulo the 48 octets of a line) and a few long ones; and it reads back.
    @Test func isSwiftASN1sTextAndReadsBack() throws {
        for length in Array(0...400) + [1_000, 2_047, 4_096] {
            let bytes = (0..<length).map { _ in UInt8.random(in: 0...255) }
            let document = PEMDocument(type: "CERTIFICATE", derBytes: bytes)
            #expect(document.text == document.pemString, "\(length) octets")
            if length > 0 { #expect(try PEMDocument(pemString: document.text).derBytes == bytes) }
        }
    }
}
