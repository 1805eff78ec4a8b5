import Crypto
import Foundation
import Hummingbird
import HummingbirdAuth
import JPKIConfiguration

/// Who sent a request: an operator of the CA (desk, feed, call centre, administrator) or a
/// registered verifier. The two never share a credential, and neither can use the other's API.
public enum Principal: Sendable {
    case `operator`(Operator)
    case verifier(Verifier)
}

/// The request context of the API: Hummingbird's, with the authenticated ``Principal``.
public typealias OperatorRequestContext = BasicAuthRequestContext<Principal>

/// Authenticates `Authorization: Bearer <credential>` against the stored digests of operators
/// and verifiers. A request without a valid credential goes on unauthenticated, so public
/// routes (health, CA certificates, CRLs, open OCSP) answer it; routes that need a principal
/// refuse it with 401.
struct OperatorAuthenticator: AuthenticatorMiddleware {
    typealias Context = OperatorRequestContext
    let credentials: CredentialDirectory

    func authenticate(request: Request, context: Context) async throws -> Principal? {
        request.headers.bearer.flatMap { credentials.principal(presenting: $0.token) }
    }
}

/// Every principal by the SHA-256 of its credential, as the configuration stores it.
///
/// A presented credential is hashed once and looked up. Looking up by the hash leaks nothing
/// a timing attack could use: an attacker chooses the credential, not its hash, and learns at
/// most how a hash they cannot steer compares with the stored ones (what constant-time
/// comparison guards against is guessing a secret byte by byte).
struct CredentialDirectory: Sendable {
    private let principals: [Data: Principal]

    init(_ service: ServiceConfiguration) {
        var principals: [Data: Principal] = [:]
        for op in service.operators { if let digest = Self.digest(op.credential) { principals[digest] = .operator(op) } }
        for verifier in service.verifiers ?? [] { if let digest = Self.digest(verifier.credential) { principals[digest] = .verifier(verifier) } }
        self.principals = principals
    }

    /// `sha256:<hex>` as bytes (the configuration has been validated to hold only that form).
    private static func digest(_ stored: String) -> Data? {
        OperatorCredential.parseDigest(stored).flatMap { [UInt8](hexadecimal: $0) }.map { Data($0) }
    }

    func principal(presenting credential: String) -> Principal? {
        principals[Data(SHA256.hash(data: Data(credential.utf8)))]
    }

    func verifier(presenting credential: String) -> Verifier? {
        if case .verifier(let verifier)? = principal(presenting: credential) { return verifier }
        return nil
    }
}

extension OperatorRequestContext {
    /// The operator, or 401 saying whether the credential was missing or wrong, or 403 for a verifier.
    func requireOperator(_ request: Request) throws -> Operator {
        switch identity {
        case .operator(let op): return op
        case .verifier(let verifier):
            throw APIError(.forbidden, code: "operators_only", "verifier \(verifier.id) may use the verifier API only")
        case nil:
            guard request.headers.bearer != nil else { throw APIError.unauthenticated }
            throw APIError(.unauthorized, code: "invalid_credential", "the credential is not that of a configured operator")
        }
    }

    /// The registered verifier, or 401, or 403 for an operator.
    func requireVerifier(_ request: Request) throws -> Verifier {
        switch identity {
        case .verifier(let verifier): return verifier
        case .operator(let op):
            throw APIError(.forbidden, code: "verifiers_only", "operator \(op.id) cannot use the verifier API")
        case nil:
            guard request.headers.bearer != nil else {
                throw APIError(.unauthorized, code: "unauthenticated",
                               "send the verifier credential as Authorization: Bearer <credential>")
            }
            throw APIError(.unauthorized, code: "invalid_credential", "the credential is not that of a registered verifier")
        }
    }
}
