import Hummingbird

extension HTTPFields {
    /// The first value of a header, for the single-valued headers Floe reads on every request
    /// (`Content-Type`, `Authorization`, ...).
    ///
    /// `headers[name]` joins every value of a present header into a new string through lazy
    /// generic sequences: 1.6 % of the server's CPU under `/v1/track` load for `Content-Type` alone
    /// (Benchmarks/README.md, session 14). This returns the first value as it is.
    func firstValue(_ name: Element.Name) -> String? {
        for field in self where field.name == name { return field.value }
        return nil
    }

    /// The first value of a header by case-insensitive name (for names HTTPTypes does not predefine).
    func value(named name: String) -> String? {
        let lowered = name.utf8.contains(where: { (65...90).contains($0) }) ? name.lowercased() : name
        for field in self where field.name.canonicalName == lowered { return field.value }
        return nil
    }
}
