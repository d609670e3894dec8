extension String {
    /// Whether the two strings hold the same UTF-8 bytes (`==` follows Unicode canonical equivalence instead).
    package func equalsUTF8(_ other: String) -> Bool {
        utf8.count == other.utf8.count && utf8.elementsEqual(other.utf8)
    }

    /// Feeds the string's UTF-8 bytes (and their count) to `hasher`: the hash that goes with byte equality
    /// (`utf8.elementsEqual`), where `String`'s own hash follows Unicode canonical equivalence.
    package func hashUTF8(into hasher: inout Hasher) {
        hasher.combine(utf8.count)
        let hashed = utf8.withContiguousStorageIfAvailable { hasher.combine(bytes: UnsafeRawBufferPointer($0)) } != nil
        if !hashed { Array(utf8).withUnsafeBytes { hasher.combine(bytes: $0) } }
    }
}
