import HTTPTypes
import NIOCore
import NIOHTTP1
import NIOHTTPTypes

/// What HTTP/1.1 asks of a server that Hummingbird leaves to the application; it sits between the HTTP codec
/// and request handling (``FloeServer``):
/// - `Expect: 100-continue` is answered `100 Continue` as soon as the request head arrives, so that a client
///   that waits for it before sending its body (curl for large bodies, .NET Framework's HttpWebRequest) sends
///   it at once instead of after its own timeout. A body over the limit is still read and answered 413.
/// - Bytes that are not HTTP, when every request before them was answered, are answered 400 with Floe's JSON
///   error body (not an empty 400), and the connection is closed. A parse error inside a request is left to
///   that request's handling.
final class HTTPProtocolHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    /// The requests whose head was read and whose answer has not ended, oldest first: whether each still
    /// waits for its `100 Continue`. A pipelined request gets it only once the answers before it have ended,
    /// so that it is never taken for part of an earlier answer.
    private var unanswered: [Bool] = []

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if case .head(let head) = unwrapInboundIn(data) {
            let expects = head.headerFields[.expect].map { $0.lowercased() == "100-continue" } ?? false
            unanswered.append(expects && !unanswered.isEmpty)
            if expects && unanswered.count == 1 { sendContinue(context) }
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        context.write(data, promise: promise)
        guard case .end = unwrapOutboundIn(data), !unanswered.isEmpty else { return }
        unanswered.removeFirst()
        if unanswered.first == true {
            unanswered[0] = false
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
        unanswered = [false]  // one answer, then nothing more on this connection
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        context.write(wrapOutboundOut(.body(body)), promise: nil)
        let written = context.eventLoop.makePromise(of: Void.self)
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: written)
        let channel = context.channel
        written.futureResult.whenComplete { _ in channel.close(promise: nil) }
    }
}
