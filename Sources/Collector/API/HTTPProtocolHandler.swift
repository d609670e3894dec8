import HTTPTypes
import NIOCore
import NIOHTTP1
import NIOHTTPTypes
import NIOHTTPTypesHTTP1

/// What HTTP/1.1 asks of a server that Hummingbird leaves to the application; it sits between the HTTP codec
/// and request handling (``FloeServer``):
/// - `Expect: 100-continue` is answered `100 Continue` as soon as the request head arrives, so that a client
///   that waits for it before sending its body (curl for large bodies, .NET Framework's HttpWebRequest) sends
///   it at once instead of after its own timeout. A body over the limit is still read and answered 413.
/// - Bytes that are not HTTP, when every request before them was answered, are answered 400 with Floe's JSON
///   error body (not an empty 400), and the connection is closed. A parse error inside a request is left to
///   that request's handling.
/// - A `CONNECT` request (Floe is no proxy) gets its answer from the router, and the connection is closed after
///   it: swift-nio's response encoder writes every answer to a `CONNECT` without a length, so only the close
///   tells the client where the answer ends.
/// - An HTTP/1.0 request without `Connection: keep-alive` (ApacheBench without `-k`, scripts that read to the end
///   of the stream) closes the connection after its answer, as HTTP/1.0 connections do by default. The request's
///   HTTP version is gone once swift-nio's codec has turned it into an `HTTPRequest`, so a ``KeepAliveMarker``
///   placed before that codec marks such a request `Connection: close`, which Hummingbird honours. One that
///   asks for `keep-alive` gets `Connection: keep-alive` in its answer, so that the client keeps it.
final class HTTPProtocolHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    /// A request whose head was read and whose answer has not ended.
    private struct Unanswered {
        /// It still waits for its `100 Continue`.
        var awaitsContinue: Bool
        /// The connection closes once its answer has ended.
        var closesAfter: Bool
    }

    /// The requests whose answer has not ended, oldest first. A pipelined request gets its `100 Continue` only
    /// once the answers before it have ended, so that it is never taken for part of an earlier answer.
    private var unanswered: [Unanswered] = []

    /// A `CONNECT` request's end was read: nothing after it is a request of its own.
    private var ignoresReads = false

    func handlerAdded(context: ChannelHandlerContext) {
        let pipeline = context.pipeline.syncOperations
        guard (try? pipeline.handler(type: KeepAliveMarker.self)) == nil,
              let codec = try? pipeline.handler(type: HTTP1ToHTTPServerCodec.self) else { return }
        try? pipeline.addHandler(KeepAliveMarker(), position: .before(codec))
    }

    /// Works where a request's HTTP version is still known: marks a request that does not keep its connection
    /// alive (HTTP/1.0 by default, any version with a `close` token) `Connection: close`, and answers an HTTP/1.0
    /// request that keeps it alive (`Connection: keep-alive`) with `Connection: keep-alive`.
    final class KeepAliveMarker: ChannelDuplexHandler, RemovableChannelHandler {
        typealias InboundIn = HTTPServerRequestPart
        typealias InboundOut = HTTPServerRequestPart
        typealias OutboundIn = HTTPServerResponsePart
        typealias OutboundOut = HTTPServerResponsePart

        /// Per request whose answer has not ended, oldest first: an HTTP/1.0 request kept alive.
        private var confirms: [Bool] = []

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            guard case .head(var head) = unwrapInboundIn(data) else {
                context.fireChannelRead(data)
                return
            }
            let keepsAlive = head.isKeepAlive
            confirms.append(keepsAlive && head.version == .http1_0)
            guard !keepsAlive else {
                context.fireChannelRead(data)
                return
            }
            head.headers.replaceOrAdd(name: "connection", value: "close")
            context.fireChannelRead(wrapInboundOut(.head(head)))
        }

        func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
            switch unwrapOutboundIn(data) {
            case .head(var head) where head.status != .continue && confirms.first == true:
                head.headers.replaceOrAdd(name: "connection", value: "keep-alive")
                context.write(wrapOutboundOut(.head(head)), promise: promise)
            case .end:
                if !confirms.isEmpty { confirms.removeFirst() }
                context.write(data, promise: promise)
            default:
                context.write(data, promise: promise)
            }
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !ignoresReads else { return }
        switch unwrapInboundIn(data) {
        case .head(let head):
            let expects = head.headerFields[.expect].map { $0.lowercased() == "100-continue" } ?? false
            unanswered.append(Unanswered(awaitsContinue: expects && !unanswered.isEmpty,
                                         closesAfter: head.method == .connect))
            if expects && unanswered.count == 1 { sendContinue(context) }
        case .body:
            if unanswered.last?.closesAfter == true { return }  // what follows a CONNECT head is no body
        case .end:
            if unanswered.last?.closesAfter == true { ignoresReads = true }
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let part = unwrapOutboundIn(data)
        if case .head(var head) = part, head.status != .continue, unanswered.first?.closesAfter == true {
            head.headerFields[.connection] = "close"
            context.write(wrapOutboundOut(.head(head)), promise: promise)
            return
        }
        guard case .end = part, let answered = unanswered.first else {
            context.write(data, promise: promise)
            return
        }
        unanswered.removeFirst()
        if answered.closesAfter {
            let written = context.eventLoop.makePromise(of: Void.self)
            written.futureResult.cascade(to: promise)
            context.writeAndFlush(data, promise: written)
            let channel = context.channel
            written.futureResult.whenComplete { _ in channel.close(promise: nil) }
            return
        }
        context.write(data, promise: promise)
        if unanswered.first?.awaitsContinue == true {
            unanswered[0].awaitsContinue = false
            sendContinue(context)
        }
    }

    private func sendContinue(_ context: ChannelHandlerContext) {
        context.writeAndFlush(wrapOutboundOut(.head(HTTPResponse(status: .continue))), promise: nil)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard let parseError = error as? HTTPParserError, unanswered.isEmpty, context.channel.isActive else {
            context.fireErrorCaught(error)
            return
        }
        let body = ByteBuffer(string: APIError.badRequest("the request is not valid HTTP/1.1 (\(parseError))").body)
        let head = HTTPResponse(status: .badRequest, headerFields: [
            .contentType: "application/json", .contentLength: String(body.readableBytes), .connection: "close",
        ])
        unanswered = [Unanswered(awaitsContinue: false, closesAfter: true)]  // one answer, nothing more after it
        ignoresReads = true
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        context.write(wrapOutboundOut(.body(body)), promise: nil)
        let written = context.eventLoop.makePromise(of: Void.self)
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: written)
        let channel = context.channel
        written.futureResult.whenComplete { _ in channel.close(promise: nil) }
    }
}
