/// The hot loop of ``Inflater``: the symbols of one Huffman-coded block.
extension Inflater {
    /// Decodes the current block's symbols until it ends or the output passes `limit`.
    ///
    /// The state lives in locals (registers) while the loop runs. Each turn refills the bit
    /// buffer to at least 48 bits, enough for a length and a distance with their extra bits, or
    /// for three literals, which are decoded without a refill in between.
    func decodeHuffman(limit: Int) throws {
        let literalLengths = UnsafePointer(self.literalLengths.entries)
        let distances = UnsafePointer(self.distances.entries)
        // Branch-free refills read 8 bytes at a time: only before the input's last 7 bytes.
        var fastLimit = UnsafePointer(input + max(0, inputEnd - 7))
        var next = UnsafePointer(input + inputPosition)
        var bits = self.bits
        var bitCount = self.bitCount
        var out = output + outputPosition
        let outLimit = output + limit
        let windowStart = UnsafePointer(output + streamStart)
        defer {
            inputPosition = next - UnsafePointer(input)
            self.bits = bits
            self.bitCount = bitCount
            outputPosition = out - output
        }
        let literal = HuffmanTable.Entry.literal
        while out < outLimit {
            if next < fastLimit {
                bits |= UnsafeRawPointer(next).loadUnaligned(as: UInt64.self).littleEndian &<< UInt64(truncatingIfNeeded: bitCount)
                next += 7 &- (bitCount &>> 3)
                bitCount |= 56
            } else if bitCount < 48 {
                inputPosition = next - UnsafePointer(input)
                self.bits = bits
                self.bitCount = bitCount
                if !inputFinished {
                    _ = try readMore()
                } else {
                    try refillSlowly()
                }
                next = UnsafePointer(input + inputPosition)
                fastLimit = UnsafePointer(input + max(0, inputEnd - 7))
                bits = self.bits
                bitCount = self.bitCount
                continue
            }
            var entry = literalLengths[Int(truncatingIfNeeded: bits & 0x7FF)]
            if entry & literal != 0 {
                // Up to three literals in a row: each needs at most 15 of the 48 bits.
                var literals = 0
                repeat {
                    bits &>>= UInt64(truncatingIfNeeded: entry)
                    bitCount &-= Int(truncatingIfNeeded: entry & 0x3F)
                    out.pointee = UInt8(truncatingIfNeeded: entry &>> 16)
                    out += 1
                    literals &+= 1
                    entry = literalLengths[Int(truncatingIfNeeded: bits & 0x7FF)]
                } while literals < 3 && entry & literal != 0
                continue
            }
            if entry & HuffmanTable.Entry.link != 0 {
                bits &>>= 11
                bitCount &-= 11
                entry = literalLengths[Int(truncatingIfNeeded: entry &>> 16)
                    &+ Int(truncatingIfNeeded: bits & (UInt64(1) &<< UInt64(truncatingIfNeeded: entry &>> 8 & 0xF) &- 1))]
                if entry & literal != 0 {
                    bits &>>= UInt64(truncatingIfNeeded: entry)
                    bitCount &-= Int(truncatingIfNeeded: entry & 0x3F)
                    out.pointee = UInt8(truncatingIfNeeded: entry &>> 16)
                    out += 1
                    continue
                }
            }
            if entry & (HuffmanTable.Entry.endOfBlock | HuffmanTable.Entry.invalid) != 0 {
                if entry & HuffmanTable.Entry.invalid != 0 { throw invalid("a block holds an invalid literal/length code", bitCount: bitCount) }
                bits &>>= UInt64(truncatingIfNeeded: entry)
                bitCount &-= Int(truncatingIfNeeded: entry & 0x3F)
                self.bitCount = bitCount
                try checkPadding()
                state = .blockHeader
                return
            }
            // A length: its extra bits follow its code.
            var saved = bits
            bits &>>= UInt64(truncatingIfNeeded: entry)
            bitCount &-= Int(truncatingIfNeeded: entry & 0x3F)
            let length = Int(truncatingIfNeeded: entry &>> 16)
                &+ Int(truncatingIfNeeded: (saved & Self.mask(entry)) &>> UInt64(truncatingIfNeeded: entry &>> 8 & 0xF))

            var distanceEntry = distances[Int(truncatingIfNeeded: bits & 0xFF)]
            if distanceEntry & HuffmanTable.Entry.link != 0 {
                bits &>>= 8
                bitCount &-= 8
                distanceEntry = distances[Int(truncatingIfNeeded: distanceEntry &>> 16)
                    &+ Int(truncatingIfNeeded: bits & (UInt64(1) &<< UInt64(truncatingIfNeeded: distanceEntry &>> 8 & 0xF) &- 1))]
            }
            if distanceEntry & HuffmanTable.Entry.invalid != 0 { throw invalid("a block holds an invalid distance code", bitCount: bitCount) }
            saved = bits
            bits &>>= UInt64(truncatingIfNeeded: distanceEntry)
            bitCount &-= Int(truncatingIfNeeded: distanceEntry & 0x3F)
            let distance = Int(truncatingIfNeeded: distanceEntry &>> 16)
                &+ Int(truncatingIfNeeded: (saved & Self.mask(distanceEntry)) &>> UInt64(truncatingIfNeeded: distanceEntry &>> 8 & 0xF))
            guard distance <= UnsafePointer(out) - windowStart else { throw invalid("a match refers back past the start of the data", bitCount: bitCount) }

            var to = UnsafeMutableRawPointer(out)
            var from = UnsafeRawPointer(out - distance)
            let end = to + length
            if distance >= 8 {
                // Five words cover most matches without a branch; each word read lies before the one written.
                to.storeBytes(of: from.loadUnaligned(as: UInt64.self), as: UInt64.self)
                (to + 8).storeBytes(of: (from + 8).loadUnaligned(as: UInt64.self), as: UInt64.self)
                (to + 16).storeBytes(of: (from + 16).loadUnaligned(as: UInt64.self), as: UInt64.self)
                (to + 24).storeBytes(of: (from + 24).loadUnaligned(as: UInt64.self), as: UInt64.self)
                (to + 32).storeBytes(of: (from + 32).loadUnaligned(as: UInt64.self), as: UInt64.self)
                to += 40
                from += 40
                while to < end {
                    to.storeBytes(of: from.loadUnaligned(as: UInt64.self), as: UInt64.self)
                    to += 8
                    from += 8
                }
            } else if distance == 1 {
                let pattern = UInt64(from.load(as: UInt8.self)) &* 0x0101_0101_0101_0101
                repeat {
                    to.storeBytes(of: pattern, as: UInt64.self)
                    to += 8
                } while to < end
            } else {
                repeat {
                    to.storeBytes(of: from.load(as: UInt8.self), as: UInt8.self)
                    to += 1
                    from += 1
                } while to < end
            }
            out += length
        }
    }

    /// The low bits an entry consumes, as a mask.
    @inline(__always) static func mask(_ entry: UInt32) -> UInt64 {
        (UInt64(1) &<< UInt64(truncatingIfNeeded: entry & 0x3F)) &- 1
    }
}
