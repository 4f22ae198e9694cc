/// One thing wrong with a snapshot, named by where it is.
public struct ValidationProblem: Sendable, Equatable, CustomStringConvertible {
    public enum Severity: String, Sendable { case error, warning }

    public var severity: Severity
    /// A stable code: the format's decode codes, or a check's name such as `keyGroupCoverage`.
    public var code: String
    public var message: String
    public var location: SnapshotLocation

    public init(_ severity: Severity = .error, code: String, _ message: String, at location: SnapshotLocation) {
        self.severity = severity
        self.code = code
        self.message = message
        self.location = location
    }

    public init(_ error: SnapshotError) {
        self.init(code: error.code.rawValue, error.message, at: error.location)
    }

    public var description: String {
        let loc = location.description
        return "\(severity.rawValue): \(code): \(message)" + (loc.isEmpty ? "" : " [\(loc)]")
    }
}
