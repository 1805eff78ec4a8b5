import Foundation
import JPKIProfile

/// `ca-config/service.yaml`: how the service runs and who may use it.
public struct ServiceConfiguration: Sendable, Codable, Equatable {
    public enum Mode: String, Sendable, Codable {
        /// Development: CAs are created on first start, keys use a published passphrase and the
        /// CA names say DEVELOPMENT ONLY.
        case development
        /// Production: CAs are created only by `jpki-ca init`, the passphrase must be supplied.
        case production
    }

    public var mode: Mode
    /// The public base URL written into certificates (OCSP, CA certificate, CRL URIs).
    public var publicBaseURL: String
    public var listen: Listen
    /// Database and keys live here, relative to the working directory unless absolute.
    public var dataDirectory: String
    /// Hash shards of each user-authentication CA's CRLs.
    public var userAuthenticationCRLShards: Int
    /// PBKDF2 rounds for newly encrypted keys; default 600,000 in production, 1,000 in development.
    public var keyEncryptionIterations: Int?
    /// How far in the future a change notice's effective time may lie (clock skew between the
    /// registry and the CA) before the notice is rejected; default 300 seconds.
    public var noticeFutureToleranceSeconds: Int?
    /// CRL publication; defaults when absent.
    public var crl: CRLSettings?
    /// The OCSP responder; defaults when absent.
    public var ocsp: OCSPSettings?
    public var operators: [Operator]
    /// Registered verifiers of the OCSP responder and the verifier API.
    public var verifiers: [Verifier]?
    /// The purposes a government verifier may state for a linkage or four-items lookup.
    public var lookupPurposes: [LookupPurpose]?

    public var crlSettings: CRLSettings { crl ?? CRLSettings() }
    public var ocspSettings: OCSPSettings { ocsp ?? OCSPSettings() }

    public var noticeFutureTolerance: TimeInterval { TimeInterval(noticeFutureToleranceSeconds ?? 300) }

    public init(mode: Mode, publicBaseURL: String, listen: Listen, dataDirectory: String, userAuthenticationCRLShards: Int,
                keyEncryptionIterations: Int?, noticeFutureToleranceSeconds: Int? = nil, crl: CRLSettings? = nil,
                ocsp: OCSPSettings? = nil, operators: [Operator], verifiers: [Verifier]? = nil,
                lookupPurposes: [LookupPurpose]? = nil) {
        self.mode = mode
        self.publicBaseURL = publicBaseURL
        self.listen = listen
        self.dataDirectory = dataDirectory
        self.userAuthenticationCRLShards = userAuthenticationCRLShards
        self.keyEncryptionIterations = keyEncryptionIterations
        self.noticeFutureToleranceSeconds = noticeFutureToleranceSeconds
        self.crl = crl
        self.ocsp = ocsp
        self.operators = operators
        self.verifiers = verifiers
        self.lookupPurposes = lookupPurposes
    }

    public struct Listen: Sendable, Codable, Equatable {
        public var host: String
        public var port: Int

        public init(host: String, port: Int) {
            self.host = host
            self.port = port
        }
    }
}

/// A person or system allowed to call the service.
public struct Operator: Sendable, Codable, Equatable {
    public enum Role: String, Sendable, Codable {
        /// A municipal enrollment desk (市町村窓口): enrolls residents of its own municipality only.
        case desk
        /// CA operations: bulk revocation, and everything a desk may do, anywhere.
        case administrator
        /// The resident registry's feed of change notices (異動等情報): delivers notices and
        /// nothing else. Bound to a municipality, it may deliver only that municipality's notices.
        case registryFeed = "registry-feed"
        /// The call centre that takes lost-card calls at any hour: may suspend any certificate,
        /// and do nothing else.
        case callCentre = "call-centre"
    }

    public var id: String
    public var role: Role
    /// Required for desk operators, optional for a registry feed: the municipality they act for.
    public var municipality: MunicipalityCode?
    /// `sha256:<hex>` of the operator's bearer credential. The credential itself is never stored.
    public var credential: String

    public init(id: String, role: Role, municipality: MunicipalityCode?, credential: String) {
        self.id = id
        self.role = role
        self.municipality = municipality
        self.credential = credential
    }
}
