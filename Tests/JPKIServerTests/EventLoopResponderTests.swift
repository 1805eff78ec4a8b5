import Foundation
import Hummingbird
import HummingbirdTesting
import JPKIAuthority
import JPKIConfiguration
import JPKIPublication
import JPKIServer
import JPKITestSupport
import Testing

/// The answers given on the event loop, ahead of the router, on a real socket: the order of
/// responses on a pipelined connection, whatever answers each, and the connection's end.
@Suite("Event-loop answers: order on a pipelined connection, 304 and Connection: close")
struct EventLoopResponderTests {
    /// Sends `requests` (request line and headers, without the blank line) in one write, then
    /// reads every response until the server closes: for each, its status, Content-Type,
    /// Content-Length (or "-") and body, as JSON lines.
    static let pipelinedClient = """
        import json, socket, sys
        port, requests = int(sys.argv[1]), sys.argv[2:]
        s = socket.create_connection(('127.0.0.1', port), timeout=10)
        s.sendall(b''.join(r.encode() + b'\\r\\n\\r\\n' for r in requests))
        data = b''
        while True:
            chunk = s.recv(65536)
            if not chunk: break
            data += chunk
        while data:
            head, _, data = data.partition(b'\\r\\n\\r\\n')
            lines = head.decode().split('\\r\\n')
            headers = dict((k.lower(), v.strip()) for k, v in (l.split(':', 1) for l in lines[1:]))
            length = int(headers.get('content-length', '0'))
            body, data = data[:length], data[length:]
            print(json.dumps({'status': int(lines[0].split()[1]), 'type': headers.get('content-type', '-'),
                              'length': headers.get('content-length', '-'), 'body': body.decode('latin-1')}))
        """

    struct Answer: Decodable {
        let status: Int
        let type: String
        let length: String
        let body: String

        var json: [String: Any] {
            (try? JSONSerialization.jsonObject(with: Data(body.utf8))) as? [String: Any] ?? [:]
        }
    }

    func pipelined(_ port: Int, _ requests: [String]) async throws -> [Answer] {
        let result = try await ExternalTool.runOffPool("python3", ["-c", Self.pipelinedClient, "\(port)"] + requests)
        #expect(result.status == 0, "\(result.stderr)")
        return try result.stdout.split(separator: "\n").map { try JSONDecoder().decode(Answer.self, from: Data($0.utf8)) }
    }

    @Test func pipelinedResponsesKeepTheirRequestsOrder() async throws {
        let service = try TestService.make()
        defer { service.remove() }
        let issued = try await NoticeFeed(service: service).enroll("12345678901")
        let ocsp = try OCSPService(runtime: service.runtime, dataDirectory: service.directory, logger: service.logger)
        try await ocsp.refresher.pass()
        let crl = CRLPublisher(runtime: service.runtime, root: service.directory.appendingPathComponent("crl"), logger: service.logger)
        let app = APIRoutes.application(runtime: service.runtime, crl: crl, ocsp: ocsp,
                                        configuration: .init(address: .hostname("127.0.0.1", port: 0)), logger: service.logger)
        let issuer = try OCSPIssuer(service.authority(.signing))
        let request = try OCSPRequest(certIDs: [issuer.certID(serial: Array(issued[0].certificate.serialNumber.bytes)[...])])
            .serializedBytes()
        let ocspPath = "/ocsp/" + Data(request).base64EncodedString().addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
        let serial = issued[0].serialHex
        try await app.test(.live) { client in
            let port = try #require(client.port)
            let host = "Host: 127.0.0.1"
            let verifier = "Authorization: Bearer government-secret"
            // A validity answer waiting for its audit commit, a request for the router, a cached
            // OCSP answer, the router again (an unknown serial), a revalidation, a last one that closes.
            let answers = try await pipelined(port, [
                "GET /v1/validity/13/signing/\(serial) HTTP/1.1\r\n\(host)\r\n\(verifier)",
                "GET /health HTTP/1.1\r\n\(host)",
                "GET \(ocspPath) HTTP/1.1\r\n\(host)",
                "GET /v1/validity/13/signing/7f01020304050607 HTTP/1.1\r\n\(host)\r\n\(verifier)",
                "GET \(ocspPath) HTTP/1.1\r\n\(host)\r\nIf-None-Match: *",
                "GET /v1/validity/13/signing/\(serial) HTTP/1.1\r\n\(host)\r\n\(verifier)\r\nConnection: close",
            ])
            try #require(answers.count == 6, "\(answers.map(\.status))")
            #expect(answers.map(\.status) == [200, 200, 200, 200, 304, 200])
            #expect(answers[0].json["serial"] as? String == serial && answers[0].json["status"] as? String == "good")
            #expect(answers[1].json["mode"] as? String == "development")
            #expect(answers[2].type == "application/ocsp-response" && answers[2].length == "\(answers[2].body.unicodeScalars.count)")
            #expect(answers[2].body.count > 500)
            #expect(answers[3].json["serial"] as? String == "7f01020304050607" && answers[3].json["status"] as? String == "unknown")
            // A 304 carries no length but that of the 200 (RFC 9110 §8.6): here, none.
            #expect(answers[4].length == "-" && answers[4].body.isEmpty)
            #expect(answers[5].json["serial"] as? String == serial)
        }
        let audited = try service.runtime.database.recentAuditEntries(limit: 50)
            .filter { $0.actor == "verifier-api" }.map(\.details).joined()
        #expect(audited.components(separatedBy: "verifier.validity").count - 1 == 3)
    }
}
