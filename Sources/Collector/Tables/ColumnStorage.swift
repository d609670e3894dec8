/// The column builders of one ``RowBatchDecoder`` in memory this object owns: it frees their
/// buffers when the last decoder holding it goes away.
///
/// Decoders share it when copied; one that is about to change it while shared copies it first
/// (copy on write, checked once per row rather than once per value). That is what makes the
/// unchecked `Sendable` sound: memory is only written through a decoder that holds it alone.
final class ColumnStorage: @unchecked Sendable {
    let builders: UnsafeMutableBufferPointer<ColumnBuilder>

    init(_ columns: [ColumnBuilder]) {
        builders = .allocate(capacity: columns.count)
        _ = builders.initialize(fromContentsOf: columns)
    }

    /// Independent storage holding the same values.
    func copy() -> ColumnStorage {
        ColumnStorage(builders.map { $0.copy() })
    }

    deinit {
        for index in builders.indices { builders[index].deallocate() }
        builders.deinitialize()
        builders.deallocate()
    }
}
