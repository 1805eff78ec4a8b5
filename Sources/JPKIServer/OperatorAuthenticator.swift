import Hummingbird
import HummingbirdAuth
import JPKIConfiguration

/// The request context of the API: Hummingbird's, with the authenticated ``Operator``.
public typealias OperatorRequestContext = BasicAuthRequestContext<Operator>

/// Authenticates `Authorization: Bearer <credential>` against the operators' stored digests.
/// A request without a valid credential goes on unauthenticated; routes that need an operator
/// refuse it with 401.
struct OperatorAuthenticator: AuthenticatorMiddleware {
    typealias Context = OperatorRequestContext
    let operators: [Operator]

    func authenticate(request: Request, context: Context) async throws -> Operator? {
        guard let bearer = request.headers.bearer else { return nil }
        guard let found = OperatorCredential.authenticate(bearer.token, among: operators) else {
            throw APIError(.unauthorized, code: "invalid_credential", "the credential is not that of a configured operator")
        }
        return found
    }
}

extension OperatorRequestContext {
    /// The operator, or 401.
    func requireOperator() throws -> Operator {
        guard let identity else { throw APIError.unauthenticated }
        return identity
    }
}
