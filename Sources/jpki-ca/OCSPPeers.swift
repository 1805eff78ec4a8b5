import Foundation
import JPKIProfile

/// `openssl ocsp` as a responder: answers each request from an OpenSSL CA index, signing a fresh
/// response every time. OpenSSL 3.0 speaks HTTP/1.0 and closes the connection after every answer
/// (no keep-alive) and serves one connection at a time per process: `processes` is its `-multi`,
/// forked children that share the listening socket. It takes GET paths "/" + base64, with '/',
/// '+' and '=' percent-encoded or not, but nothing before the base64: "/ocsp/…" gets 400.
///
/// It serves one wrk run per `start()`. The end of a run wedges its processes (see
/// `PeerProcess.answers`), so a second run against the same start gets no answers at all: warm
/// it up, if at all, on another `OpenSSLOCSPResponder`. It needs none: it reads the index once,
/// at start, and signs every response afresh.
struct OpenSSLOCSPResponder: Sendable {
    let peer: PeerProcess

    /// `validityMinutes` is `-nmin`: each response says when the next is due (nextUpdate), as a
    /// CA's would; without it or `-ndays` the field is left out. `-ignore_err` keeps a process
    /// serving after a malformed request: without it the process exits, and the `-multi` parent
    /// replaces it only after a pause. `directory` is its working directory and holds its log.
    ///
    /// It listens on every address, not only loopback (OpenSSL binds [::]). Take `port` below
    /// the ephemeral range (Linux: 32768–60999): after a load, thousands of wrk's sockets wait
    /// in TIME_WAIT on ports there, OpenSSL cannot bind one of those, and under `-multi` it says
    /// so only to syslog: the process just exits with status 1.
    init(directory: URL, index: URL, caCertificate: URL, responderCertificate: URL, responderKey: URL, port: Int,
         validityMinutes: Int, processes: Int = 2) {
        peer = PeerProcess(name: "openssl ocsp", tool: "openssl", arguments: [
            "ocsp", "-index", index.path, "-CA", caCertificate.path, "-rsigner", responderCertificate.path,
            "-rkey", responderKey.path, "-port", "\(port)", "-multi", "\(processes)", "-nmin", "\(validityMinutes)",
            "-ignore_err",
        ], port: port, log: directory.appendingPathComponent("openssl-ocsp.log"))
    }

    func start() async throws { try await peer.start() }
    func stop() { peer.stop() }
}

/// OpenSSL's CA database, `index.txt`, which `openssl ocsp -index` answers from.
enum OpenSSLCAIndex {
    /// A certificate's line: V (valid) or R (revoked, with "time,reason"), its expiry, the serial,
    /// "unknown" for the file, the subject. Times are UTCTime. `openssl ocsp` finds a request's
    /// certificate by comparing the serial as text with the request's printed by BN_bn2hex:
    /// uppercase hex of whole octets without leading zero octets, which is how it is written here.
    /// `reason` is the RFC 5280 name of a CRL reason, as `RevocationReason.name` spells it
    /// (OpenSSL matches it without regard to case); "holdInstruction,holdInstructionCallIssuer"
    /// is a hold that also names its instruction.
    ///
    /// The subject is "/CN=" and the serial: OpenSSL refuses an index in which two valid
    /// certificates share a subject, unless an `index.txt.attr` says `unique_subject = no`.
    static func line(serial: [UInt8], notAfter: Int64, revoked: (at: Int64, reason: String)? = nil) -> String {
        let octets = serial.drop { $0 == 0 }.lowercaseHex.uppercased()
        let digits = octets.isEmpty ? "00" : octets
        let status = revoked.map { "R\t\(BenchPrefecture.utcTime(notAfter))\t\(BenchPrefecture.utcTime($0.at)),\($0.reason)" }
            ?? "V\t\(BenchPrefecture.utcTime(notAfter))\t"
        return "\(status)\t\(digits)\tunknown\t/CN=\(digits)\n"
    }
}

/// `cfssl ocspserve` (Debian golang-cfssl 1.2.0): serves pre-signed responses from a file, held
/// in memory, without signing anything per request. It reads and checks every response before
/// it listens, about 4,000 a second here, so `start()` waits up to two minutes.
///
/// It answers POST only: load it with `WrkLoad.postLine` lines. Its GET handler base64-decodes
/// the whole URL path, leading "/" included, so every GET gets 400 whether the path is
/// percent-encoded or not (the log line of cfssl#1121); a path whose base64 holds "//" gets a
/// 301 from Go's ServeMux instead. POST works on any path, with or without a Content-Type; a
/// nonce in the request is ignored. A serial it holds no response for gets HTTP 200 with an
/// `unauthorized` OCSPResponse, which wrk counts as a success: load it only with serials it has.
struct CFSSLOCSPResponder: Sendable {
    let peer: PeerProcess

    /// `-loglevel 2` (warnings): at the default, info, it logs every request it cannot answer.
    /// Its log is written beside `responsesFile`.
    init(responsesFile: URL, port: Int) {
        peer = PeerProcess(name: "cfssl ocspserve", tool: "cfssl", arguments: [
            "ocspserve", "-address", "127.0.0.1", "-port", "\(port)", "-responses", responsesFile.path, "-loglevel", "2",
        ], port: port, log: responsesFile.deletingLastPathComponent().appendingPathComponent("cfssl-ocspserve.log"))
    }

    func start() async throws { try await peer.start() }
    func stop() { peer.stop() }
}

/// The responses file of `cfssl ocspserve -responses` (ocsp.NewSourceFromFile in cfssl 1.2.0):
/// DER OCSPResponses, each in base64 without line breaks, separated by whitespace (here one a
/// line). A response that does not parse (golang.org/x/crypto/ocsp, which checks its signature
/// by the certificate it carries, and wants exactly one SingleResponse) is skipped with a log
/// line, not an error.
///
/// cfssl keys the responses by serial number alone (its decimal text), ignoring the CertID's
/// hash algorithm, issuer name hash and issuer key hash: a request with a SHA-1 or SHA-256
/// CertID gets the same stored response, and two issuers' certificates with one serial cannot
/// both be served. The response is sent byte for byte as stored.
enum CFSSLResponsesFile {
    static func write(_ responses: some Sequence<[UInt8]>, to file: URL) throws {
        var text = ""
        for response in responses {
            text += Data(response).base64EncodedString() + "\n"
        }
        try text.write(to: file, atomically: true, encoding: .utf8)
    }
}

/// A server run as a child process (a peer, or `jpki-ca serve` itself), for as long as a
/// benchmark loads it. Foundation starts
/// the child in a process group of its own (and `openssl ocsp -multi` makes one too), so `stop`
/// signals the group: that reaches what the peer forked. It is SIGKILL because the parent of
/// `openssl ocsp -multi` 3.0 does not act on SIGTERM until one of its children exits.
struct PeerProcess: Sendable {
    let name: String
    let port: Int
    let process: Process
    /// The peer's stdout and stderr, quoted when it fails to start; a file, because a pipe
    /// nobody reads would block the peer once full. The peer runs in the log's directory.
    let log: URL

    init(name: String, tool: String, arguments: [String], port: Int, log: URL) {
        self.name = name
        self.port = port
        self.log = log
        process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [tool] + arguments
        process.currentDirectoryURL = log.deletingLastPathComponent()
    }

    /// Runs the peer and returns once it answers HTTP on 127.0.0.1:`port`.
    func start() async throws {
        guard !Self.answers(port: port) else {
            throw CommandFailure("port \(port) is taken: \(name) cannot listen there")
        }
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        let logFile = try FileHandle(forWritingTo: log)
        process.standardOutput = logFile
        process.standardError = logFile
        try process.run()
        try logFile.close()
        let deadline = ContinuousClock.now + .seconds(120)
        while process.isRunning, ContinuousClock.now < deadline {
            if Self.answers(port: port) { return }
            try await Task.sleep(for: .milliseconds(50))
        }
        let failure = process.isRunning ? "did not answer HTTP on port \(port) within 120 s"
            : "exited with status \(process.terminationStatus)"
        stop()
        throw CommandFailure("\(name) \(failure):\n\((try? String(contentsOf: log, encoding: .utf8)) ?? "")")
    }

    func stop() {
        guard process.isRunning else { return }
        kill(-process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    /// Whether an HTTP server on 127.0.0.1:`port` answers "GET /" within a second (any status).
    /// A probe that connects and closes without a request would do for most servers, but it
    /// wedges a process of `openssl ocsp` 3.0: after a connection ends before its request line,
    /// the process reads that closed connection again and again, at full CPU, and never accepts
    /// another. The end of a wrk run does the same, closing connections the responder has
    /// accepted but not read: an `OpenSSLOCSPResponder` serves one load, then is stopped.
    static func answers(port: Int) -> Bool {
        #if canImport(Glibc)
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #else
        let descriptor = socket(AF_INET, SOCK_STREAM, 0)
        #endif
        guard descriptor >= 0 else { return false }
        defer { close(descriptor) }
        var timeout = timeval(tv_sec: 1, tv_usec: 0)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = in_addr_t(UInt32(0x7F00_0001).bigEndian)
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
            }
        }
        let request = Array("GET / HTTP/1.0\r\n\r\n".utf8)
        guard connected, send(descriptor, request, request.count, 0) == request.count else { return false }
        var reply = [UInt8](repeating: 0, count: 5)
        return recv(descriptor, &reply, reply.count, Int32(MSG_WAITALL)) == reply.count && reply == Array("HTTP/".utf8)
    }
}
