import Foundation
import Hummingbird
import HummingbirdTesting
import JPKIAuthority
import JPKIConfiguration
import JPKIPublication
@testable import JPKIServer
import JPKITestSupport
import NIOCore
import Testing

/// The answers given on the event loop, ahead of the router, on a real socket: the order of
/// responses on a pipelined connection, whatever answers each, and the connection's end.
@Suite("Event-loop answers: order on a pipelined connection, 304 and Connection: close")
struct EventLoopResponderTests {
    /// Sends `requests` (request line and headers, without the blank line) in one write, then,
    /// with "half-close", shuts its side down; then reads every response until the server
    /// closes: for each, its status, Content-Type, Content-Length (or "-") and body, as JSON lines.
    static let pipelinedClient = """
        import json, socket, sys
        port, close, requests = int(sys.argv[1]), sys.argv[2], sys.argv[3:]
        s = socket.create_connection(('127.0.0.1', port), timeout=10)
        s.sendall(b''.join(r.encode() + b'\\r\\n\\r\\n' for r in requests))
        if close == 'half-close': s.shutdown(socket.SHUT_WR)
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

    func pipelined(_ port: Int, halfClose: Bool = false, _ requests: [String]) async throws -> [Answer] {
        let result = try await ExternalTool.runOffPool("python3", ["-c", Self.pipelinedClient, "\(port)",
                                                                   halfClose ? "half-close" : "-"] + requests)
        #expect(result.status == 0, "\(result.stderr)")
        return try result.stdout.split(separator: "\n").map { try JSONDecoder().decode(Answer.self, from: Data($0.utf8)) }
    }

    /// A live service with one resident's certificates, their OCSP responses signed and cached.
    struct Scene {
        let service: TestService
        let ocsp: OCSPService
        let app: Application<RouterResponder<OperatorRequestContext>>
        let serial: String
        let ocspPath: String
        let validityPath: String
        static let host = "Host: 127.0.0.1"
        static let verifier = "Authorization: Bearer government-secret"

        /// Whether the event loop answers these requests itself (a cached OCSP GET, a validity
        /// lookup): else these tests would pass through the router alone.
        func expectAnsweredOnTheEventLoop() throws {
            #expect(APIRoutes.ocspAnswer(to: HTTPRequest(method: .get, scheme: nil, authority: nil, path: ocspPath), ocsp: ocsp) != nil)
            let lookup = HTTPRequest(method: .get, scheme: nil, authority: nil, path: validityPath,
                                     headerFields: [.authorization: "Bearer government-secret"])
            #expect(APIRoutes.validityAnswer(to: lookup, ocsp: ocsp, credentials: CredentialDirectory(service.runtime.configuration.service),
                                             gate: VerifierGate(service.runtime), logger: service.logger) != nil)
        }
    }

    func withScene(_ body: @Sendable (Scene, Int) async throws -> Void) async throws {
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
        let scene = Scene(service: service, ocsp: ocsp, app: app, serial: issued[0].serialHex,
                          ocspPath: "/ocsp/" + Data(request).base64EncodedString().addingPercentEncoding(withAllowedCharacters: .alphanumerics)!,
                          validityPath: "/v1/validity/13/signing/\(issued[0].serialHex)")
        try scene.expectAnsweredOnTheEventLoop()
        try await app.test(.live) { client in try await body(scene, try #require(client.port)) }
    }

    @Test func pipelinedResponsesKeepTheirRequestsOrder() async throws {
        try await withScene { scene, port in
            let (host, verifier, serial, ocspPath) = (Scene.host, Scene.verifier, scene.serial, scene.ocspPath)
            // First a validity answer on the event loop, awaiting its audit commit; behind it,
            // held until it is sent, a request for the router, then requests the event loop
            // could answer but leaves to the router while it is busy (a cached OCSP answer, a
            // revalidation, a last lookup that closes), with an unknown serial among them.
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
            // A 304 carries no body (RFC 9110 §15.4.5).
            #expect(answers[4].length == "-" && answers[4].body.isEmpty)
            #expect(answers[5].json["serial"] as? String == serial)
            let audited = try scene.service.runtime.database.recentAuditEntries(limit: 50)
                .filter { $0.actor == "verifier-api" }.map(\.details).joined()
            #expect(audited.components(separatedBy: "verifier.validity").count - 1 == 3)
        }
    }

    /// A lookup whose audit line cannot be committed is not answered: a 500 with the service's
    /// JSON error, on the event loop as through the router, and nothing disclosed or recorded.
    @Test func aLookupThatCannotBeAuditedIsNotAnswered() async throws {
        try await withScene { scene, port in
            // Another process makes the audit log refuse every new entry.
            let database = scene.service.directory.appendingPathComponent("jpki-ca.sqlite").path
            let refused = try await ExternalTool.runOffPool("python3", ["-c", """
                import sqlite3, sys
                db = sqlite3.connect(sys.argv[1])
                db.execute("CREATE TRIGGER refuse_audit BEFORE INSERT ON audit_log BEGIN SELECT RAISE(ABORT, 'refused by the test'); END")
                db.commit()
                """, database])
            #expect(refused.status == 0, "\(refused.stderr)")
            let before = try scene.service.runtime.database.recentAuditEntries(limit: 50).count
            let lookup = "GET \(scene.validityPath) HTTP/1.1\r\n\(Scene.host)\r\n\(Scene.verifier)"
            // The first on the event loop; the second, behind /health, through the router.
            let answers = try await pipelined(port, [lookup, "GET /health HTTP/1.1\r\n\(Scene.host)", lookup + "\r\nConnection: close"])
            #expect(answers.map(\.status) == [500, 200, 500])
            for answer in [answers[0], answers[2]] {
                #expect((answer.json["error"] as? [String: Any])?["code"] as? String == "internal_error")
                #expect(!answer.body.contains(scene.serial))
            }
            #expect(try scene.service.runtime.database.recentAuditEntries(limit: 50).count == before)
        }
    }

    /// An answer given on the event loop is sent before the connection ends: when its request
    /// asks to close, and when the client has shut its side down meanwhile.
    @Test func answersOnTheEventLoopOutliveTheConnectionsEnd() async throws {
        try await withScene { scene, port in
            let closing = try await pipelined(port, ["GET \(scene.ocspPath) HTTP/1.1\r\n\(Scene.host)\r\nConnection: close"])
            #expect(closing.map(\.status) == [200] && closing.first?.type == "application/ocsp-response")
            let halfClosed = try await pipelined(port, halfClose: true, [
                "GET \(scene.validityPath) HTTP/1.1\r\n\(Scene.host)\r\n\(Scene.verifier)",
                "GET \(scene.ocspPath) HTTP/1.1\r\n\(Scene.host)",
            ])
            #expect(halfClosed.map(\.status) == [200, 200])
            #expect(halfClosed.first?.json["serial"] as? String == scene.serial)
        }
    }
}
