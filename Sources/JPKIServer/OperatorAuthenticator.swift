import Hummingbird
import HummingbirdAuth
import JPKIConfiguration

/// The request context of the API: Hummingbird's, with the authenticated ``Operator``.
public typealias OperatorRequestContext = BasicAuthRequestContext<Operator>

/// Authenticates `Authorization: Bearer <credential>` against the operators' stored digests.
/// A request without a valid credential goes on unauthenticated, so public routes (health, CA
/// certificates) answer it; routes that need an operator refuse it with 401.
struct OperatorAuthenticator: AuthenticatorMiddleware {
    typealias Context = OperatorRequestContext
    let operators: [Operator]

    func authenticate(request: Request, context: Context) async throws -> Operator? {
        request.headers.bearer.flatMap { OperatorCredential.authenticate($0.token, among: operators) }
    }
}

extension OperatorRequestContext {
    /// The operator, or 401 saying whether the credential was missing or wrong.
    func requireOperator(_ request: Request) throws -> Operator {
        if let identity { return identity }
        guard request.headers.bearer != nil else { throw APIError.unauthenticated }
        throw APIError(.unauthorized, code: "invalid_credential", "the credential is not that of a configured operator")
    }
}
