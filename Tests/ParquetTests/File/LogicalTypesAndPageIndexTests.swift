@testable import Parquet
import Testing

@Suite("Logical types, page index and parallel encoding")
struct LogicalTypesAndPageIndexTests {
    @Test("decimals take the physical type and byte width their precision needs",
          arguments: [(Int32(9), PhysicalType.int32, Int32?.none), (10, .int64, nil), (18, .int64, nil),
                      (19, .fixedLenByteArray, 9), (38, .fixedLenByteArray, 16)])
    func decimalMapping(precision: Int32, physical: PhysicalType, width: Int32?) throws {
        let mapping = try ParquetType.decimal(precision: precision, scale: 2).leafMapping(column: "d")
        #expect(mapping.physicalType == physical)
        #expect(mapping.typeLength == width)
        #expect(mapping.convertedType == .decimal && mapping.precision == precision && mapping.scale == 2)
    }

    @Test("UUID, INT(8) and unsigned INT(64) carry their annotations and sort orders")
    func annotations() throws {
        let uuid = try ParquetType.uuid.leafMapping(column: "u")
        #expect(uuid.physicalType == .fixedLenByteArray && uuid.typeLength == 16 && uuid.logicalType == .uuid)
        let int8 = try ParquetType.integer(bitWidth: 8, isSigned: true).leafMapping(column: "i")
        #expect(int8.physicalType == .int32 && int8.convertedType == .int8 && int8.sortOrder == .natural)
        let uint64 = try ParquetType.integer(bitWidth: 64, isSigned: false).leafMapping(column: "u")
        #expect(uint64.physicalType == .int64 && uint64.convertedType == .uint64 && uint64.sortOrder == .unsigned)
        #expect(throws: ParquetError.self) { try ParquetType.integer(bitWidth: 12, isSigned: true).leafMapping(column: "x") }
    }

    @Test("fixed-width decimal bounds use two's complement order, UUID bounds unsigned order")
    func fixedOrder() {
        let values: [UInt8] = [0x7F, 0x00, 0x80, 0x00, 0x00, 0x01]
        var signed = ColumnStatistics()
        signed.include(.fixed(values, width: 2), range: 0..<3, order: .signedBytes)
        #expect(signed.min == .signedFixed([0x80, 0x00]) && signed.max == .signedFixed([0x7F, 0x00]))
        var unsigned = ColumnStatistics()
        unsigned.include(.fixed(values, width: 2), range: 0..<3)
        #expect(unsigned.min == .fixed([0x00, 0x01]) && unsigned.max == .fixed([0x80, 0x00]))
        var uint32 = ColumnStatistics()
        uint32.include(.int32([-1, 5]), range: 0..<2, order: .unsigned)
        #expect(uint32.min == .uint32(5) && uint32.max == .uint32(UInt32.max))
    }

    @Test("a fixed-length column whose width differs from the schema is rejected")
    func fixedWidthMismatch() {
        let schema = ParquetSchema(fields: [ParquetField(name: "u", fieldId: 1, type: .uuid, isRequired: true)])
        #expect(throws: ParquetError.self) {
            try ParquetFileWriter.write(schema: schema, columns: [.fixedLenByteArray(bytes: [1, 2, 3, 4], width: 4,
                                                                                    validity: nil)], rowCount: 1)
        }
    }

    @Test("encoding on several threads gives the same bytes as on one", arguments: [1, 2, 3])
    func parallelIsDeterministic(threads: Int) throws {
        let table = SampleTable.make(rows: 3000)
        var serial = WriterOptions()
        serial.maxThreads = 1
        serial.rowGroupSize = 1000
        var parallel = serial
        parallel.maxThreads = threads
        let a = try ParquetFileWriter.write(schema: table.schema, columns: table.columns, rowCount: 3000, options: serial)
        let b = try ParquetFileWriter.write(schema: table.schema, columns: table.columns, rowCount: 3000, options: parallel)
        #expect(a.bytes == b.bytes)
        #expect(a.columns == b.columns)
    }

    @Test("page indexes record one location per data page and bounds that hold every page")
    func pageIndex() {
        var builder = PageIndexBuilder()
        var first = ColumnStatistics()
        first.include(.int64([1, 5]), range: 0..<2)
        var second = ColumnStatistics()
        second.include(.int64([6, 9]), range: 0..<2)
        var empty = ColumnStatistics()
        empty.nullCount = 3
        builder.append(offset: 4, size: 20, firstRow: 0, statistics: first, valueCount: 2, isString: false)
        builder.append(offset: 24, size: 20, firstRow: 2, statistics: second, valueCount: 2, isString: false)
        let index = builder.columnIndex()
        #expect(index?.boundaryOrder == .ascending)
        #expect(builder.offsetIndex.pageLocations.map(\.firstRowIndex) == [0, 2])
        builder.append(offset: 44, size: 8, firstRow: 4, statistics: empty, valueCount: 0, isString: false)
        #expect(builder.columnIndex()?.nullPages == [false, false, true])
        #expect(builder.columnIndex()?.nullCounts == [0, 0, 3])
    }

    @Test("the writer leaves out page indexes when asked")
    func pageIndexOption() throws {
        let table = SampleTable.make(rows: 100)
        var options = WriterOptions()
        options.writePageIndex = false
        let without = try ParquetFileWriter.write(schema: table.schema, columns: table.columns, rowCount: 100,
                                                  options: options)
        let with = try ParquetFileWriter.write(schema: table.schema, columns: table.columns, rowCount: 100)
        #expect(with.bytes.count > without.bytes.count)
    }
}

@Suite("Narrow integer validation")
struct NarrowIntegerTests {
    @Test("INT(8) and UINT(16) values outside their range are rejected",
          arguments: [(Int8(8), true, Int32(128)), (8, true, -129), (16, false, 65_536), (16, false, -1)])
    func outOfRange(bitWidth: Int8, isSigned: Bool, value: Int32) {
        let schema = ParquetSchema(fields: [ParquetField(name: "n", fieldId: 1,
                                                         type: .integer(bitWidth: bitWidth, isSigned: isSigned),
                                                         isRequired: true)])
        #expect(throws: ParquetError.self) {
            try ParquetFileWriter.write(schema: schema, columns: [.int32([0, value], validity: nil)], rowCount: 2)
        }
    }

    @Test("the extremes of INT(8) and UINT(16) are accepted")
    func extremes() throws {
        let schema = ParquetSchema(fields: [
            ParquetField(name: "a", fieldId: 1, type: .integer(bitWidth: 8, isSigned: true), isRequired: true),
            ParquetField(name: "b", fieldId: 2, type: .integer(bitWidth: 16, isSigned: false), isRequired: true),
        ])
        let file = try ParquetFileWriter.write(schema: schema, columns: [.int32([-128, 127], validity: nil),
                                                                         .int32([0, 65_535], validity: nil)],
                                               rowCount: 2)
        #expect(file.columns[0].minValue == [0x80, 0xFF, 0xFF, 0xFF])
        #expect(file.columns[1].maxValue == [0xFF, 0xFF, 0, 0])
    }
}
