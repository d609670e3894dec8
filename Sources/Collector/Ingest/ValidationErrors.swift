/// Every problem found in a request; the request is rejected as a whole (nothing is stored).
package struct ValidationErrors: Error, Sendable {
    package var issues: [ValidationIssue]

    init(_ issues: [ValidationIssue]) {
        self.issues = issues
    }
}
