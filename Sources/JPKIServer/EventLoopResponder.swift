import Foundation
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import NIOHTTPTypes

/// A response written by ``EventLoopResponder``: it adds Date and Server as Hummingbird does.
struct EventLoopResponse: Sendable {
    var head: HTTPResponse
    var body: ByteBuffer?
}

/// How ``EventLoopResponder`` answers a request: at once, or when `start` calls back from any
/// thread (once an audit line is committed).
enum EventLoopAnswer: Sendable {
    case now(EventLoopResponse)
    case later(@Sendable (_ respond: @escaping @Sendable (EventLoopResponse) -> Void) -> Void)
}

/// Answers the busiest requests of verifiers on the connection's event loop, ahead of the
/// router: an OCSP GET whose pre-signed response is in memory (``APIRoutes/ocspAnswer(to:ocsp:)``)
/// and a validity lookup of such a certificate by a registered verifier within its rate
/// (``APIRoutes/validityAnswer(to:ocsp:access:logger:)``). Every other request, and every one of
/// these that would need the store or an error answer, goes on to the router, which answers
/// these too, the same way.
///
/// Why: in a `perf` profile under wrk, most of the server's time for such a request went to
/// carrying it from the event loop into Swift concurrency and the response back (the async
/// channel's reader and writer, task switches, `Request`, `Response`, the middleware chain).
/// Answered here, in Hummingbird's HTTP/1 pipeline (its `additionalChannelHandlers`, after the
/// HTTP codec), a request costs only its parsing, its answer and its write.
///
/// Responses leave in the order of their requests (RFC 9112 §9.3.2): none is answered here
/// while a request passed on to the router awaits its response, and while an answer awaits its
/// audit commit, whatever arrives after it (requests, errors, the client's half-close, a
/// shutdown's quiesce) is held, and the socket is not read. The socket is not read either while
/// the channel is not writable, so that a client that sends without reading cannot make the
/// server queue answers without bound (what the async writer's backpressure does for the router).
///
/// Hummingbird's connection state handler, behind this one, sees only the requests passed on:
/// an idle timeout, if one were configured, would not count the requests answered here.
final class EventLoopResponder: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    /// What arrived while an answer was awaited, in order.
    private enum Held {
        case part(HTTPRequestPart)
        case error(any Error)
        case event(Any)
    }

    private let answer: @Sendable (HTTPRequest) -> EventLoopAnswer?
    private let serverName: String?
    /// Requests passed on to the router whose responses have not ended.
    private var passedOn = 0
    /// The rest of a request answered here (its body, its end) is dropped.
    private var dropping = false
    /// An answer awaits its callback: what arrives meanwhile is held, and reads are deferred.
    private var awaiting = false
    private var held = CircularBuffer<Held>()
    private var readDeferred = false
    /// The Date header (RFC 9110 §6.6.1), made once a second.
    private var date: (second: Int64, text: String) = (0, "")

    init(serverName: String?, answer: @escaping @Sendable (HTTPRequest) -> EventLoopAnswer?) {
        self.serverName = serverName
        self.answer = answer
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let part = unwrapInboundIn(data)
        if awaiting { held.append(.part(part)) } else { receive(part, context: context) }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if awaiting { held.append(.error(error)) } else { context.fireErrorCaught(error) }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if awaiting { held.append(.event(event)) } else { context.fireUserInboundEventTriggered(event) }
    }

    private func receive(_ part: HTTPRequestPart, context: ChannelHandlerContext) {
        switch part {
        case .head(let request):
            if passedOn == 0, let answer = answer(request) {
                dropping = true
                let close = request.headerFields[.connection] == "close"
                switch answer {
                case .now(let response):
                    write(response, close: close, context: context)
                case .later(let start):
                    awaiting = true
                    let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
                    start { response in
                        bound.eventLoop.execute {
                            let (handler, context) = bound.value
                            handler.write(response, close: close, context: context)
                            handler.resume(context: context)
                        }
                    }
                }
                return
            }
            dropping = false
            passedOn += 1
            context.fireChannelRead(wrapInboundOut(part))
        case .body, .end:
            if !dropping { context.fireChannelRead(wrapInboundOut(part)) }
        }
    }

    /// After an awaited answer: what was held, in order, then reading again.
    private func resume(context: ChannelHandlerContext) {
        awaiting = false
        let replaying = !held.isEmpty
        while !awaiting, let item = held.popFirst() {
            switch item {
            case .part(let part): receive(part, context: context)
            case .error(let error): context.fireErrorCaught(error)
            case .event(let event): context.fireUserInboundEventTriggered(event)
            }
        }
        // The async channel behind delivers what it read at the end of a read.
        if replaying { context.fireChannelReadComplete() }
        readIfDeferred(context: context)
    }

    func read(context: ChannelHandlerContext) {
        if awaiting || !context.channel.isWritable { readDeferred = true } else { context.read() }
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        context.fireChannelWritabilityChanged()
        readIfDeferred(context: context)
    }

    private func readIfDeferred(context: ChannelHandlerContext) {
        guard readDeferred, !awaiting, context.channel.isWritable else { return }
        readDeferred = false
        context.read()
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        // Never below zero: Hummingbird answers a request it could not parse (400) with no
        // request passed on.
        if case .end = unwrapOutboundIn(data) { passedOn = max(0, passedOn - 1) }
        context.write(data, promise: promise)
    }

    private func write(_ response: EventLoopResponse, close: Bool, context: ChannelHandlerContext) {
        var head = response.head
        let seconds = Int64(Date().timeIntervalSince1970)
        if date.second != seconds { date = (seconds, HTTPDate.format(seconds)) }
        head.headerFields[.date] = date.text
        if let serverName { head.headerFields[.server] = serverName }
        // A 304 carries no length (RFC 9110 §8.6; NIO's encoder would drop it anyway).
        if let body = response.body {
            head.headerFields[.contentLength] = "\(body.readableBytes)"
        } else if head.status != .notModified {
            head.headerFields[.contentLength] = "0"
        }
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        if let body = response.body { context.write(wrapOutboundOut(.body(body)), promise: nil) }
        let written = context.writeAndFlush(wrapOutboundOut(.end(nil)))
        if close {
            let channel = context.channel
            written.whenComplete { _ in channel.close(promise: nil) }
        }
    }
}
