import Hummingbird

extension HTTPFields {
    /// The first value of a header by case-insensitive name (for names HTTPTypes does not predefine).
    func value(named name: String) -> String? {
        let lowered = name.lowercased()
        return first { $0.name.canonicalName == lowered }?.value
    }
}
