@testable import Buffer
import Testing

@Suite("DedupIndex")
struct DedupIndexTests {
    private func key(_ number: Int) -> DedupIndex.Key { DedupIndex.Key(Array("message-\(number)".utf8)) }

    @Test("holds every inserted key and nothing else, through table growth")
    func membership() {
        let index = DedupIndex(window: 1_000, capacity: 300_000)
        for number in 0..<200_000 { index.insert(key(number), expiresAt: 10, rowid: Int64(number + 1)) }
        #expect(index.count == 200_000)
        #expect((0..<200_000).allSatisfy { index.contains(key($0)) })
        #expect(!(200_000..<260_000).contains { index.contains(key($0)) })
        index.insert(key(5), expiresAt: 10, rowid: 999_999)
        #expect(index.count == 200_000)
    }

    @Test("expires whole blocks whose keys are all past their time, and reports the highest dropped rowid")
    func expiry() {
        let index = DedupIndex(window: 1_000, capacity: 100_000)
        let block = DedupIndex.blockSize
        for number in 0..<(3 * block) { index.insert(key(number), expiresAt: Int64(number / block), rowid: Int64(number + 1)) }
        #expect(index.expire(now: -1) == nil)
        #expect(index.expire(now: 0) == Int64(block))
        #expect(!index.contains(key(0)) && !index.contains(key(block - 1)))
        #expect(index.contains(key(block)) && index.contains(key(3 * block - 1)))
        #expect(index.expire(now: 5) == Int64(3 * block))
        #expect(index.count == 0)
        index.insert(key(0), expiresAt: 100, rowid: 10_000)
        #expect(index.contains(key(0)) && index.count == 1)
    }

    @Test("forgets the oldest keys past capacity, never the newest; churn keeps lookups exact")
    func capacity() {
        let capacity = 5 * DedupIndex.blockSize
        let index = DedupIndex(window: 1_000, capacity: capacity)
        var dropped: Int64 = 0
        for number in 0..<100_000 {
            index.insert(key(number), expiresAt: 1_000_000, rowid: Int64(number + 1))
            if number % 777 == 0, let through = index.expire(now: 0) {
                #expect(through > dropped)
                dropped = through
            }
        }
        if let through = index.expire(now: 0) { dropped = through }
        #expect(index.count <= capacity)
        #expect(index.count >= capacity - DedupIndex.blockSize)
        // The newest `count` keys are all there; everything older is gone, and the dropped rowids are exactly the older ones.
        let oldestHeld = 100_000 - index.count
        #expect((oldestHeld..<100_000).allSatisfy { index.contains(key($0)) })
        #expect(!(0..<oldestHeld).contains { index.contains(key($0)) })
        #expect(dropped == Int64(oldestHeld))
    }

    @Test("a ring that fills between expiries drops its oldest block itself and reports it at the next expiry")
    func fullRing() {
        let block = DedupIndex.blockSize
        let index = DedupIndex(window: 1_000, capacity: 2 * block)
        for number in 0..<(10 * block) { index.insert(key(number), expiresAt: 1_000_000, rowid: Int64(number + 1)) }
        #expect(index.count <= 3 * block)
        #expect(index.contains(key(10 * block - 1)))
        #expect(!index.contains(key(0)))
        let dropped = index.expire(now: 0)
        #expect(dropped == Int64(10 * block - index.count))
    }

    @Test("a rollback forgets exactly the keys inserted since the mark")
    func rollback() {
        let index = DedupIndex(window: 1_000, capacity: 10_000)
        for number in 0..<1_500 { index.insert(key(number), expiresAt: 10, rowid: 1) }
        let mark = index.mark
        for number in 1_500..<3_000 { #expect(index.insert(key(number), expiresAt: 10, rowid: 2)) }
        #expect(!index.insert(key(7), expiresAt: 10, rowid: 2))
        index.rollback(to: mark)
        #expect(index.count == 1_500)
        #expect((0..<1_500).allSatisfy { index.contains(key($0)) })
        #expect(!(1_500..<3_000).contains { index.contains(key($0)) })
        #expect(index.insert(key(2_000), expiresAt: 10, rowid: 2))
    }

    @Test("a row shared by two blocks is reported only when the later block releases it")
    func sharedRow() {
        let block = DedupIndex.blockSize
        let index = DedupIndex(window: 1_000, capacity: 100_000)
        // Row 1 holds the first block and half of the second; row 2 the rest of the second.
        for number in 0..<(block + block / 2) { index.insert(key(number), expiresAt: 5, rowid: 1) }
        for number in (block + block / 2)..<(2 * block) { index.insert(key(number), expiresAt: 50, rowid: 2) }
        #expect(index.expire(now: 10) == nil)
        #expect(!index.contains(key(0)) && index.contains(key(block)))
        #expect(index.expire(now: 60) == 2)
        #expect(index.count == 0)
    }
}
