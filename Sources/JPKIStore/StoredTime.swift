import Foundation

/// Instants as the store keeps them: whole Unix seconds in INTEGER columns.
///
/// X.509 times have whole seconds, integers compare and index cheaply (CRL and expiry scans
/// are range queries on them), and binding a `Date` through GRDB's text format costs a
/// formatter call per value, which was most of the cost of an enrollment's queries.
enum StoredTime {
    static func seconds(_ date: Date) -> Int64 {
        Int64(date.timeIntervalSince1970.rounded(.down))
    }

    static func date(_ seconds: Int64) -> Date {
        Date(timeIntervalSince1970: TimeInterval(seconds))
    }
}
