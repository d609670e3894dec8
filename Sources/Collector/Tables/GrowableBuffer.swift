import Foundation

/// Append-only memory for plain values (bytes, integers): an append is a capacity check and a
/// store, with none of `Array`'s uniqueness checks, which cost more than the copy for the short
/// values of an event row. Growth goes through `realloc`, so a large buffer grows without a copy.
///
/// It does not free itself: the ``ColumnStorage`` that holds it calls ``deallocate()``, and makes
/// independent copies with ``copy()``.
struct GrowableBuffer<Element: BitwiseCopyable> {
    private var base: UnsafeMutablePointer<Element>?
    private(set) var count = 0
    private(set) var capacity = 0

    init() {}

    /// The values appended so far (valid until the next append or ``deallocate()``).
    var values: UnsafeBufferPointer<Element> {
        UnsafeBufferPointer(start: base, count: count)
    }

    @inline(__always)
    mutating func append(_ element: Element) {
        if count == capacity { grow(toAtLeast: count + 1) }
        base.unsafelyUnwrapped[count] = element
        count += 1
    }

    @inline(__always)
    mutating func append(contentsOf source: UnsafeBufferPointer<Element>) {
        guard let start = source.baseAddress, !source.isEmpty else { return }
        if count + source.count > capacity { grow(toAtLeast: count + source.count) }
        (base.unsafelyUnwrapped + count).initialize(from: start, count: source.count)
        count += source.count
    }

    mutating func reserveCapacity(_ minimum: Int) {
        if minimum > capacity { grow(exactly: minimum) }
    }

    private mutating func grow(toAtLeast minimum: Int) {
        grow(exactly: Swift.max(minimum, capacity * 2, 64 / MemoryLayout<Element>.stride))
    }

    private mutating func grow(exactly newCapacity: Int) {
        guard let memory = realloc(base, newCapacity * MemoryLayout<Element>.stride) else {
            fatalError("out of memory growing a column buffer to \(newCapacity) values")
        }
        base = memory.bindMemory(to: Element.self, capacity: newCapacity)
        capacity = newCapacity
    }

    /// An independent buffer holding the same values.
    func copy() -> GrowableBuffer<Element> {
        var copy = GrowableBuffer()
        copy.append(contentsOf: values)
        return copy
    }

    /// Frees the memory; the buffer is empty afterwards.
    mutating func deallocate() {
        free(base)
        base = nil
        count = 0
        capacity = 0
    }
}
