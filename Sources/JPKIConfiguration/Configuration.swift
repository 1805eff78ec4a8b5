import Crypto
import Foundation
import JPKIProfile
import Yams

/// Everything under `ca-config/`, loaded and checked as a whole.
public struct Configuration: Sendable {
    public var service: ServiceConfiguration
    public var prefectures: [PrefectureConfiguration]

    public init(service: ServiceConfiguration, prefectures: [PrefectureConfiguration]) throws(ConfigurationError) {
        self.service = service
        self.prefectures = prefectures.sorted { $0.code < $1.code }
        try validate()
    }

    public func prefecture(_ code: PrefectureCode) -> PrefectureConfiguration? {
        prefectures.first { $0.code == code }
    }

    public func municipality(_ code: MunicipalityCode) -> (PrefectureConfiguration, PrefectureConfiguration.Municipality)? {
        guard let prefecture = prefecture(code.prefecture), let municipality = prefecture.municipality(code) else { return nil }
        return (prefecture, municipality)
    }

    /// Reads `service.yaml` and every `*.yaml` under `prefectures/` in `directory`.
    public static func load(from directory: URL) throws(ConfigurationError) -> Configuration {
        let service: ServiceConfiguration = try decode(directory.appendingPathComponent("service.yaml"))
        let prefectureDirectory = directory.appendingPathComponent("prefectures")
        let files: [URL]
        do {
            files = try FileManager.default.contentsOfDirectory(at: prefectureDirectory, includingPropertiesForKeys: nil)
                .filter { $0.pathExtension == "yaml" || $0.pathExtension == "yml" }
                .sorted { $0.lastPathComponent < $1.lastPathComponent }
        } catch {
            throw .unreadable(file: prefectureDirectory.path, reason: "\(error)")
        }
        var prefectures: [PrefectureConfiguration] = []
        for file in files { prefectures.append(try decode(file)) }
        return try Configuration(service: service, prefectures: prefectures)
    }

    static func decode<T: Decodable>(_ file: URL) throws(ConfigurationError) -> T {
        let text: String
        do {
            text = try String(contentsOf: file, encoding: .utf8)
        } catch {
            throw .unreadable(file: file.path, reason: "\(error)")
        }
        do {
            return try YAMLDecoder().decode(T.self, from: text)
        } catch {
            throw .invalid(file: file.lastPathComponent, reason: "\(error)")
        }
    }

    func validate() throws(ConfigurationError) {
        guard !prefectures.isEmpty else { throw .invalid(file: "prefectures/", reason: "no prefecture is configured") }
        var seenPrefectures = Set<PrefectureCode>()
        for prefecture in prefectures {
            guard seenPrefectures.insert(prefecture.code).inserted else {
                throw .invalid(file: "prefectures/", reason: "prefecture \(prefecture.code) is configured twice")
            }
            var seen = Set<MunicipalityCode>()
            for municipality in prefecture.municipalities {
                guard municipality.code.prefecture == prefecture.code else {
                    throw .invalid(file: "prefecture \(prefecture.code)",
                                   reason: "municipality \(municipality.code) belongs to prefecture \(municipality.code.prefecture)")
                }
                guard seen.insert(municipality.code).inserted else {
                    throw .invalid(file: "prefecture \(prefecture.code)", reason: "municipality \(municipality.code) is listed twice")
                }
                guard (1...256).contains(municipality.shardCount) else {
                    throw .invalid(file: "prefecture \(prefecture.code)", reason: "crlShards of \(municipality.code) must be 1…256")
                }
            }
        }
        guard (1...256).contains(service.userAuthenticationCRLShards) else {
            throw .invalid(file: "service.yaml", reason: "userAuthenticationCRLShards must be 1…256")
        }
        if service.mode == .production, let iterations = service.keyEncryptionIterations, iterations < 100_000 {
            throw .invalid(file: "service.yaml", reason: "keyEncryptionIterations below 100000 is for tests, not production")
        }
        if let problem = service.crlSettings.problem() ?? service.ocspSettings.problem() {
            throw .invalid(file: "service.yaml", reason: problem)
        }
        // A notice in the future is applied at once (its revocation dated now), so a certificate
        // issued before it takes effect would escape it: the tolerance is for clock skew only.
        if let tolerance = service.noticeFutureToleranceSeconds, !(0...3_600).contains(tolerance) {
            throw .invalid(file: "service.yaml", reason: "noticeFutureToleranceSeconds must be 0…3600")
        }
        var ids = Set<String>()
        var credentials = Set<String>()
        for op in service.operators {
            guard ids.insert(op.id).inserted else { throw .invalid(file: "service.yaml", reason: "operator \(op.id) is listed twice") }
            guard credentials.insert(op.credential).inserted else {
                throw .invalid(file: "service.yaml", reason: "operator \(op.id) shares its credential with another operator")
            }
            guard OperatorCredential.parseDigest(op.credential) != nil else {
                throw .invalid(file: "service.yaml", reason: "operator \(op.id): credential must be sha256:<64 hex digits>")
            }
            switch op.role {
            case .desk:
                guard let code = op.municipality, municipality(code) != nil else {
                    throw .invalid(file: "service.yaml", reason: "desk operator \(op.id) must name a configured municipality")
                }
            case .administrator, .callCentre:
                guard op.municipality == nil else {
                    throw .invalid(file: "service.yaml", reason: "\(op.role.rawValue) \(op.id) must not name a municipality")
                }
            case .registryFeed:
                break
            }
        }
        for verifier in service.verifiers ?? [] {
            guard ids.insert(verifier.id).inserted else {
                throw .invalid(file: "service.yaml", reason: "\(verifier.id) is listed twice among operators and verifiers")
            }
            guard credentials.insert(verifier.credential).inserted else {
                throw .invalid(file: "service.yaml", reason: "verifier \(verifier.id) shares its credential with another")
            }
            guard OperatorCredential.parseDigest(verifier.credential) != nil else {
                throw .invalid(file: "service.yaml", reason: "verifier \(verifier.id): credential must be sha256:<64 hex digits>")
            }
            guard verifier.limit.requestsPerSecond > 0, verifier.limit.burst >= 1 else {
                throw .invalid(file: "service.yaml", reason: "verifier \(verifier.id): rateLimit needs requestsPerSecond > 0 and burst ≥ 1")
            }
        }
        var purposes = Set<String>()
        for purpose in service.lookupPurposes ?? [] {
            guard !purpose.code.isEmpty, purpose.code.count <= 64,
                  purpose.code.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") }) else {
                throw .invalid(file: "service.yaml", reason: "lookup purpose code \(purpose.code) must be 1–64 letters, digits or '-'")
            }
            guard purposes.insert(purpose.code).inserted else {
                throw .invalid(file: "service.yaml", reason: "lookup purpose \(purpose.code) is listed twice")
            }
        }
    }
}

public enum ConfigurationError: Error, Sendable, Equatable, CustomStringConvertible {
    case unreadable(file: String, reason: String)
    case invalid(file: String, reason: String)

    public var description: String {
        switch self {
        case .unreadable(let file, let reason): "cannot read \(file): \(reason)"
        case .invalid(let file, let reason): "invalid configuration in \(file): \(reason)"
        }
    }
}

/// Bearer credentials: the configuration holds only `sha256:<hex>` of each.
///
/// Credentials are random tokens of at least 128 bits, so a fast hash suffices (there is no
/// dictionary to search); a slow password hash would only cap the enrollment rate.
public enum OperatorCredential {
    public static func digest(of credential: String) -> String {
        "sha256:" + Array(SHA256.hash(data: Data(credential.utf8))).lowercaseHex
    }

    /// The hex digits of a stored `sha256:<hex>`, or nil if it is not one.
    public static func parseDigest(_ text: String) -> String? {
        guard text.hasPrefix("sha256:") else { return nil }
        let hex = text.dropFirst(7)
        guard hex.utf8.count == 64, hex.isASCIIHexadecimal, !hex.contains(where: \.isUppercase) else { return nil }
        return String(hex)
    }
}
