import Foundation
@testable import JPKIServer
import Testing

@Suite("HTTP dates (RFC 9110 §5.6.7)")
struct HTTPDateTests {
    /// The same text as Foundation's formatter, for dates across leap years, century years and
    /// every hour of the day; and each reads back to its second.
    @Test func formatsAsFoundationDoesAndReadsBack() {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss 'GMT'"
        var generator = SystemRandomNumberGenerator()
        let chosen: [Int64] = [0, 86_399, 86_400, 951_782_400, 951_868_799, 4_107_542_400, 253_402_300_799]
        for seconds in chosen + (0..<5_000).map({ _ in Int64.random(in: -2_208_988_800...4_102_444_800, using: &generator) }) {
            let text = HTTPDate.format(seconds)
            #expect(text == formatter.string(from: Date(timeIntervalSince1970: TimeInterval(seconds))), "\(seconds)")
            #expect(HTTPDate.parse(text) == seconds)
        }
    }
}
