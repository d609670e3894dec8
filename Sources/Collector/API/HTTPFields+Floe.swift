import Hummingbird

extension HTTPFields {
    /// The value of a header exactly as `headers[name]` gives it (repeated fields joined, so that an
    /// ambiguous `Authorization` or `Content-Type` stays ambiguous), without building a joined
    /// string when the header appears once.
    ///
    /// The subscript joins through lazy generic sequences even for a single field: 1.6 % of the
    /// server's CPU under `/v1/track` load for `Content-Type` alone (Benchmarks/README.md, session 14).
    func value(_ name: Element.Name) -> String? {
        var found: String?
        for field in self where field.name == name {
            if found != nil { return self[name] }
            found = field.value
        }
        return found
    }

    /// The first value of a header by case-insensitive name (for names HTTPTypes does not predefine).
    func value(named name: String) -> String? {
        let lowered = name.utf8.contains(where: { (65...90).contains($0) }) ? name.lowercased() : name
        for field in self where field.name.canonicalName == lowered { return field.value }
        return nil
    }
}
