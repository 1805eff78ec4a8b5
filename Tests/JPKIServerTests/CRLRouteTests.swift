import Foundation
import Hummingbird
import HummingbirdTesting
import JPKIPublication
import JPKIServer
import JPKIStore
import JPKITestSupport
import Testing

@Suite("GET /crl: public, cacheable, conditional")
struct CRLRouteTests {
    @Test func servesPublishedCRLsWithValidators() async throws {
        let service = try TestService.make()
        defer { service.remove() }
        let root = service.directory.appendingPathComponent("crl")
        let publisher = CRLPublisher(runtime: service.runtime, root: root, logger: service.logger)
        let app = Application(router: APIRoutes.router(runtime: service.runtime, crl: publisher, ocsp: try OCSPService(
            runtime: service.runtime, dataDirectory: service.directory, logger: service.logger)))
        try await app.test(.router) { client in
            // Nothing published yet: a clear 404, not an empty body.
            let early = try await client.execute(uri: "/crl/13/signing/131016.crl", method: .get)
            #expect(early.status == .notFound)
            #expect(String(buffer: early.body).contains("crl_not_published"))

            _ = await publisher.publish()
            let response = try await client.execute(uri: "/crl/13/signing/131016.crl", method: .get)
            #expect(response.status == .ok)
            #expect(response.headers[.contentType] == "application/pkix-crl")
            #expect(Data(buffer: response.body) == (try Data(contentsOf: root.appendingPathComponent("13/signing/131016.crl"))))
            let etag = try #require(response.headers[.eTag])
            let lastModified = try #require(response.headers[.lastModified])
            let cacheControl = try #require(response.headers[.cacheControl])
            let maxAge = try #require(Int(cacheControl.split(separator: "=").last ?? ""))
            #expect(cacheControl.hasPrefix("public, max-age=") && (86_000...86_400).contains(maxAge))
            #expect(response.headers[.expires] != nil)

            let unchanged = try await client.execute(uri: "/crl/13/signing/131016.crl", method: .get, headers: [.ifNoneMatch: etag])
            #expect(unchanged.status == .notModified)
            #expect(unchanged.body.readableBytes == 0)
            #expect(unchanged.headers[.eTag] == etag)
            let notModifiedSince = try await client.execute(uri: "/crl/13/signing/131016.crl", method: .get,
                                                            headers: [.ifModifiedSince: lastModified])
            #expect(notModifiedSince.status == .notModified)
            let stale = try await client.execute(uri: "/crl/13/signing/131016.crl", method: .get, headers: [.ifNoneMatch: "\"old\""])
            #expect(stale.status == .ok)

            // A delta is cached for one publication interval (300 s by default) at most.
            let delta = try await client.execute(uri: "/crl/13/signing/131016-delta.crl", method: .get)
            #expect(delta.headers[.cacheControl] == "public, max-age=300")

            // Deltas and ARLs at the URIs certificates and CA certificates name.
            for path in ["/crl/13/signing/131016-delta.crl", "/crl/13/signing/arl.crl", "/crl/13/user-authentication/s03.crl",
                         "/crl/13/signing/131121-s02.crl"] {
                let other = try await client.execute(uri: path, method: .get)
                #expect(other.status == .ok, "\(path)")
            }
            // Nothing else: unknown partitions, other files, other prefectures, traversal.
            for path in ["/crl/13/signing/131017.crl", "/crl/13/signing/131016", "/crl/13/user-authentication/131016.crl",
                         "/crl/27/signing/271004.crl", "/crl/13/signing/..%2F..%2Fdata", "/crl/13/keys/arl.crl"] {
                let missing = try await client.execute(uri: path, method: .get)
                #expect(missing.status == .notFound, "\(path)")
            }

            // A CRL of many chunks streams whole.
            let now = Int64(Date().timeIntervalSince1970)
            try await service.runtime.database.insertSyntheticCertificates((0..<40_000).map { n in
                let serial = String(format: "7%031x", n)
                return SyntheticCertificate(ca: "13/signing", serial: serial, municipality: "131016", kind: .signing,
                                           partition: "131016", residentHash: Data(serial.utf8), revokedAt: now - 60,
                                           reason: .affiliationChanged, notAfter: now + 86_400)
            })
            _ = await publisher.publish(everything: true)
            let large = try await client.execute(uri: "/crl/13/signing/131016.crl", method: .get)
            let onDisk = try Data(contentsOf: root.appendingPathComponent("13/signing/131016.crl"))
            #expect(onDisk.count > 1_000_000)
            #expect(large.status == .ok && Data(buffer: large.body) == onDisk)

            let health = try await client.execute(uri: "/health", method: .get)
            let text = String(buffer: health.body)
            #expect(text.contains("\"status\":\"ok\"") && text.contains("\"lastSuccess\""))
        }
    }
}
