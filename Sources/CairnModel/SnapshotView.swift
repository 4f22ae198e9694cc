import CairnCore

/// Any snapshot, whatever its engine or format, as the tools see it.
public protocol SnapshotView: Sendable {
    /// Sizes and structure from metadata alone.
    func summary() throws -> SnapshotSummary
    /// The `limit` keys whose entries take the most bytes; may scan data.
    func largestKeys(limit: Int) throws -> [KeySize]
    /// States detailed by a scan of the data (statistics, key groups), per operator; each replaces the state of the
    /// same name in `summary()`, or adds one the metadata alone could not name.
    func scanStates() throws -> [OperatorID: [StateSummary]]
    /// Bytes read from storage so far.
    var bytesRead: UInt64 { get }
    /// Checks only this format can make; with `deep`, reading all data.
    func formatProblems(deep: Bool) -> [ValidationProblem]
    /// The names of the checks `formatProblems` makes, for reports.
    func formatChecks(deep: Bool) -> [String]
    /// Parts of this snapshot that `formatProblems` does not look at (a state format Cairn does not decode yet),
    /// so a report never claims more than was checked.
    func uncheckedParts(deep: Bool) -> [String]
    /// Calls `body` with each entry of one state as a JSON object (docs/flink-values.md), in storage order,
    /// until `body` returns false or the query's limit is reached. Reads only the key groups the query needs.
    func forEachStateEntry(_ query: StateEntryQuery, _ body: (JSONValue) throws -> Bool) throws
    /// The same entries as compact JSON bytes: each is appended to `out` (no line feed), then `body` runs and may
    /// drain `out`. Readers that can write JSON without building a `JSONValue` per entry do so here (`dump --state`).
    func appendStateEntries(_ query: StateEntryQuery, to out: inout [UInt8], _ body: (inout [UInt8]) throws -> Bool) throws
}

extension SnapshotView {
    public func uncheckedParts(deep: Bool) -> [String] { [] }

    public func forEachStateEntry(_ query: StateEntryQuery, _ body: (JSONValue) throws -> Bool) throws {
        throw UsageError("this snapshot's format has no entry-level reader in Cairn; dump --state reads .cairn files and Flink snapshots")
    }

    public func appendStateEntries(_ query: StateEntryQuery, to out: inout [UInt8], _ body: (inout [UInt8]) throws -> Bool) throws {
        try forEachStateEntry(query) { line in
            line.append(to: &out)
            return try body(&out)
        }
    }
}
