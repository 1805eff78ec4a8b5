import Foundation

/// Runs a real client (openssl, python3) and returns what it said. A missing tool is a failure,
/// never a skip: `.ci/run` installs what the tests need.
public struct ExternalTool {
    public struct Result: Sendable {
        public let status: Int32
        public let stdout: String
        public let stderr: String
    }

    public struct NotInstalled: Error, CustomStringConvertible {
        public let tool: String
        public var description: String { "\(tool) is not installed: run .ci/run or install it (see README)" }
    }

    public struct Failed: Error, CustomStringConvertible {
        public let result: Result
        public var description: String { "exit \(result.status): \(result.stderr)" }
    }

    @discardableResult
    public static func run(_ tool: String, _ arguments: [String], stdin: Data? = nil) throws -> Result {
        guard let path = locate(tool) else { throw NotInstalled(tool: tool) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        let out = Pipe(), err = Pipe(), input = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = input
        try process.run()
        if let stdin { input.fileHandleForWriting.write(stdin) }
        try input.fileHandleForWriting.close()
        let stdoutData = out.fileHandleForReading.readDataToEndOfFile()
        let stderrData = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Result(status: process.terminationStatus, stdout: String(decoding: stdoutData, as: UTF8.self),
                      stderr: String(decoding: stderrData, as: UTF8.self))
    }

    /// ``run(_:_:stdin:)`` on a thread of its own: a test that waits for a client of a server
    /// running in the same process must not hold one of the few threads that server needs.
    public static func runOffPool(_ tool: String, _ arguments: [String], stdin: Data? = nil) async throws -> Result {
        try await withCheckedThrowingContinuation { continuation in
            Thread { continuation.resume(with: Swift.Result { try run(tool, arguments, stdin: stdin) }) }.start()
        }
    }

    static func locate(_ tool: String) -> String? {
        if tool.contains("/") { return FileManager.default.isExecutableFile(atPath: tool) ? tool : nil }
        let paths = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":")
        return paths.map { "\($0)/\(tool)" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// A fresh temporary directory for files handed to tools.
    public static func scratchDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("jpki-ca-tool-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
}
