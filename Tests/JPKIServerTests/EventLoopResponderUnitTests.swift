import HTTPTypes
import NIOCore
import NIOEmbedded
import NIOHTTPTypes
import Synchronization
import Testing
@testable import JPKIServer

/// ``EventLoopResponder`` on an `EmbeddedChannel`, with answers of its own: `/now` at once,
/// `/later` when the test calls back; anything else passes on, as to the router.
@Suite("EventLoopResponder: order, held requests and events, deferred reads")
struct EventLoopResponderUnitTests {
    final class Pending: Sendable {
        let callbacks = Mutex<[@Sendable (EventLoopResponse) -> Void]>([])

        func answer(_ text: String) {
            let callback = callbacks.withLock { $0.removeFirst() }
            callback(EventLoopResponse(head: HTTPResponse(status: .ok), body: ByteBuffer(string: text)))
        }
    }

    /// Counts the reads that reach the socket (it sits nearer the head than the responder).
    final class ReadCounter: ChannelOutboundHandler, @unchecked Sendable {
        typealias OutboundIn = Any
        var reads = 0
        func read(context: ChannelHandlerContext) {
            reads += 1
            context.read()
        }
    }

    /// Records the events that reach the router's side.
    final class EventRecorder: ChannelInboundHandler, @unchecked Sendable {
        typealias InboundIn = HTTPRequestPart
        var events: [String] = []
        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            context.fireChannelRead(data)
        }
        func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
            events.append("\(event)")
        }
    }

    struct Scene {
        let channel: EmbeddedChannel
        let pending: Pending
        let reads: ReadCounter
        let events: EventRecorder

        func send(_ path: String) throws {
            try channel.writeInbound(HTTPRequestPart.head(HTTPRequest(method: .get, scheme: nil, authority: nil, path: path)))
            try channel.writeInbound(HTTPRequestPart.end(nil))
        }

        /// Paths passed on to the router (heads only).
        func passedOn() throws -> [String] {
            var paths: [String] = []
            while let part = try channel.readInbound(as: HTTPRequestPart.self) {
                if case .head(let request) = part { paths.append(request.path ?? "") }
            }
            return paths
        }

        /// Bodies of the responses written, in order.
        func answered() throws -> [String] {
            var bodies: [String] = []
            while let part = try channel.readOutbound(as: HTTPResponsePart.self) {
                switch part {
                case .head(let head): #expect(head.headerFields[.server] == "test" && head.headerFields[.date] != nil)
                case .body(let body): bodies.append(String(buffer: body))
                case .end: break
                }
            }
            return bodies
        }

        /// Sends `/now` and expects it answered here, not passed on.
        func expectAnsweredNow() throws {
            try send("/now")
            #expect(try passedOn().isEmpty)
            #expect(try answered() == ["now"])
        }

        /// Drops the router's responses written so far.
        func drainRouterResponses() throws {
            while try channel.readOutbound(as: HTTPResponsePart.self) != nil {}
        }

        /// The router's response to a request passed on.
        func routerResponds() throws {
            try channel.writeOutbound(HTTPResponsePart.head(HTTPResponse(status: .ok)))
            try channel.writeOutbound(HTTPResponsePart.end(nil))
        }
    }

    func scene() throws -> Scene {
        let pending = Pending(), reads = ReadCounter(), events = EventRecorder()
        let channel = EmbeddedChannel()
        try channel.pipeline.syncOperations.addHandlers([
            reads,
            EventLoopResponder(serverName: "test") { request in
                switch request.path {
                case "/now": .now(EventLoopResponse(head: HTTPResponse(status: .ok), body: ByteBuffer(string: "now")))
                case "/later": .later { respond in pending.callbacks.withLock { $0.append(respond) } }
                default: nil
                }
            },
            events,
        ])
        return Scene(channel: channel, pending: pending, reads: reads, events: events)
    }

    @Test func anAnswerNowIsWrittenAndItsRequestNotPassedOn() throws {
        try scene().expectAnsweredNow()
    }

    @Test func nothingIsAnsweredAheadOfARequestPassedOn() throws {
        let scene = try scene()
        try scene.send("/router")
        try scene.send("/now")
        // The router has not answered /router: /now goes behind it, to the router too.
        #expect(try scene.passedOn() == ["/router", "/now"])
        try scene.routerResponds()
        try scene.routerResponds()
        try scene.drainRouterResponses()
        try scene.expectAnsweredNow()
    }

    @Test func aResponseWithoutARequestDoesNotStopAnswers() throws {
        let scene = try scene()
        // As Hummingbird's 400 for a request it could not parse.
        try scene.routerResponds()
        try scene.drainRouterResponses()
        try scene.expectAnsweredNow()
    }

    @Test func whatArrivesBehindAnAwaitedAnswerWaitsForIt() throws {
        let scene = try scene()
        try scene.send("/later")
        try scene.send("/router")
        scene.channel.pipeline.fireUserInboundEventTriggered(ChannelEvent.inputClosed)
        let readsBefore = scene.reads.reads
        scene.channel.read()
        // Held: no request passed on, no event, no read, nothing written.
        #expect(try scene.passedOn().isEmpty)
        #expect(scene.events.events.isEmpty)
        #expect(scene.reads.reads == readsBefore)
        #expect(try scene.answered().isEmpty)
        scene.pending.answer("later")
        scene.channel.embeddedEventLoop.run()
        #expect(try scene.answered() == ["later"])
        #expect(try scene.passedOn() == ["/router"])
        #expect(scene.events.events == ["\(ChannelEvent.inputClosed)"])
        #expect(scene.reads.reads == readsBefore + 1)
    }

    @Test func theSocketIsNotReadWhileTheChannelIsNotWritable() throws {
        let scene = try scene()
        let readsBefore = scene.reads.reads
        scene.channel.isWritable = false
        scene.channel.read()
        #expect(scene.reads.reads == readsBefore)
        scene.channel.isWritable = true
        scene.channel.pipeline.fireChannelWritabilityChanged()
        #expect(scene.reads.reads == readsBefore + 1)
    }
}
