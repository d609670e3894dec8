/// Lines of an input file read together: their bytes in one buffer, and where each line lies in it.
///
/// Workers parse the lines in place (``JSONTape`` takes a slice), so a batch costs one buffer, not one
/// allocation per line.
struct LineBatch: Sendable {
    /// The bytes the lines lie in; bytes outside every line (newlines, a partial next line) are ignored.
    private(set) var bytes: [UInt8]
    /// Each line's range in `bytes`, without its newline (or a `\r` before it).
    private(set) var lines: ArraySlice<Range<Int>>

    init(bytes: [UInt8] = [], lines: [Range<Int>] = []) {
        self.bytes = bytes
        self.lines = lines[...]
    }

    var count: Int { lines.count }
    var isEmpty: Bool { lines.isEmpty }

    /// Line `index` (0 is the batch's first line).
    subscript(index: Int) -> ArraySlice<UInt8> {
        bytes[lines[lines.startIndex + index]]
    }

    /// Hands the buffer over (to be reused); the batch is empty afterwards.
    mutating func takeBytes() -> [UInt8] {
        lines = []
        defer { bytes = [] }
        return bytes
    }

    /// Lines `range` (positions within the batch) as their own batch over the same bytes.
    func slice(_ range: Range<Int>) -> LineBatch {
        var batch = self
        batch.lines = lines[(lines.startIndex + range.lowerBound)..<(lines.startIndex + range.upperBound)]
        return batch
    }
}
