import Buffer
@testable import Collector
import Testing

@Suite("PartitionIDCache")
struct PartitionIDCacheTests {
    @Test("an id from the cache is the id built from the slot's table and key")
    func sameAsBuilt() {
        let cache = PartitionIDCache()
        let slots = [PartitionSlot(segment: .track, hours: 490_000), PartitionSlot(segment: .identify, hours: 490_000),
                     PartitionSlot(cloudEventType: Array("com.example.order".utf8), hours: 490_001),
                     PartitionSlot(rejected: "segment", hours: 0)]
        for _ in 0..<2 {
            for slot in slots {
                #expect(cache.id(for: slot) == PartitionID(table: slot.table.name, key: slot.key.description))
            }
        }
        #expect(cache.id(for: slots[0]) == PartitionID(table: "events", key: "track/2025-11-24-16"))
        #expect(cache.count == slots.count)
    }

    @Test("past its limit the cache starts afresh and still answers right")
    func bounded() {
        let cache = PartitionIDCache(limit: 8)
        for hours in Int32(0)..<100 {
            let slot = PartitionSlot(segment: .page, hours: hours)
            #expect(cache.id(for: slot).key == "page/\(Timestamp.hourLabel(hours))")
            #expect(cache.count <= 8)
        }
    }

    @Test("a long CloudEvents type is answered but not kept")
    func longTypeNotKept() {
        let cache = PartitionIDCache()
        let type = [UInt8](repeating: UInt8(ascii: "x"), count: PartitionIDCache.maxCachedKeyBytes)
        let slot = PartitionSlot(cloudEventType: type, hours: 10)
        #expect(cache.id(for: slot) == PartitionID(table: "cloudevents", key: "\(String(repeating: "x", count: type.count))/1970-01-01-10"))
        #expect(cache.count == 0)
    }
}
