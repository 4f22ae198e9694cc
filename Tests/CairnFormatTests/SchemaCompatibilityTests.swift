import CairnFormat
import CairnModel
import Testing

@Suite("Schema compatibility (BACKWARD / FORWARD / FULL)")
struct SchemaCompatibilityTests {
    static let v1 = Schema.record(name: "UserTotals", fields: [
        .init("count", .int64), .init("sum", .float32), .init("lastSeen", .int64),
    ])

    @Test("an identical schema is FULL")
    func identical() {
        let c = SchemaCompatibility(old: Self.v1, new: Self.v1)
        #expect(c.level == .full)
        #expect(c.backwardIssues.isEmpty && c.forwardIssues.isEmpty)
        #expect(c.satisfies(.full) && c.satisfies(.backward) && c.satisfies(.forward))
    }

    @Test("a field added with a default is FULL; without one it breaks BACKWARD and names the field")
    func addedField() {
        let withDefault = Schema.record(name: "UserTotals", fields: [
            .init("count", .int64), .init("sum", .float32), .init("lastSeen", .int64), .init("currency", .string, default: .string("EUR")),
        ])
        #expect(SchemaCompatibility(old: Self.v1, new: withDefault).level == .full)

        let noDefault = Schema.record(name: "UserTotals", fields: [
            .init("count", .int64), .init("sum", .float32), .init("lastSeen", .int64), .init("currency", .string),
        ])
        let c = SchemaCompatibility(old: Self.v1, new: noDefault)
        #expect(c.level == .forward)
        #expect(c.backwardIssues.map(\.path) == ["UserTotals.currency"])
        #expect(c.backwardIssues[0].description.contains("no default"))
    }

    @Test("a removed field is BACKWARD; the old reader then misses it unless it had a default")
    func removedField() {
        let removed = Schema.record(name: "UserTotals", fields: [.init("count", .int64), .init("sum", .float32)])
        let c = SchemaCompatibility(old: Self.v1, new: removed)
        #expect(c.level == .backward)
        #expect(c.forwardIssues.map(\.path) == ["UserTotals.lastSeen"])
    }

    @Test("widening int32→int64, float32→float64 and T→optional<T> is BACKWARD, the reverse narrows")
    func widening() {
        let old = Schema.record(name: "R", fields: [.init("a", .int32), .init("b", .float32), .init("c", .string)])
        let new = Schema.record(name: "R", fields: [.init("a", .int64), .init("b", .float64), .init("c", .optional(.string))])
        let c = SchemaCompatibility(old: old, new: new)
        #expect(c.level == .backward)
        #expect(Set(c.forwardIssues.map(\.path)) == ["R.a", "R.b", "R.c"])
        #expect(c.forwardIssues.first { $0.path == "R.a" }?.description == "R.a: int64 → int32 narrows")

        let narrowed = SchemaCompatibility(old: new, new: old)
        #expect(narrowed.level == .forward)
        #expect(narrowed.backwardIssues.contains { $0.description == "R.a: int64 → int32 narrows" })
        #expect(narrowed.backwardIssues.contains { $0.path == "R.c" && $0.reason.contains("absent values") })
    }

    @Test("the brief's example: UserTotals.amount int64 → int32 narrows, named in BACKWARD")
    func namedNarrowing() {
        let old = Schema.record(name: "UserTotals", fields: [.init("amount", .int64)])
        let new = Schema.record(name: "UserTotals", fields: [.init("amount", .int32)])
        let c = SchemaCompatibility(old: old, new: new)
        #expect(c.level == .forward)
        #expect(c.backwardIssues.map(\.description) == ["UserTotals.amount: int64 → int32 narrows"])
    }

    @Test("a rename through the new field's aliases reads old data; the old reader misses the new name")
    func renameByAlias() {
        let old = Schema.record(name: "UserTotals", fields: [.init("count", .int64), .init("sum", .float64)])
        let new = Schema.record(name: "UserTotals", fields: [.init("count", .int64), .init("total", .float64, aliases: ["sum"])])
        let c = SchemaCompatibility(old: old, new: new)
        #expect(c.isBackward)
        #expect(c.level == .backward)
        #expect(c.forwardIssues.map(\.path) == ["UserTotals.sum"])
        // Without the alias the rename is a removal plus an addition without default.
        let unaliased = Schema.record(name: "UserTotals", fields: [.init("count", .int64), .init("total", .float64)])
        #expect(SchemaCompatibility(old: old, new: unaliased).backwardIssues.map(\.path) == ["UserTotals.total"])
    }

    @Test("nested records, lists and maps give the full field path")
    func nestedPaths() {
        let addr1 = Schema.record(name: "Address", fields: [.init("zip", .int32)])
        let addr2 = Schema.record(name: "Address", fields: [.init("zip", .string)])
        let old = Schema.record(name: "Customer", fields: [.init("home", addr1), .init("tags", .list(.int64)), .init("scores", .map(key: .string, value: .int32))])
        let new = Schema.record(name: "Customer", fields: [.init("home", addr2), .init("tags", .list(.int32)), .init("scores", .map(key: .string, value: .int64))])
        let c = SchemaCompatibility(old: old, new: new)
        #expect(c.level == .none)
        let paths = Set(c.backwardIssues.map(\.path))
        #expect(paths == ["Customer.home.zip", "Customer.tags[]"])
        #expect(c.forwardIssues.map(\.path).contains("Customer.scores{}"))
    }

    @Test("non-record roots, and a record renamed")
    func roots() {
        #expect(SchemaCompatibility(old: .int32, new: .int64).level == .backward)
        #expect(SchemaCompatibility(old: .string, new: .bytes).level == .none)
        #expect(SchemaCompatibility(old: .string, new: .bytes).backwardIssues.first?.description == "value: string → bytes changes type")
        let a = Schema.record(name: "A", fields: [.init("x", .int32)])
        let b = Schema.record(name: "B", fields: [.init("x", .int32)])
        #expect(SchemaCompatibility(old: a, new: b).level == .none)
    }
}
