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
    let operators: [Operator]
    let verifiers: [Verifier]

    func authenticate(request: Request, context: Context) async throws -> Principal? {
        guard let token = request.headers.bearer?.token else { return nil }
        if let op = OperatorCredential.authenticate(token, among: operators) { return .operator(op) }
        return OperatorCredential.authenticate(token, among: verifiers, digest: \.credential).map(Principal.verifier)
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
