import Foundation

/// The share of this virtual machine's CPU time that its host gave to others (the `steal`
/// column of /proc/stat, proc(5)) over a measurement. On these machines it swings from nothing
/// to a quarter and more under sustained load, and a run that saturates both cores loses that
/// share, while one that does not (a peer that waits on each connection) barely notices: so
/// each measurement reports it beside its figures.
struct StolenTime {
    private let start: (steal: Int, total: Int)?

    init() { start = Self.read() }

    /// Percent of all CPU time since `init`, or nil where /proc/stat cannot be read.
    var percent: Double? {
        guard let start, let now = Self.read(), now.total > start.total else { return nil }
        return 100 * Double(now.steal - start.steal) / Double(now.total - start.total)
    }

    /// "cpu  user nice system idle iowait irq softirq steal guest guest_nice", in clock ticks;
    /// guest and guest_nice are already counted in user and nice.
    private static func read() -> (steal: Int, total: Int)? {
        guard let stat = try? String(contentsOfFile: "/proc/stat", encoding: .utf8),
              let line = stat.split(separator: "\n").first, line.hasPrefix("cpu ") else { return nil }
        let ticks = line.split(separator: " ").dropFirst().compactMap { Int($0) }
        guard ticks.count >= 8 else { return nil }
        return (ticks[7], ticks.prefix(8).reduce(0, +))
    }
}
