import Testing
@testable import JPKIServer

@Suite("Certificate paths: /{prefecture}/{kind}/{serial}")
struct CertificatePathTests {
    @Test func aSerialIsLowercasedHex() throws {
        let (ca, serial) = try APIRoutes.certificatePath(prefecture: "13", kind: "signing", serial: "0A1b")
        #expect(ca.description == "13/signing")
        #expect(serial == "0a1b")
        // 20 octets, the most RFC 5280 §4.1.2.2 allows.
        let longest = String(repeating: "F", count: 40)
        #expect(try APIRoutes.certificatePath(prefecture: "13", kind: "signing", serial: longest).1 == longest.lowercased())
    }

    /// Hexadecimal is ASCII: fullwidth digits and letters (U+FF10, U+FF41), which
    /// `Character.isHexDigit` admits, are not a serial; nor is a serial over 20 octets.
    @Test(arguments: ["", "zz", "０ａ", "Ａ", "0x1f", String(repeating: "f", count: 41)])
    func whatIsNotASerialIsRefused(_ text: String) {
        do {
            let (_, serial) = try APIRoutes.certificatePath(prefecture: "13", kind: "signing", serial: text)
            Issue.record("\(serial) was taken for a serial")
        } catch let error as APIError {
            #expect(error.code == "invalid_serial")
        } catch {
            Issue.record(error)
        }
    }
}
