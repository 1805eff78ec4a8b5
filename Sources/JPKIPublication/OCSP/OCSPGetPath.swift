import Foundation

/// The path of an OCSP GET request (RFC 6960 Appendix A.1): the DER request, base64-encoded,
/// then URL-encoded. Percent-escapes are decoded first; '+' is base64's, not a space; missing
/// '=' padding is tolerated, as some clients drop it.
public enum OCSPGetPath {
    public static func decode(_ path: Substring) -> [UInt8]? {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(path.utf8.count)
        var iterator = path.utf8.makeIterator()
        while let byte = iterator.next() {
            if byte == UInt8(ascii: "%") {
                guard let high = iterator.next().flatMap(hexValue), let low = iterator.next().flatMap(hexValue) else { return nil }
                bytes.append(high << 4 | low)
            } else {
                bytes.append(byte)
            }
        }
        while bytes.count % 4 != 0 { bytes.append(UInt8(ascii: "=")) }
        guard !bytes.isEmpty, let data = Data(base64Encoded: Data(bytes)) else { return nil }
        return Array(data)
    }

    private static func hexValue(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): c - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}

/// Which certificate each recently asked OCSP GET path names: the path (RFC 6960 Appendix A.1)
/// and the cache key of the one RFC 5019 CertID its request holds, so that a path asked again
/// costs one hash lookup instead of URL, base64 and DER decoding (about a seventh of the
/// server's time per GET in a `perf` profile under wrk, where the pre-signed answer itself was
/// in memory). A path maps to one request, so to one key, for good: what changes is only the
/// response under that key, which is looked up each time.
///
/// Bounded like the response cache (a ``ClockCache`` of as many entries), and in bytes: only
/// paths of at most ``longestPath`` octets are kept, about 300 bytes an entry with the map's
/// own share. A client can add entries only with requests answered from memory, so the worst it
/// can do is churn the map back to decoding every request.
final class OCSPGetPaths: Sendable {
    /// An RFC 5019 request with a 20-octet serial (RFC 5280 §4.1.2.2) is 87 octets, 116 in
    /// base64; with its '/', '+' and '=' escaped, as clients do, the path rarely passes 140. A
    /// longer path (everything escaped, or a request padded with extensions) is decoded each time.
    static let longestPath = 160

    /// A path compared and hashed by its octets (a `String` compares by Unicode canonical
    /// equivalence), its hash computed once: it picks the shard and the slot.
    struct Path: Hashable, Sendable {
        let text: String
        let hash: Int

        init(_ text: String) {
            self.text = text
            var hasher = Hasher()
            if text.utf8.withContiguousStorageIfAvailable({ hasher.combine(bytes: UnsafeRawBufferPointer($0)) }) == nil {
                for byte in text.utf8 { hasher.combine(byte) }
            }
            hash = hasher.finalize()
        }

        static func == (left: Path, right: Path) -> Bool {
            left.hash == right.hash && left.text.utf8.elementsEqual(right.text.utf8)
        }

        func hash(into hasher: inout Hasher) { hasher.combine(hash) }
    }

    private let keys: ClockCache<Path, OCSPResponseCache.Key>

    init(capacity: Int) {
        keys = ClockCache(capacity: capacity, shards: 16)
    }

    func key(for path: Path) -> OCSPResponseCache.Key? {
        keys.value(for: path)
    }

    func remember(_ path: Path, names key: OCSPResponseCache.Key) {
        guard path.text.utf8.count <= Self.longestPath else { return }
        keys.store(key, for: path)
    }

    var count: Int { keys.count }
}
