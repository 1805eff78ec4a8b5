import ArgumentParser
import Foundation
import JPKIConfiguration
import JPKIEnrollment
import JPKIRevocation
import JPKIStore
import Logging

struct Notices: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Change notices (異動等情報) from the resident registry.", subcommands: [Ingest.self, Report.self])

    struct Ingest: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Apply a JSON Lines file of change notices, streamed, exactly once (docs/notices.md).",
            discussion: """
                Every line ends in one outcome: applied, no-match, duplicate (its notice id was seen \
                before) or rejected (with its line and reason). A bad line never stops the rest. \
                Ingesting a file again, e.g. after a crash, applies only what was not applied. The \
                outcomes are written to --report as JSON Lines; a summary is printed.
                """)

        @OptionGroup var options: ServiceOptions

        @Argument(help: "The JSON Lines file of notices.")
        var file: String

        @Option(name: .customLong("operator"), help: "The id of the registry-feed operator delivering the file.")
        var operatorID: String

        @Option(help: "Where to write each notice's outcome (JSON Lines). Default: FILE.report.jsonl")
        var report: String?

        @Flag(help: "Print the summary as JSON.")
        var json = false

        @Option(help: "Notices applied per transaction.")
        var batchSize: Int = NoticeIngestor.defaultBatchSize

        func run() async throws {
            var logger = Logger(label: "jpki-ca")
            logger.logLevel = .warning
            let runtime = try options.openRuntime(logger: logger)
            guard let feed = runtime.configuration.service.operators.first(where: { $0.id == operatorID }) else {
                throw CommandFailure("no operator \(operatorID) in service.yaml")
            }
            guard feed.role == .registryFeed else { throw CommandFailure("\(operatorID) is not a registry-feed operator") }
            guard batchSize > 0 else { throw CommandFailure("--batch-size must be positive") }
            let input = try FileLines(path: file)
            let output = try BufferedOutput(creating: report ?? file + ".report.jsonl")
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            let start = ContinuousClock.now
            let summary: NoticeSummary
            do {
                summary = try await NoticeIngestor(runtime: runtime, batchSize: batchSize, logger: logger).ingest(
                    lines: input, source: URL(fileURLWithPath: file).lastPathComponent, feed: feed
                ) { result in
                    output.writeLine(result.json)
                }
            } catch {
                try? output.close()  // what committed before the failure is in the report
                if let error = error as? RevocationError { throw CommandFailure("refused: \(error)") }
                throw error
            }
            try output.close()
            let seconds = (ContinuousClock.now - start) / .seconds(1)
            let peak = PeakMemory.residentBytes()
            if json {
                struct Printed: Encodable {
                    let summary: NoticeSummary
                    let seconds: Double
                    let noticesPerSecond: Double
                    let peakResidentBytes: Int
                }
                print(String(decoding: try encoder.encode(Printed(
                    summary: summary, seconds: seconds, noticesPerSecond: Double(summary.notices) / seconds,
                    peakResidentBytes: peak)), as: UTF8.self))
            } else {
                print("""
                    \(summary.notices) notices in \(String(format: "%.2f", seconds)) s: \(summary.applied) applied \
                    (\(summary.revoked) certificates revoked), \(summary.noMatch) no matching certificate, \
                    \(summary.duplicate) duplicate, \(summary.rejected) rejected; peak memory \(peak >> 20) MiB
                    """)
            }
        }
    }

    struct Report: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Outcomes of ingested notices by day (JST) and kind.")

        @OptionGroup var options: ServiceOptions

        @Option(help: "How many days back, today included.")
        var days: Int = 7

        func run() throws {
            guard days > 0 else { throw CommandFailure("--days must be positive") }
            let configuration = try options.loadConfiguration()
            let path = ServiceRuntime.databasePath(in: options.dataDirectory(configuration))
            guard FileManager.default.fileExists(atPath: path) else { throw CommandFailure("no database at \(path)") }
            let rows = try CertificateDatabase(path: path).noticeReport(days: days, until: Date())
            let kindWidth = max(4, rows.map(\.kind.count).max() ?? 0)
            func pad(_ text: String, _ width: Int) -> String { text + String(repeating: " ", count: max(0, width - text.count)) }
            print("\(pad("day", 10))  \(pad("kind", kindWidth))  \(pad("outcome", 9))  count")
            for row in rows {
                print("\(row.day)  \(pad(row.kind, kindWidth))  \(pad(row.outcome, 9))  \(row.count)")
            }
            if rows.isEmpty { print("no notices in the last \(days) days") }
        }
    }
}

/// The process's peak resident memory: `VmHWM` of /proc/self/status, the high-water mark of
/// this process image alone. (getrusage's ru_maxrss would do, but Linux carries it across
/// execve, so a child spawned by a large parent would report the parent's size.)
enum PeakMemory {
    /// The peak resident set (VmHWM) of this process, or of process `pid`.
    static func residentBytes(of pid: Int32? = nil) -> Int {
        guard let status = try? String(contentsOfFile: "/proc/\(pid.map(String.init) ?? "self")/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
              let kilobytes = Int(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "") else {
            return 0
        }
        return kilobytes * 1024
    }
}
