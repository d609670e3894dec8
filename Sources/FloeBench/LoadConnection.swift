import Collector
import NIOCore
import NIOPosix

/// One keep-alive HTTP/1.1 connection of `floe bench ingest`, driven on its event loop as wrk drives
/// its connections: it writes a pre-built request, reads the answer (status line and
/// `Content-Length` only), records the latency and sends the next request at its scheduled time.
///
/// No HTTP client library sits between the generator and the server, so the generator takes a small
/// share of the two cores it shares with the server (an AsyncHTTPClient task per connection took
/// about as much CPU per request as the server itself). Paced, latency counts from each request's
/// scheduled time, so a stall is not hidden by the requests it holds back.
final class LoadConnection: ChannelInboundHandler, @unchecked Sendable {
    // @unchecked Sendable: every mutable property is used only on the channel's event loop.
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    /// When and how much one connection sends.
    struct Plan {
        var started: NIODeadline
        /// The first request's send time (connections are staggered over one interval).
        var firstSend: NIODeadline
        /// Time between two requests of this connection; nil sends the next as soon as an answer arrives.
        var interval: TimeAmount?
        /// The grid paced sends wake on: a request due between two ticks goes out at the next one, so
        /// one timer wakes every connection of the loop that is due, as wrk2's millisecond timers do.
        /// Latency still counts from the request's exact scheduled time. Nil wakes at that time.
        var timerResolution: TimeAmount?
        var deadline: NIODeadline
        /// Requests to send instead of running until `deadline`.
        var quota: Int?
        /// Events one acknowledged request carries (0 for `GET /health`).
        var eventsPerRequest: Int
        var keepsTimeline: Bool

        /// When a request due at `deadline` is sent: `deadline` rounded up to ``timerResolution``.
        func wakeUp(for deadline: NIODeadline) -> NIODeadline {
            guard let tick = timerResolution?.nanoseconds, tick > 1 else { return deadline }
            let (padded, overflow) = Int64(clamping: deadline.uptimeNanoseconds).addingReportingOverflow(tick - 1)
            guard !overflow else { return deadline }
            return .uptimeNanoseconds(UInt64(padded / tick * tick))
        }
    }

    /// What one connection measured.
    struct Outcome: Sendable {
        var histogram = LatencyHistogram()
        var events = 0
        var failures = 0
        /// Paced requests scheduled before the end of the run and not sent by then (the server was behind).
        var unsent = 0
        var timeline: [TimelineEntry] = []

        /// Adds another connection's outcome to this one.
        mutating func merge(_ other: Outcome) {
            histogram.merge(other.histogram)
            events += other.events
            failures += other.failures
            unsent += other.unsent
            timeline += other.timeline
        }
    }

    /// An answer that is not HTTP/1.1 with a `Content-Length` this generator can read.
    struct UnreadableResponse: Error, CustomStringConvertible {
        var description: String
    }

    private let plan: Plan
    private var writeRequest: (inout ByteBuffer) -> Void
    private let finished: EventLoopPromise<Outcome>
    private var outcome = Outcome()
    private var received: ByteBuffer?
    private var scheduled: NIODeadline
    private var sentAt: NIODeadline
    private var requests = 0
    private var done = false
    private var context: ChannelHandlerContext?

    private init(plan: Plan, promise: EventLoopPromise<Outcome>, writeRequest: @escaping (inout ByteBuffer) -> Void) {
        self.plan = plan
        self.finished = promise
        self.writeRequest = writeRequest
        self.scheduled = plan.firstSend
        self.sentAt = plan.firstSend
    }

    /// Connects to `127.0.0.1:port` and runs `plan`; the future completes when the connection is done.
    static func run(port: Int, plan: Plan, writeRequest: @escaping (inout ByteBuffer) -> Void) -> EventLoopFuture<Outcome> {
        let eventLoop = MultiThreadedEventLoopGroup.singleton.next()
        let promise = eventLoop.makePromise(of: Outcome.self)
        let handler = LoadConnection(plan: plan, promise: promise, writeRequest: writeRequest)
        ClientBootstrap(group: eventLoop)
            .channelOption(.tcpOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(handler) }
            }
            .connect(host: "127.0.0.1", port: port)
            .whenFailure { promise.fail($0) }
        return promise.futureResult
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
    }

    func channelActive(context: ChannelHandlerContext) {
        sendNext(context: context)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var bytes = unwrapInboundIn(data)
        if received == nil {
            received = bytes
        } else {
            received?.writeBuffer(&bytes)
        }
        do {
            while let status = try takeResponse() {
                answered(status: status, context: context)
            }
        } catch {
            finish(context: context, failure: error)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        finish(context: context, failure: error)
    }

    func channelInactive(context: ChannelHandlerContext) {
        finish(context: context, failure: UnreadableResponse(description: "the server closed the connection"))
    }

    private func sendNext(context: ChannelHandlerContext) {
        if let quota = plan.quota {
            if requests >= quota { return finish(context: context, failure: nil) }
        } else if let interval = plan.interval {
            if scheduled >= plan.deadline { return finish(context: context, failure: nil) }
            // Behind at the end of the run: the requests still scheduled are not sent late after
            // it (the run would go on as a closed loop for as long as it is behind), but counted.
            let now = NIODeadline.now()
            if now >= plan.deadline {
                let left = (plan.deadline - scheduled).nanoseconds
                outcome.unsent = Int((left + interval.nanoseconds - 1) / interval.nanoseconds)
                return finish(context: context, failure: nil)
            }
        } else if NIODeadline.now() >= plan.deadline {
            return finish(context: context, failure: nil)
        }
        if plan.interval != nil && scheduled > .now() {
            context.eventLoop.scheduleTask(deadline: plan.wakeUp(for: scheduled)) {
                // On the channel's event loop, like every other use of the handler.
                if let context = self.context { self.send(context: context) }
            }
            return
        }
        send(context: context)
    }

    private func send(context: ChannelHandlerContext) {
        guard !done else { return }
        requests += 1
        sentAt = plan.interval == nil ? .now() : scheduled
        var buffer = context.channel.allocator.buffer(capacity: 1024)
        writeRequest(&buffer)
        context.writeAndFlush(wrapOutboundOut(buffer), promise: nil)
    }

    private func answered(status: Int, context: ChannelHandlerContext) {
        let now = NIODeadline.now()
        let latency = max(0, (now - sentAt).nanoseconds / 1000)
        outcome.histogram.record(UInt64(latency))
        if plan.keepsTimeline {
            outcome.timeline.append(TimelineEntry(sentMicros: (sentAt - plan.started).nanoseconds / 1000,
                                                  latencyMicros: latency, status: status))
        }
        if status == 200 { outcome.events += plan.eventsPerRequest } else { outcome.failures += 1 }
        if let interval = plan.interval { scheduled = scheduled + interval }
        sendNext(context: context)
    }

    /// The status of the first complete response in `received` (consumed), or nil while it is incomplete.
    private func takeResponse() throws -> Int? {
        guard var buffer = received else { return nil }
        let view = buffer.readableBytesView
        guard let headEnd = view.firstRange(of: [13, 10, 13, 10])?.lowerBound else { return nil }
        let head = view[view.startIndex..<headEnd]
        // "HTTP/1.1 200 OK"
        guard head.count >= 12, head.starts(with: Array("HTTP/1.".utf8)),
              let status = Int(String(decoding: head.dropFirst(9).prefix(3), as: UTF8.self)) else {
            throw UnreadableResponse(description: "not an HTTP/1.x status line")
        }
        guard let length = Self.contentLength(in: head) else {
            throw UnreadableResponse(description: "a response without Content-Length")
        }
        let total = headEnd - view.startIndex + 4 + length
        guard buffer.readableBytes >= total else { return nil }
        buffer.moveReaderIndex(forwardBy: total)
        received = buffer.readableBytes == 0 ? nil : buffer
        return status
    }

    private static func contentLength(in head: ByteBufferView.SubSequence) -> Int? {
        let name = Array("content-length:".utf8)
        for line in head.split(separator: 10) {
            let lowered = line.prefix(name.count).map { $0 >= 65 && $0 <= 90 ? $0 + 32 : $0 }
            guard lowered == name else { continue }
            return Int(String(decoding: line.dropFirst(name.count).filter { $0 != 32 && $0 != 9 && $0 != 13 }, as: UTF8.self))
        }
        return nil
    }

    private func finish(context: ChannelHandlerContext, failure: (any Error)?) {
        guard !done else { return }
        done = true
        if let failure { finished.fail(failure) } else { finished.succeed(outcome) }
        context.close(promise: nil)
    }
}
