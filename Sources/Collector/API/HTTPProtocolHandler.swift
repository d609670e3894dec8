import HTTPTypes
import NIOCore
import NIOHTTP1
import NIOHTTPTypes

/// What HTTP/1.1 asks of a server that Hummingbird leaves to the application; it sits between the HTTP codec
/// and request handling (``FloeServer``):
/// - `Expect: 100-continue` is answered `100 Continue` as soon as the request head arrives, so that a client
///   that waits for it before sending its body (curl for large bodies, .NET Framework's HttpWebRequest) sends
///   it at once instead of after its own timeout. A body over the limit is still read and answered 413.
/// - Bytes that are not HTTP, between requests, are answered 400 with Floe's JSON error body (not an empty
///   400), and the connection is closed. A parse error inside a request is left to that request's handling.
final class HTTPProtocolHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    /// Requests whose head was read and whose answer has not ended.
    private var requestsInFlight = 0

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if case .head(let head) = unwrapInboundIn(data) {
            requestsInFlight += 1
            if let expect = head.headerFields[.expect], expect.lowercased() == "100-continue" {
                context.writeAndFlush(wrapOutboundOut(.head(HTTPResponse(status: .continue))), promise: nil)
            }
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .end = unwrapOutboundIn(data) { requestsInFlight = max(0, requestsInFlight - 1) }
        context.write(data, promise: promise)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard let parseError = error as? HTTPParserError, requestsInFlight == 0 else {
            context.fireErrorCaught(error)
            return
        }
        let body = ByteBuffer(string: APIError.badRequest("the request is not valid HTTP/1.1 (\(parseError))").body)
        let head = HTTPResponse(status: .badRequest, headerFields: [
            .contentType: "application/json", .contentLength: String(body.readableBytes), .connection: "close",
        ])
        requestsInFlight = 1  // one answer, then nothing more on this connection
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        context.write(wrapOutboundOut(.body(body)), promise: nil)
        let written = context.eventLoop.makePromise(of: Void.self)
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: written)
        let bound = NIOLoopBound(context, eventLoop: context.eventLoop)
        written.futureResult.whenComplete { _ in bound.value.close(promise: nil) }
    }
}
