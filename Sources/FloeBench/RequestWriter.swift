import NIOCore

/// Writes the requests of one `floe bench ingest` connection: `GET /health`, or a `/v1/track`
/// message or `/v1/batch` body spliced from the corpus's pre-split events, each event with a fresh
/// `messageId` (`w{worker}-{n}`) so that nothing is deduplicated.
struct RequestWriter {
    let path: String
    let events: [IngestBench.SplitEvent]
    /// Events per `/v1/batch` request; 0 sends single `/v1/track` messages.
    let batch: Int
    let worker: Int
    var cursor: Int
    private var counter = 0
    private var body = ByteBuffer()

    init(path: String, events: [IngestBench.SplitEvent], batch: Int, worker: Int, cursor: Int) {
        self.path = path
        self.events = events
        self.batch = batch
        self.worker = worker
        self.cursor = cursor
    }

    /// Appends the next request, head and body, to `buffer`.
    mutating func write(into buffer: inout ByteBuffer) {
        guard !events.isEmpty else {
            buffer.writeString("GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            return
        }
        body.clear()
        if batch > 0 { body.writeString("{\"batch\":[") }
        for index in 0..<max(1, batch) {
            counter += 1
            if index > 0 { body.writeInteger(UInt8(ascii: ",")) }
            let event = events[cursor]
            body.writeBytes(event.prefix)
            body.writeString("w\(worker)-\(counter)")
            body.writeBytes(event.suffix)
            cursor = (cursor + 1) % events.count
        }
        if batch > 0 { body.writeString("]}") }
        buffer.writeString("POST \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: \(body.readableBytes)\r\n\r\n")
        buffer.writeImmutableBuffer(body)
    }
}
