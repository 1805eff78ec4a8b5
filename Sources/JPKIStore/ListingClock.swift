import GRDB

/// The tick of the CRL listing clock (`crl_clock`) for one write transaction, drawn the first
/// time the transaction changes what a CRL lists.
///
/// Every certificate whose CRL entry appears, changes or goes records the tick in
/// `listed_tick` (or in `crl_release` for a lifted hold). Ticks only grow and each write
/// transaction has its own, so a CRL read in one snapshot at tick T contains exactly the changes
/// with ticks up to T, and the delta after it (RFC 5280 §5.2.4) is the range above T.
struct ListingTick {
    private var drawn: Int64?

    /// This transaction's tick: the clock advanced once, on first use.
    mutating func value(_ db: Database) throws -> Int64 {
        if let drawn { return drawn }
        let tick = try Int64.fetchOne(db.cachedStatement(sql: "UPDATE crl_clock SET tick = tick + 1 WHERE id = 1 RETURNING tick"))
        guard let tick else { throw DatabaseError(resultCode: .SQLITE_CORRUPT, message: "crl_clock has no row") }
        drawn = tick
        return tick
    }

    /// The clock as a snapshot sees it: every listing change it contains has a tick up to this.
    static func current(_ db: Database) throws -> Int64 {
        try Int64.fetchOne(db.cachedStatement(sql: "SELECT tick FROM crl_clock WHERE id = 1")) ?? 0
    }
}
