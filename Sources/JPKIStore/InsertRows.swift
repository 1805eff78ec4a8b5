import GRDB

/// Inserts many rows with multi-row `INSERT … VALUES (…), (…)` statements of up to 100 rows:
/// one statement execution per hundred rows instead of per row, for the change notices of a batch.
enum InsertRows {
    static let rowsPerStatement = 100

    /// `values` holds the rows one after another, `columns.count` values each.
    static func execute(table: String, columns: [String], values: [DatabaseValue], db: Database) throws {
        let width = columns.count
        precondition(values.count % width == 0, "values must fill whole rows")
        var start = 0
        while start < values.count {
            let rows = min(rowsPerStatement, (values.count - start) / width)
            let row = "(" + Array(repeating: "?", count: width).joined(separator: ",") + ")"
            let sql = "INSERT INTO \(table) (\(columns.joined(separator: ", "))) VALUES "
                + Array(repeating: row, count: rows).joined(separator: ",")
            try db.cachedStatement(sql: sql).execute(arguments: StatementArguments(values[start..<start + rows * width]))
            start += rows * width
        }
    }
}
