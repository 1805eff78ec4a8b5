import Foundation
import JPKIProfile

/// wrk rotating over the requests of a file, one a line, so that a responder is asked about many
/// certificates rather than one it could answer from a cache. A line is a GET path starting with
/// "/" (`getLine`), or else the hex of a DER body to POST to "/" (`postLine`), for servers that
/// cannot answer GET (cfssl 1.2.0's ocspserve: see `CFSSLOCSPResponder`).
///
/// Each wrk thread formats every request once, in its `init`, so that the per-request Lua is a
/// table lookup and what is measured is the server; threads start at different offsets so that
/// they do not ask for the same certificates in step. The script replaces `wrk.resolve`, which
/// would connect and close once before the run to check the address: a connection closed
/// before its request wedges a process of `openssl ocsp` (see `PeerProcess.answers`).
struct WrkLoad: Sendable {
    let paths: URL
    let connections: Int
    let threads: Int
    let seconds: Int
    let headers: [String: String]

    /// Where the hex lines are POSTed.
    let postPath: String

    init(paths: URL, connections: Int, threads: Int, seconds: Int, headers: [String: String] = [:], postPath: String = "/") {
        self.postPath = postPath
        self.paths = paths
        self.connections = connections
        self.threads = threads
        self.seconds = seconds
        self.headers = headers
    }

    /// `baseURL` is scheme, host and port, e.g. "http://127.0.0.1:18080"; the paths are the file's.
    func run(against baseURL: String) async throws -> WrkResult {
        let script = FileManager.default.temporaryDirectory.appendingPathComponent("jpki-ca-wrk-\(UUID().uuidString).lua")
        defer { try? FileManager.default.removeItem(at: script) }
        try luaScript.write(to: script, atomically: true, encoding: .utf8)
        let output = try await runToolOffPool("wrk", ["-t\(threads)", "-c\(connections)", "-d\(seconds)s", "--latency",
                                                      "-s", script.path, baseURL])
        return try WrkResult(parsing: output)
    }

    var luaScript: String {
        let headerLines = headers.sorted { $0.key < $1.key }
            .map { "wrk.headers[\(Self.luaString($0.key))] = \(Self.luaString($0.value))\n" }.joined()
        return headerLines + """
            function wrk.resolve(host, service)
              wrk.addrs = wrk.lookup(host, service)
            end
            local started = 0
            function setup(thread)
              thread:set("offset", started)
              started = started + 1
            end
            function init()
              requests = {}
              for line in io.lines(\(Self.luaString(paths.path))) do
                if line:sub(1, 1) == "/" then
                  requests[#requests + 1] = wrk.format("GET", line)
                elseif line ~= "" then
                  local body = line:gsub("%x%x", function(h) return string.char(tonumber(h, 16)) end)
                  requests[#requests + 1] = wrk.format("POST", \(Self.luaString(postPath)), nil, body)
                end
              end
              position = math.floor(#requests * offset / \(threads))
            end
            function request()
              position = position % #requests + 1
              return requests[position]
            end
            """
    }

    /// RFC 6960 A.1: "/" and the URL encoding of the base64 of the DER request. '/', '+' and '='
    /// are escaped, so that no server's path handling (collapsed "//", '+' read as a space) can
    /// alter the request.
    static func getLine(_ request: [UInt8]) -> String {
        "/" + Data(request).base64EncodedString().map { character -> String in
            switch character {
            case "/": "%2F"
            case "+": "%2B"
            case "=": "%3D"
            default: String(character)
            }
        }.joined()
    }

    static func postLine(_ request: [UInt8]) -> String {
        request.lowercaseHex
    }

    /// `text` as a Lua string literal: quotes, backslashes and newlines escaped, and every
    /// octet of a non-ASCII character as a decimal escape.
    static func luaString(_ text: String) -> String {
        "\"" + text.unicodeScalars.map { scalar -> String in
            switch scalar {
            case "\\": "\\\\"
            case "\"": "\\\""
            case "\n": "\\n"
            default: scalar.isASCII ? String(scalar) : String(String(scalar).utf8.map { "\\\($0)" }.joined())
            }
        }.joined() + "\""
    }
}

/// A load's rate, latencies and failures: what `wrk --latency` printed, in numbers, or the
/// mean of several such runs.
struct WrkResult: Sendable {
    let requestsPerSecond: Double
    let p50Milliseconds: Double
    let p99Milliseconds: Double
    let requests: Int
    /// Responses other than 2xx or 3xx, and socket errors (connect, read, write, timeout).
    let failures: Int
}

extension WrkResult {
    init(parsing output: String) throws {
        let lines = output.split(separator: "\n").map { $0.split(separator: " ") }
        func fields(after label: String) -> [Substring]? {
            let words = label.split(separator: " ")
            return lines.first { $0.starts(with: words) }.map { Array($0.dropFirst(words.count)) }
        }
        guard let rate = fields(after: "Requests/sec:")?.first.flatMap({ Double($0) }),
              let p50 = fields(after: "50%")?.first.flatMap(Self.milliseconds),
              let p99 = fields(after: "99%")?.first.flatMap(Self.milliseconds),
              let count = lines.first(where: { $0.count > 1 && $0[1] == "requests" }).flatMap({ Int($0[0]) }) else {
            throw CommandFailure("could not read wrk's output:\n\(output)")
        }
        // "Socket errors: connect 0, read 0, write 0, timeout 0" and "Non-2xx or 3xx responses: 12".
        let socketErrors = (fields(after: "Socket errors:") ?? []).compactMap { Int($0.trimmingCharacters(in: [","])) }
        let non2xx = fields(after: "Non-2xx or 3xx responses:")?.first.flatMap { Int($0) } ?? 0
        requestsPerSecond = rate
        p50Milliseconds = p50
        p99Milliseconds = p99
        requests = count
        failures = socketErrors.reduce(non2xx, +)
    }

    /// wrk's durations: a number and one of us, ms, s, m, h.
    static func milliseconds(_ text: Substring) -> Double? {
        let units: [(suffix: String, milliseconds: Double)] = [("us", 0.001), ("ms", 1), ("s", 1000), ("m", 60_000), ("h", 3_600_000)]
        guard let unit = units.first(where: { text.hasSuffix($0.suffix) }),
              let value = Double(text.dropLast(unit.suffix.count)) else { return nil }
        return value * unit.milliseconds
    }
}
