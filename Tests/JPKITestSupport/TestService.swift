import Foundation
import JPKIAuthority
import JPKIConfiguration
import JPKIEnrollment
import JPKIProfile
import JPKIStore
import Logging

/// A throw-away service for tests: development CAs for Tokyo in a fresh temporary directory,
/// with desk operators for Chiyoda-ku (131016), Shibuya-ku (131130) and Setagaya-ku (131121), an
/// administrator, registry feeds (one bound to Shibuya-ku) and the call centre.
public struct TestService: Sendable {
    public let runtime: ServiceRuntime
    public let directory: URL
    public let logs: CapturedLogs

    public static let chiyoda = try! MunicipalityCode(validating: "131016")
    public static let shibuya = try! MunicipalityCode(validating: "131130")
    public static let setagaya = try! MunicipalityCode(validating: "131121")

    public static let chiyodaDesk = Operator(id: "desk-chiyoda", role: .desk, municipality: chiyoda,
                                             credential: OperatorCredential.digest(of: "chiyoda-secret"))
    public static let shibuyaDesk = Operator(id: "desk-shibuya", role: .desk, municipality: shibuya,
                                             credential: OperatorCredential.digest(of: "shibuya-secret"))
    public static let setagayaDesk = Operator(id: "desk-setagaya", role: .desk, municipality: setagaya,
                                              credential: OperatorCredential.digest(of: "setagaya-secret"))
    public static let administrator = Operator(id: "admin", role: .administrator, municipality: nil,
                                               credential: OperatorCredential.digest(of: "admin-secret"))
    public static let registryFeed = Operator(id: "registry-feed", role: .registryFeed, municipality: nil,
                                              credential: OperatorCredential.digest(of: "feed-secret"))
    /// A feed bound to Shibuya-ku: it may deliver that municipality's notices only.
    public static let shibuyaFeed = Operator(id: "registry-feed-shibuya", role: .registryFeed, municipality: shibuya,
                                             credential: OperatorCredential.digest(of: "shibuya-feed-secret"))
    public static let callCentre = Operator(id: "call-centre", role: .callCentre, municipality: nil,
                                            credential: OperatorCredential.digest(of: "call-centre-secret"))

    /// Verifiers: a government body and a private business, and a business held to one
    /// request a second with a burst of three.
    public static let governmentVerifier = Verifier(id: "city-benefits", tier: .government,
                                                    credential: OperatorCredential.digest(of: "government-secret"),
                                                    rateLimit: .init(requestsPerSecond: 1_000, burst: 1_000))
    public static let privateVerifier = Verifier(id: "example-bank", tier: .private,
                                                 credential: OperatorCredential.digest(of: "private-secret"),
                                                 rateLimit: .init(requestsPerSecond: 1_000, burst: 1_000))
    public static let limitedVerifier = Verifier(id: "small-shop", tier: .private,
                                                 credential: OperatorCredential.digest(of: "limited-secret"),
                                                 rateLimit: .init(requestsPerSecond: 1.0 / 60, burst: 3))

    public static func configuration(dataDirectory: String, ocsp: OCSPSettings? = nil) throws -> Configuration {
        let tokyo = PrefectureConfiguration(
            code: PrefectureCode("13")!, name: "Tokyo-to", nameJa: "東京都",
            signingCA: CAConfiguration(operatorName: "Test Tokyo"),
            userAuthenticationCA: CAConfiguration(operatorName: "Test Tokyo"),
            municipalities: [
                .init(code: chiyoda, name: "Chiyoda-ku", nameJa: "千代田区", crlShards: nil),
                .init(code: shibuya, name: "Shibuya-ku", nameJa: "渋谷区", crlShards: nil),
                .init(code: setagaya, name: "Setagaya-ku", nameJa: "世田谷区", crlShards: 4),
            ])
        let service = ServiceConfiguration(
            mode: .development, publicBaseURL: "http://ca.test", listen: .init(host: "127.0.0.1", port: 0),
            dataDirectory: dataDirectory, userAuthenticationCRLShards: 8, keyEncryptionIterations: 1_000,
            ocsp: ocsp, operators: [chiyodaDesk, shibuyaDesk, setagayaDesk, administrator, registryFeed, shibuyaFeed, callCentre],
            verifiers: [governmentVerifier, privateVerifier, limitedVerifier],
            lookupPurposes: [LookupPurpose(code: "benefit-eligibility", description: "a benefit application")])
        return try Configuration(service: service, prefectures: [tokyo])
    }

    public static func make(ocsp: OCSPSettings? = nil) throws -> TestService {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("jpki-ca-test-\(UUID().uuidString)")
        let logs = CapturedLogs()
        let configuration = try configuration(dataDirectory: directory.path, ocsp: ocsp)
        let runtime = try ServiceRuntime.open(configuration: configuration, dataDirectory: directory, environment: [:],
                                              logger: Logger(label: "test") { _ in CapturedLogHandler(logs: logs) })
        return TestService(runtime: runtime, directory: directory, logs: logs)
    }

    /// A logger whose lines land in ``logs``, for the parts a test builds itself.
    public var logger: Logger { Logger(label: "test") { [logs] _ in CapturedLogHandler(logs: logs) } }

    public var databasePath: String { directory.appendingPathComponent("jpki-ca.sqlite").path }

    public func authority(_ kind: CertificateKind) -> CertificateAuthority {
        runtime.authorities.authority(for: CertificateAuthorityID(prefecture: PrefectureCode("13")!, kind: kind))!
    }

    /// Three Chiyoda-ku residents with both certificates: the first's revoked (signing for
    /// keyCompromise, user-authentication at death), the second's signing certificate held (card
    /// lost), the third's good. What the interop tests of CRLs and OCSP ask clients about.
    public func enrollRevokedHeldAndGood() async throws -> [[IssuedCertificate]] {
        var issued: [[IssuedCertificate]] = []
        for resident in 0..<3 {
            issued.append(try await runtime.enrollment.enroll(
                try Fixtures.application(residentCode: "1234567890\(resident)", signingKey: 2 * resident, authKey: 2 * resident + 1),
                by: Self.chiyodaDesk))
        }
        let database = runtime.database
        _ = try await database.changeStatus(ca: "13/signing", serial: issued[0][0].serialHex, .revoke(.keyCompromise),
                                            actor: "test", at: Date()) { _ in }
        _ = try await database.changeStatus(ca: "13/user-authentication", serial: issued[0][1].serialHex,
                                            .revoke(.cessationOfOperation), actor: "test", at: Date()) { _ in }
        _ = try await database.changeStatus(ca: "13/signing", serial: issued[1][0].serialHex, .hold, actor: "test", at: Date()) { _ in }
        return issued
    }

    public func remove() {
        try? FileManager.default.removeItem(at: directory)
    }
}
