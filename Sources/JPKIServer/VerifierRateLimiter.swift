import Foundation
import JPKIConfiguration
import Synchronization

/// Each verifier's request rate, held to its configured limit by a token bucket: `burst`
/// requests at once, refilled at `requestsPerSecond`. Past it, a request is refused with 429
/// and told when a token will be there (Retry-After, RFC 9110 §10.2.3).
final class VerifierRateLimiter: Sendable {
    private struct Bucket {
        var tokens: Double
        var updated: ContinuousClock.Instant
    }

    private let buckets = Mutex<[String: Bucket]>([:])

    /// nil if the request may go ahead, else the seconds until it could.
    func admit(_ verifier: Verifier, at now: ContinuousClock.Instant = .now) -> Int? {
        let limit = verifier.limit
        return buckets.withLock { buckets in
            var bucket = buckets[verifier.id] ?? Bucket(tokens: Double(limit.burst), updated: now)
            let elapsed = now - bucket.updated
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            bucket.tokens = min(Double(limit.burst), bucket.tokens + seconds * limit.requestsPerSecond)
            bucket.updated = now
            defer { buckets[verifier.id] = bucket }
            guard bucket.tokens >= 1 else { return max(1, Int(((1 - bucket.tokens) / limit.requestsPerSecond).rounded(.up))) }
            bucket.tokens -= 1
            return nil
        }
    }

    /// 429 for `verifier` if it is over its limit.
    func check(_ verifier: Verifier) throws {
        if let retryAfter = admit(verifier) {
            throw APIError(.tooManyRequests, code: "rate_limited",
                           "verifier \(verifier.id) is over its limit of \(verifier.limit.requestsPerSecond) requests per second",
                           retryAfter: retryAfter)
        }
    }
}
