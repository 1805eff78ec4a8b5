import JPKIProfile

/// `ca-config/prefectures/<code>-<name>.yaml`: one prefecture, its municipalities and its two CAs.
public struct PrefectureConfiguration: Sendable, Codable, Equatable {
    public var code: PrefectureCode
    /// Romanised name, used in certificate subjects and CRL distribution point names.
    public var name: String
    public var nameJa: String?
    public var signingCA: CAConfiguration
    public var userAuthenticationCA: CAConfiguration
    public var municipalities: [Municipality]

    public init(code: PrefectureCode, name: String, nameJa: String?, signingCA: CAConfiguration,
                userAuthenticationCA: CAConfiguration, municipalities: [Municipality]) {
        self.code = code
        self.name = name
        self.nameJa = nameJa
        self.signingCA = signingCA
        self.userAuthenticationCA = userAuthenticationCA
        self.municipalities = municipalities
    }

    public struct Municipality: Sendable, Codable, Equatable {
        public var code: MunicipalityCode
        public var name: String
        public var nameJa: String?
        /// Shards of the municipality's signing-certificate CRL; 1 (the default) for one CRL.
        public var crlShards: Int?

        public init(code: MunicipalityCode, name: String, nameJa: String?, crlShards: Int?) {
            self.code = code
            self.name = name
            self.nameJa = nameJa
            self.crlShards = crlShards
        }

        public var shardCount: Int { crlShards ?? 1 }
    }

    public func municipality(_ code: MunicipalityCode) -> Municipality? {
        municipalities.first { $0.code == code }
    }

    public func ca(_ kind: CertificateKind) -> CAConfiguration {
        switch kind {
        case .signing: signingCA
        case .userAuthentication: userAuthenticationCA
        }
    }
}

/// One CA of a prefecture.
public struct CAConfiguration: Sendable, Codable, Equatable {
    /// The operator organizational unit of the CA's subject.
    public var operatorName: String

    public init(operatorName: String) {
        self.operatorName = operatorName
    }
}
