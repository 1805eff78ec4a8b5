import Synchronization

/// The pre-signed responses kept in memory: a bounded map from (CA, serial) to response
/// (a ``ClockCache``), so that a responder for millions of certificates holds the ones asked
/// for most in a fixed amount of memory (about 350 bytes per entry) and reads the rest from
/// the store.
public final class OCSPResponseCache: Sendable {
    /// A CA's index among the responder's issuers and a serial of up to 20 octets (RFC 5280
    /// §4.1.2.2), packed into fixed-width integers: hashing it allocates nothing.
    public struct Key: Hashable, Sendable {
        let high: UInt64
        let low: UInt64
        let tail: UInt32
        let length: UInt8
        let ca: UInt8

        /// nil for a serial longer than 20 octets, which no CA issues.
        public init?(ca: Int, serial: some Collection<UInt8>) {
            guard serial.count <= 20, (0...255).contains(ca) else { return nil }
            var words: (UInt64, UInt64, UInt32) = (0, 0, 0)
            for (offset, byte) in serial.enumerated() {
                switch offset {
                case 0..<8: words.0 |= UInt64(byte) << (8 * offset)
                case 8..<16: words.1 |= UInt64(byte) << (8 * (offset - 8))
                default: words.2 |= UInt32(byte) << (8 * (offset - 16))
                }
            }
            (high, low, tail, length) = (words.0, words.1, words.2, UInt8(serial.count))
            self.ca = UInt8(ca)
        }
    }

    private let entries: ClockCache<Key, PresignedResponse>
    private let publications = Mutex<UInt64>(0)

    /// Advanced each time the signer publishes. A reader that found nothing here notes it,
    /// reads the store, and keeps what it read only if no publication came in between: else the
    /// signer's newer response may have been stored and evicted meanwhile, and the store's older
    /// one must not take its place.
    public var generation: UInt64 { publications.withLock { $0 } }

    public func published() {
        publications.withLock { $0 &+= 1 }
    }

    public init(capacity: Int, shards count: Int = 16) {
        entries = ClockCache(capacity: capacity, shards: count)
    }

    public func response(for key: Key) -> PresignedResponse? {
        entries.value(for: key)
    }

    /// Stores `response`. With `unlessNewer`, a response already cached with a thisUpdate as
    /// late is kept: a lookup in the store must not replace what the signer has just put here
    /// (see also ``generation``).
    public func store(_ response: PresignedResponse, for key: Key, unlessNewer: Bool = false) {
        entries.store(response, for: key) { existing in unlessNewer && existing.thisUpdate >= response.thisUpdate }
    }

    public var count: Int { entries.count }
}
