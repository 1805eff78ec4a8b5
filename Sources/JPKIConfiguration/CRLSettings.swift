import Foundation

/// The `crl:` section of `service.yaml`: where CRLs go and how often they are renewed. Every
/// field is optional; the defaults follow the real service's daily CRLs.
public struct CRLSettings: Sendable, Codable, Equatable {
    /// Published CRLs, relative to the working directory unless absolute; default `crl`.
    public var directory: String?
    /// nextUpdate − thisUpdate of full CRLs and ARLs; default 24 hours (RFC 5280 §5.1.2.5).
    public var validityHours: Int?
    /// A full CRL is re-signed this long before its nextUpdate; default 6 hours, so every
    /// partition is renewed every 18 hours and never served stale.
    public var renewBeforeHours: Int?
    /// How often `serve` publishes delta CRLs of the partitions that changed; default 300 seconds.
    public var deltaIntervalSeconds: Int?
    /// nextUpdate − thisUpdate of delta CRLs; default 1 hour. An unchanged partition's delta is
    /// re-signed when a quarter of this is left.
    public var deltaValidityMinutes: Int?
    /// Days a revoked certificate stays on its CRL after it expires; default 0. The law keeps
    /// revocation records until the certificate's own expiry; the store keeps them longer.
    public var retainExpiredDays: Int?

    public init(directory: String? = nil, validityHours: Int? = nil, renewBeforeHours: Int? = nil,
                deltaIntervalSeconds: Int? = nil, deltaValidityMinutes: Int? = nil, retainExpiredDays: Int? = nil) {
        self.directory = directory
        self.validityHours = validityHours
        self.renewBeforeHours = renewBeforeHours
        self.deltaIntervalSeconds = deltaIntervalSeconds
        self.deltaValidityMinutes = deltaValidityMinutes
        self.retainExpiredDays = retainExpiredDays
    }

    public var directoryPath: String { directory ?? "crl" }
    public var validity: TimeInterval { TimeInterval((validityHours ?? 24) * 3600) }
    public var renewBefore: TimeInterval { TimeInterval((renewBeforeHours ?? 6) * 3600) }
    public var deltaInterval: TimeInterval { TimeInterval(deltaIntervalSeconds ?? 300) }
    public var deltaValidity: TimeInterval { TimeInterval((deltaValidityMinutes ?? 60) * 60) }
    public var retainExpired: TimeInterval { TimeInterval((retainExpiredDays ?? 0) * 86_400) }

    /// Why the settings cannot work, or `nil`. A CRL must be re-signed before its nextUpdate
    /// passes, so each renewal window must hold at least two publication passes.
    func problem() -> String? {
        if let hours = validityHours, !(1...24 * 31).contains(hours) { return "crl.validityHours must be 1…744" }
        if let hours = renewBeforeHours, hours < 1 { return "crl.renewBeforeHours must be at least 1" }
        if renewBefore >= validity { return "crl.renewBeforeHours must be shorter than crl.validityHours" }
        if let seconds = deltaIntervalSeconds, !(10...86_400).contains(seconds) { return "crl.deltaIntervalSeconds must be 10…86400" }
        if renewBefore < 2 * deltaInterval { return "crl.renewBeforeHours must span at least two crl.deltaIntervalSeconds" }
        if deltaValidity / 4 < 2 * deltaInterval {
            return "crl.deltaValidityMinutes must be at least eight crl.deltaIntervalSeconds (a delta is renewed in its last quarter)"
        }
        if let days = retainExpiredDays, !(0...3_650).contains(days) { return "crl.retainExpiredDays must be 0…3650" }
        return nil
    }
}
