import Synchronization

/// A bounded map that evicts by the CLOCK algorithm (second chance): an entry read since the
/// hand last passed it is kept one more round, so that what is asked for often stays in a fixed
/// amount of memory. Sharded by key hash, one lock per shard, so that the event-loop threads
/// rarely wait on each other or on a writer.
///
/// What the OCSP responder keeps in memory: pre-signed responses (``OCSPResponseCache``) and
/// which certificate each GET path names (``OCSPGetPaths``).
final class ClockCache<Key: Hashable & Sendable, Value: Sendable>: Sendable {
    private final class Shard: Sendable {
        struct State {
            var index: [Key: Int] = [:]
            var keys: [Key] = []
            var values: [Value] = []
            var referenced: [Bool] = []
            var hand = 0
        }
        let state = Mutex(State())
    }

    private let shards: [Shard]
    private let shardCapacity: Int

    init(capacity: Int, shards count: Int) {
        shards = (0..<count).map { _ in Shard() }
        shardCapacity = max(1, (capacity + count - 1) / count)
    }

    private func shard(_ key: Key) -> Shard {
        shards[Int(UInt(bitPattern: key.hashValue) % UInt(shards.count))]
    }

    func value(for key: Key) -> Value? {
        shard(key).state.withLock { state in
            guard let slot = state.index[key] else { return nil }
            state.referenced[slot] = true
            return state.values[slot]
        }
    }

    /// Stores `value`, unless an entry already there is one that `keeps` says must stay.
    /// `keeps` runs under the shard's lock: it must not use the cache.
    func store(_ value: Value, for key: Key, unlessKept keeps: (_ existing: Value) -> Bool = { _ in false }) {
        let capacity = shardCapacity
        shard(key).state.withLock { state in
            if let slot = state.index[key] {
                if keeps(state.values[slot]) { return }
                state.values[slot] = value
                return
            }
            if state.keys.count < capacity {
                state.index[key] = state.keys.count
                state.keys.append(key)
                state.values.append(value)
                state.referenced.append(false)
                return
            }
            // Pass over recently read entries, clearing their mark, and evict the first one not
            // read since the hand last passed.
            while state.referenced[state.hand] {
                state.referenced[state.hand] = false
                state.hand = (state.hand + 1) % capacity
            }
            let slot = state.hand
            state.index.removeValue(forKey: state.keys[slot])
            state.index[key] = slot
            state.keys[slot] = key
            state.values[slot] = value
            state.hand = (slot + 1) % capacity
        }
    }

    var count: Int {
        shards.reduce(0) { total, shard in total + shard.state.withLock { $0.keys.count } }
    }
}
