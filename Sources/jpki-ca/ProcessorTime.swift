import Foundation

/// The CPU time this process used (user and system, getrusage(2)) over a measurement: what a
/// run cost, whatever the host stole or how busy the other core was, so that two builds compare
/// by the work they do per certificate even when their rates drift with the machine.
struct ProcessorTime {
    private let start: Double

    init() { start = Self.read() }

    /// Seconds of CPU since `init`.
    var seconds: Double { Self.read() - start }

    private static func read() -> Double {
        var usage = rusage()
        #if canImport(Glibc)
        getrusage(RUSAGE_SELF.rawValue, &usage)
        #else
        getrusage(RUSAGE_SELF, &usage)
        #endif
        func seconds(_ time: timeval) -> Double { Double(time.tv_sec) + Double(time.tv_usec) / 1_000_000 }
        return seconds(usage.ru_utime) + seconds(usage.ru_stime)
    }
}
