import Foundation

/// How this virtual machine's CPU time was spent over a measurement (/proc/stat, proc(5)):
///
/// - **steal**, the share its host gave to others. On these machines it swings from nothing to a
///   quarter and more under sustained load, and a run that saturates both cores loses that share,
///   while one that does not (a peer that waits on each connection) barely notices;
/// - **idle**, the share no process used (idle and iowait): a run meant to saturate the cores
///   that leaves some idle is limited by waiting, not by computing.
///
/// Each measurement reports them beside its figures.
struct HostCPUShares {
    private let start: Ticks?

    init() { start = Self.read() }

    /// Percent of all CPU time since `init` stolen by the host, or nil where /proc/stat cannot be read.
    var steal: Double? { share(\.steal) }

    /// Percent of all CPU time since `init` that was idle or waiting for I/O.
    var idle: Double? { share(\.idle) }

    /// ", steal N %, idle N %", as a measurement's line ends (empty where /proc/stat cannot be read).
    var text: String {
        guard let steal, let idle else { return "" }
        return String(format: ", steal %.0f %%, idle %.0f %%", steal, idle)
    }

    private func share(_ part: KeyPath<Ticks, Int>) -> Double? {
        guard let start, let now = Self.read(), now.total > start.total else { return nil }
        return 100 * Double(now[keyPath: part] - start[keyPath: part]) / Double(now.total - start.total)
    }

    private struct Ticks {
        let steal: Int
        let idle: Int
        let total: Int
    }

    /// "cpu  user nice system idle iowait irq softirq steal guest guest_nice", in clock ticks;
    /// guest and guest_nice are already counted in user and nice.
    private static func read() -> Ticks? {
        guard let stat = try? String(contentsOfFile: "/proc/stat", encoding: .utf8),
              let line = stat.split(separator: "\n").first, line.hasPrefix("cpu ") else { return nil }
        let ticks = line.split(separator: " ").dropFirst().compactMap { Int($0) }
        guard ticks.count >= 8 else { return nil }
        return Ticks(steal: ticks[7], idle: ticks[3] + ticks[4], total: ticks.prefix(8).reduce(0, +))
    }
}
