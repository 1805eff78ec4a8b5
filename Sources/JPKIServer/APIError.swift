import Foundation
import HTTPTypes
import Hummingbird
import JPKIEnrollment
import JPKIRevocation
import NIOCore

/// Every error the API returns: JSON `{"error": {"code", "field", "message"}}` with a stable code.
public struct APIError: Error, HTTPResponseError, Sendable {
    public let status: HTTPResponse.Status
    public let code: String
    public let field: String?
    public let message: String
    /// Seconds until a refused request may be retried (429), sent as Retry-After.
    public let retryAfter: Int?

    public init(_ status: HTTPResponse.Status, code: String, field: String? = nil, _ message: String, retryAfter: Int? = nil) {
        self.status = status
        self.code = code
        self.field = field
        self.message = message
        self.retryAfter = retryAfter
    }

    public init(_ error: EnrollmentError) {
        self.init(.init(code: error.httpStatus), code: error.code.rawValue, field: error.field, error.message)
    }

    public init(_ error: RevocationError) {
        self.init(.init(code: error.httpStatus), code: error.code.rawValue, field: error.field, error.message)
    }

    struct Body: Encodable {
        struct Detail: Encodable {
            let code: String
            let field: String?
            let message: String
        }
        let error: Detail
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        let (head, body) = try rendered()
        return Response(status: head.status, headers: head.headerFields, body: .init(byteBuffer: body))
    }

    /// The status line, headers and JSON body of this error.
    func rendered() throws -> (HTTPResponse, ByteBuffer) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let data = try encoder.encode(Body(error: .init(code: code, field: field, message: message)))
        var headers: HTTPFields = [.contentType: "application/json"]
        if let retryAfter { headers[.retryAfter] = "\(retryAfter)" }
        return (HTTPResponse(status: status, headerFields: headers), ByteBuffer(bytes: data))
    }

    /// What a request that failed for a reason of the service's own gets.
    static let internalError = APIError(.internalServerError, code: "internal_error",
                                        "the request could not be completed; nothing was changed")

    static let unauthenticated = APIError(.unauthorized, code: "unauthenticated",
                                          "send the operator credential as Authorization: Bearer <credential>")
}

/// Turns whatever a handler or the router throws into an ``APIError``, so that no answer is an
/// HTML page or an empty body: unknown routes, wrong methods, oversized bodies, internal failures.
struct JSONErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context,
                next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as APIError {
            throw error
        } catch let error as EnrollmentError {
            throw APIError(error)
        } catch let error as RevocationError {
            throw APIError(error)
        } catch is CancellationError {
            throw CancellationError()  // the server is shutting down: not a failure of the request's own
        } catch is NIOTooManyBytesError {
            throw APIError(.contentTooLarge, code: "body_too_large", "the request body is larger than this endpoint accepts")
        } catch let error as HTTPError {
            let code = switch error.status {
            case .notFound: "not_found"
            case .contentTooLarge: "body_too_large"
            default: "http_\(error.status.code)"
            }
            throw APIError(error.status, code: code, error.body ?? error.status.reasonPhrase)
        } catch {
            context.logger.error("request failed", metadata: ["error": "\(String(reflecting: type(of: error)))"])
            throw APIError.internalError
        }
    }
}
