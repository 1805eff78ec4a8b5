import Foundation

/// The `ocsp:` section of `service.yaml`: who may ask, how long responses and responder
/// certificates live, and how many responses are kept in memory. Every field is optional.
public struct OCSPSettings: Sendable, Codable, Equatable {
    /// Who may send OCSP requests.
    public enum Access: String, Sendable, Codable {
        /// Anyone: OCSP as a public service.
        case open
        /// Registered verifiers only, with their bearer credential (the real service charges
        /// verifiers per check); each request is rate limited and audited.
        case registered
    }

    /// Default `open`.
    public var access: Access?
    /// nextUpdate − thisUpdate of pre-signed responses; default 24 hours. A response is
    /// re-signed once half of this has passed.
    public var responseValidityHours: Int?
    /// Life of a delegated responder certificate; default 7 days. A new one is made when half
    /// of it is left (RFC 6960 §4.2.2.2.1: short-lived, since it carries ocsp-nocheck).
    public var responderValidityDays: Int?
    /// Responses kept in memory; default 200,000 (about 70 MiB). The rest are read from the
    /// store when asked for.
    public var cacheCapacity: Int?
    /// Cache-Control max-age of a response, capped at its nextUpdate (RFC 5019 §6.2); default
    /// 60 seconds, so that an HTTP cache between verifier and responder shows a revocation
    /// within a minute.
    public var httpMaxAgeSeconds: Int?

    public init(access: Access? = nil, responseValidityHours: Int? = nil, responderValidityDays: Int? = nil,
                cacheCapacity: Int? = nil, httpMaxAgeSeconds: Int? = nil) {
        self.access = access
        self.responseValidityHours = responseValidityHours
        self.responderValidityDays = responderValidityDays
        self.cacheCapacity = cacheCapacity
        self.httpMaxAgeSeconds = httpMaxAgeSeconds
    }

    public var accessMode: Access { access ?? .open }
    public var responseValidity: TimeInterval { TimeInterval((responseValidityHours ?? 24) * 3600) }
    public var responderValidity: TimeInterval { TimeInterval((responderValidityDays ?? 7) * 86_400) }
    public var cacheEntries: Int { cacheCapacity ?? 200_000 }
    public var httpMaxAge: Int { httpMaxAgeSeconds ?? 60 }

    /// Why the settings cannot work, or `nil`. A responder certificate is renewed when half its
    /// life is left, and must outlive every response it signed until then.
    func problem() -> String? {
        if let hours = responseValidityHours, !(1...168).contains(hours) { return "ocsp.responseValidityHours must be 1…168" }
        if let days = responderValidityDays, !(1...90).contains(days) { return "ocsp.responderValidityDays must be 1…90" }
        if responderValidity / 2 < responseValidity {
            return "ocsp.responderValidityDays must be at least twice ocsp.responseValidityHours"
        }
        if let entries = cacheCapacity, !(1_000...50_000_000).contains(entries) { return "ocsp.cacheCapacity must be 1000…50000000" }
        if let seconds = httpMaxAgeSeconds, !(0...86_400).contains(seconds) { return "ocsp.httpMaxAgeSeconds must be 0…86400" }
        return nil
    }
}

/// A registered verifier (署名検証者 / 利用者証明検証者): a government body or a business the
/// minister approved, checking certificates online.
public struct Verifier: Sendable, Codable, Equatable {
    public enum Tier: String, Sendable, Codable {
        /// May check validity, follow linkage and read a signing certificate holder's latest
        /// four items, each lookup for a stated purpose.
        case government
        /// May check validity only.
        case `private`
    }

    /// Requests per second a verifier may make, with a burst allowance (a token bucket).
    public struct RateLimit: Sendable, Codable, Equatable {
        public var requestsPerSecond: Double
        public var burst: Int

        public init(requestsPerSecond: Double, burst: Int) {
            self.requestsPerSecond = requestsPerSecond
            self.burst = burst
        }
    }

    public var id: String
    public var tier: Tier
    /// `sha256:<hex>` of the verifier's bearer credential.
    public var credential: String
    /// Default 100 requests per second, burst 200.
    public var rateLimit: RateLimit?

    public init(id: String, tier: Tier, credential: String, rateLimit: RateLimit? = nil) {
        self.id = id
        self.tier = tier
        self.credential = credential
        self.rateLimit = rateLimit
    }

    public var limit: RateLimit { rateLimit ?? RateLimit(requestsPerSecond: 100, burst: 200) }
}

/// Why a government verifier looks up linkage or the four items: each lookup must state one
/// of the configured purposes (the law allows these lookups for stated uses only).
public struct LookupPurpose: Sendable, Codable, Equatable {
    public var code: String
    public var description: String

    public init(code: String, description: String) {
        self.code = code
        self.description = description
    }
}
