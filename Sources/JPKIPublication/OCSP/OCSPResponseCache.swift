import Synchronization

/// The pre-signed responses kept in memory: a bounded map from (CA, serial) to response,
/// evicting by the CLOCK algorithm (second chance), so that a responder for millions of
/// certificates holds the ones asked for most in a fixed amount of memory (about 350 bytes
/// per entry) and reads the rest from the store.
///
/// Sharded by key hash, one lock per shard, so that the event-loop threads rarely wait on
/// each other or on the refresher.
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

    private final class Shard: Sendable {
        struct State {
            var index: [Key: Int] = [:]
            var keys: [Key] = []
            var values: [PresignedResponse] = []
            var referenced: [Bool] = []
            var hand = 0
        }
        let state = Mutex(State())
    }

    private let shards: [Shard]
    private let shardCapacity: Int
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
        shards = (0..<count).map { _ in Shard() }
        shardCapacity = max(1, (capacity + count - 1) / count)
    }

    private func shard(_ key: Key) -> Shard {
        shards[Int(UInt(bitPattern: key.hashValue) % UInt(shards.count))]
    }

    public func response(for key: Key) -> PresignedResponse? {
        shard(key).state.withLock { state in
            guard let slot = state.index[key] else { return nil }
            state.referenced[slot] = true
            return state.values[slot]
        }
    }

    /// Stores `response`. With `unlessNewer`, a response already cached with a thisUpdate as
    /// late is kept: a lookup in the store must not replace what the signer has just put here
    /// (see also ``generation``).
    public func store(_ response: PresignedResponse, for key: Key, unlessNewer: Bool = false) {
        let capacity = shardCapacity
        shard(key).state.withLock { state in
            if let slot = state.index[key] {
                if unlessNewer, state.values[slot].thisUpdate >= response.thisUpdate { return }
                state.values[slot] = response
                return
            }
            if state.keys.count < capacity {
                state.index[key] = state.keys.count
                state.keys.append(key)
                state.values.append(response)
                state.referenced.append(false)
                return
            }
            // Second chance: pass over recently read entries, clearing their mark, and evict
            // the first one not read since the hand last passed.
            while state.referenced[state.hand] {
                state.referenced[state.hand] = false
                state.hand = (state.hand + 1) % capacity
            }
            let slot = state.hand
            state.index.removeValue(forKey: state.keys[slot])
            state.index[key] = slot
            state.keys[slot] = key
            state.values[slot] = response
            state.hand = (slot + 1) % capacity
        }
    }

    public var count: Int {
        shards.reduce(0) { total, shard in total + shard.state.withLock { $0.keys.count } }
    }
}
