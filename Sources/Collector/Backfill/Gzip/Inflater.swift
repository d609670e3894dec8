/// Decodes DEFLATE data (RFC 1951) in steps of bounded output, reading its input as it goes.
///
/// Built for speed on large inputs: a 64-bit bit buffer refilled without branches while the input
/// has room, table decoding that resolves most symbols in one load (``HuffmanTable``), and
/// matches copied eight bytes at a time. The output of each step lies after the last 32 KiB of
/// the previous ones (the window matches refer back into), in one buffer.
///
/// ``GzipDecoder`` adds the gzip framing; it reads the bytes between streams through
/// ``readByte()``.
package final class Inflater {
    /// Why the data cannot be decoded.
    package struct DataError: Error, CustomStringConvertible {
        package var description: String
    }

    /// Reads more input into the buffer given; returns the bytes read, 0 at the end.
    package typealias Source = (UnsafeMutableRawBufferPointer) throws -> Int

    private static let window = 32 * 1024
    /// Room after the step's limit: a match started below it (at most 258 bytes) plus the 8-byte
    /// stores that may run past a match's end.
    private static let overrun = 258 + 16

    private let source: Source
    let input: UnsafeMutablePointer<UInt8>
    private let inputCapacity: Int
    var inputPosition = 0
    var inputEnd = 0
    var inputFinished = false

    /// Bits not yet used, least significant first. Bits above `bitCount` are zero or the next input.
    var bits: UInt64 = 0
    var bitCount = 0
    /// Zero bytes added to `bits` past the end of the input; using any of them means it was cut short.
    var padding = 0

    let output: UnsafeMutablePointer<UInt8>
    private let step: Int
    var outputPosition = 0
    /// Where the current stream's output starts in `output` (matches may not reach before it).
    var streamStart = 0

    enum State {
        case blockHeader
        case huffman
        case stored(remaining: Int)
        case streamEnd
    }
    var state = State.blockHeader
    private var lastBlock = false
    /// Whether the tables hold the fixed codes already (fixed blocks in a row build them once).
    private var tablesHoldFixedCodes = false

    var literalLengths = HuffmanTable(.literalLength)
    var distances = HuffmanTable(.distance)
    private var codeLengths = HuffmanTable(.codeLength)
    private let lengths: UnsafeMutablePointer<UInt8>

    /// `step`: the most output one ``decode()`` produces (it can stop up to 258 bytes past it).
    init(step: Int = 1 << 20, inputSize: Int = 1 << 20, source: @escaping Source) {
        self.source = source
        self.step = max(step, 1)
        inputCapacity = max(inputSize, 64)
        input = .allocate(capacity: inputCapacity)
        output = .allocate(capacity: Self.window + self.step + Self.overrun)
        lengths = .allocate(capacity: 288 + 32)
        lengths.initialize(repeating: 0, count: 288 + 32)
    }

    deinit {
        input.deallocate()
        output.deallocate()
        lengths.deallocate()
    }

    /// Whether the current stream's last block has been decoded.
    var atStreamEnd: Bool {
        if case .streamEnd = state { return true }
        return false
    }

    /// Starts a new DEFLATE stream at the next byte (after ``readByte()`` consumed the framing).
    func startStream() {
        state = .blockHeader
        lastBlock = false
        streamStart = outputPosition
    }

    /// Decodes up to `step` bytes of the current stream; returns them (valid until the next call).
    /// Returns fewer, possibly none, only when the stream ends.
    func decode() throws -> UnsafeBufferPointer<UInt8> {
        try failingForGood {
            keepWindow()
            let start = outputPosition
            let limit = outputPosition + step
            loop: while outputPosition < limit {
                switch state {
                case .streamEnd:
                    break loop
                case .blockHeader:
                    try readBlockHeader()
                case .huffman:
                    try decodeHuffman(limit: limit)
                case .stored(let remaining):
                    try copyStored(remaining, limit: limit)
                }
            }
            // No byte made from the zeros past the end of the input is handed out.
            try checkPadding()
            return UnsafeBufferPointer(start: output + start, count: outputPosition - start)
        }
    }

    /// The first error, thrown again by every later call: after one, the state is not trusted.
    private var failure: (any Error)?

    private func failingForGood<T>(_ body: () throws -> T) throws -> T {
        if let failure { throw failure }
        do {
            return try body()
        } catch {
            failure = error
            throw error
        }
    }

    /// Moves the last 32 KiB of output (what matches can refer to) to the front of the buffer.
    private func keepWindow() {
        guard outputPosition > Self.window else { return }
        let shift = outputPosition - Self.window
        (output).update(from: output + shift, count: Self.window)
        outputPosition = Self.window
        streamStart = max(0, streamStart - shift)
    }

    // MARK: - Input

    /// Moves the unread input to the front and reads more after it; false at the end of the input.
    func readMore() throws -> Bool {
        if inputFinished { return false }
        let unread = inputEnd - inputPosition
        if unread > 0 && inputPosition > 0 { input.update(from: input + inputPosition, count: unread) }
        inputPosition = 0
        inputEnd = unread
        let count = try source(UnsafeMutableRawBufferPointer(start: input + unread, count: inputCapacity - unread))
        if count == 0 { inputFinished = true }
        inputEnd += count
        return count > 0
    }

    /// Makes `bits` hold at least 56 bits, byte by byte, reading more input as needed and adding
    /// zero bytes past its end. Throws once a zero byte was used.
    func refillSlowly() throws {
        try checkPadding()
        while bitCount <= 55 {
            if inputPosition == inputEnd, try !readMore() {
                padding += 1
            } else {
                bits |= UInt64(input[inputPosition]) &<< UInt64(bitCount)
                inputPosition += 1
            }
            bitCount += 8
        }
    }

    func checkPadding() throws {
        if bitCount < padding * 8 { throw Self.truncated }
    }

    private static let truncated = DataError(description: "the compressed data ends too soon")

    /// The error for data that decodes to nonsense: the data was cut short when the bits used ran
    /// into the zeros added past its end.
    func invalid(_ description: String, bitCount: Int? = nil) -> DataError {
        (bitCount ?? self.bitCount) < padding * 8 ? Self.truncated : DataError(description: description)
    }

    private func take(_ count: Int) throws -> Int {
        if bitCount < count { try refillSlowly() }
        let value = Int(truncatingIfNeeded: bits & (UInt64(1) &<< UInt64(count) &- 1))
        bits &>>= UInt64(count)
        bitCount -= count
        return value
    }

    /// Drops the bits up to the next byte boundary.
    private func alignToByte() throws {
        bits &>>= UInt64(bitCount & 7)
        bitCount -= bitCount & 7
        try checkPadding()
    }

    /// The next byte after the current stream (its framing), or nil at the end of the input.
    func readByte() throws -> UInt8? {
        try failingForGood { try nextByte() }
    }

    private func nextByte() throws -> UInt8? {
        try alignToByte()
        if bitCount > padding * 8 {
            let byte = UInt8(truncatingIfNeeded: bits)
            bits &>>= 8
            bitCount -= 8
            return byte
        }
        // Only padding is left in `bits`: read the input directly.
        bits = 0
        bitCount = 0
        padding = 0
        if inputPosition == inputEnd, try !readMore() { return nil }
        defer { inputPosition += 1 }
        return input[inputPosition]
    }

    // MARK: - Blocks

    private func readBlockHeader() throws {
        if lastBlock {
            try alignToByte()
            state = .streamEnd
            return
        }
        lastBlock = try take(1) == 1
        switch try take(2) {
        case 0:
            try alignToByte()
            let length = try take(16)
            let complement = try take(16)
            guard length == ~complement & 0xFFFF else { throw invalid("a stored block's length is corrupt") }
            state = .stored(remaining: length)
        case 1:
            if !tablesHoldFixedCodes {
                literalLengths.buildFixed()
                distances.buildFixed()
                tablesHoldFixedCodes = true
            }
            state = .huffman
        case 2:
            try readDynamicCodes()
            state = .huffman
        default:
            throw invalid("a block has the reserved type 3")
        }
    }

    private static let codeLengthOrder = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15]

    /// Reads a dynamic block's code lengths (RFC 1951, section 3.2.7) and builds its two tables.
    private func readDynamicCodes() throws {
        tablesHoldFixedCodes = false
        let literalCount = try take(5) + 257
        let distanceCount = try take(5) + 1
        let codeLengthCount = try take(4) + 4
        guard literalCount <= 286, distanceCount <= 30 else { throw invalid("a block declares too many codes") }
        lengths.update(repeating: 0, count: 19)
        for index in 0..<codeLengthCount { lengths[Self.codeLengthOrder[index]] = UInt8(try take(3)) }
        try build(&codeLengths, count: 19, what: "code lengths")

        let total = literalCount + distanceCount
        var index = 0
        while index < total {
            if bitCount < 7 { try refillSlowly() }
            let entry = codeLengths.entries[Int(truncatingIfNeeded: bits & 0x7F)]
            guard entry & HuffmanTable.Entry.invalid == 0 else { throw invalid("a code length's code is invalid") }
            let consumed = Int(entry & 0x3F)
            bits &>>= UInt64(consumed)
            bitCount -= consumed
            let symbol = Int(entry >> 16)
            var value: UInt8 = 0
            let repeats: Int
            switch symbol {
            case 0..<16:
                lengths[index] = UInt8(symbol)
                index += 1
                continue
            case 16:
                guard index > 0 else { throw invalid("a code length repeats before the first one") }
                value = lengths[index - 1]
                repeats = try take(2) + 3
            case 17:
                repeats = try take(3) + 3
            default:
                repeats = try take(7) + 11
            }
            guard index + repeats <= total else { throw invalid("code lengths run past their count") }
            (lengths + index).update(repeating: value, count: repeats)
            index += repeats
        }
        guard lengths[256] > 0 else { throw invalid("a block has no end-of-block code") }
        try build(&literalLengths, count: literalCount, what: "literal/length")
        // The distance lengths follow the literal/length ones.
        let distanceLengths = UnsafeBufferPointer(start: lengths + literalCount, count: distanceCount)
        do {
            try distances.build(lengths: distanceLengths)
        } catch {
            throw invalid("a block's distance code is \(error == .oversubscribed ? "oversubscribed" : "incomplete")")
        }
    }

    private func build(_ table: inout HuffmanTable, count: Int, what: String) throws {
        do {
            try table.build(lengths: UnsafeBufferPointer(start: lengths, count: count))
        } catch {
            throw invalid("a block's \(what) code is \(error == .oversubscribed ? "oversubscribed" : "incomplete")")
        }
    }

    private func copyStored(_ remaining: Int, limit: Int) throws {
        var remaining = remaining
        // Whole bytes still in `bits` come first.
        while remaining > 0 && bitCount >= 8 && outputPosition < limit {
            try checkPadding()
            guard bitCount > padding * 8 else { break }
            output[outputPosition] = UInt8(truncatingIfNeeded: bits)
            outputPosition += 1
            bits &>>= 8
            bitCount -= 8
            remaining -= 1
        }
        if bitCount <= padding * 8 {
            bits = 0
            bitCount = 0
            padding = 0
        }
        while remaining > 0 && outputPosition < limit && bitCount == 0 {
            if inputPosition == inputEnd, try !readMore() { throw Self.truncated }
            let count = min(remaining, inputEnd - inputPosition, limit - outputPosition)
            (output + outputPosition).update(from: input + inputPosition, count: count)
            outputPosition += count
            inputPosition += count
            remaining -= count
        }
        state = remaining == 0 ? .blockHeader : .stored(remaining: remaining)
    }
}
