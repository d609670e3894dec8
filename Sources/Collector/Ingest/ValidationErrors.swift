/// Every problem found in a request; the request is rejected as a whole (nothing is stored).
struct ValidationErrors: Error, Sendable {
    var issues: [ValidationIssue]

    init(_ issues: [ValidationIssue]) {
        self.issues = issues
    }
}
