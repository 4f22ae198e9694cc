import CairnCore
import CairnFormat
import CairnModel
import CairnTools
import Foundation
import Testing

@Suite("NativeRewriter from Swift")
struct NativeRewriterTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Fixtures/cairn")

    /// Every value of one state, by (key, namespace, user key), decoded with `schema`.
    static func values(_ path: String, state: String, schema: Schema) throws -> [[UInt8]: TypedValue] {
        let r = try NativeSnapshot(path: path).reader
        var out: [[UInt8]: TypedValue] = [:]
        for (oi, op) in r.index.operators.enumerated() {
            guard let si = op.states.firstIndex(where: { $0.name == state }) else { continue }
            for st in op.subtasks {
                for u in st.keyed where u.stateIndex == si {
                    for seg in u.segments {
                        try r.forEachEntry(of: seg, at: r.location(operator: oi)) { e in
                            let id = Array(e.keyBytes) + [0xFF] + Array(e.namespaceBytes ?? []) + [0xFF] + Array(e.userKeyBytes ?? [])
                            out[id] = try TypedValue.decode(schema, from: Array(e.valueBytes))
                        }
                    }
                }
            }
        }
        return out
    }

    @Test("a Swift closure migrates every value of a state, and the new serializer is recorded")
    func closureMigration() throws {
        let src = Self.fixtures.appendingPathComponent("tiny-seed1-chk2.cairn").path
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("cairn-rw-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("doubled.cairn").path
        var plan = RewritePlan()
        plan.valueMigrations = [RewritePlan.ValueMigration(op: .init("window-counts"), state: "window-contents",
                                                           serializer: .typed(.int64, version: 2)) { bytes in
            guard case .int64(let n) = try TypedValue.decode(.int64, from: bytes) else { throw UsageError("not an int64") }
            return TypedValue.int64(n * 2).encoded
        }]
        let report = try NativeRewriter.rewrite(source: src, to: out, plan: plan)
        #expect(!report.changes.isEmpty)
        let before = try Self.values(src, state: "window-contents", schema: .int64)
        let after = try Self.values(out, state: "window-contents", schema: .int64)
        #expect(before.count == after.count && !before.isEmpty)
        for (k, v) in before {
            guard case .int64(let a) = v, case .int64(let b)? = after[k] else {
                Issue.record("value missing or not int64")
                continue
            }
            #expect(b == a * 2)
        }
        let state = try #require(try NativeSnapshot(path: out).summary().operators.flatMap(\.states).first { $0.descriptor.name == "window-contents" })
        #expect(state.valueSerializer?.version == 2)
        #expect(SnapshotValidator.validate(source: out, view: try NativeSnapshot(path: out), deep: true).isValid)

        // A closure that throws stops the rewrite before anything is moved into place.
        var failing = RewritePlan()
        failing.valueMigrations = [RewritePlan.ValueMigration(state: "window-contents") { _ in throw UsageError("no") }]
        let refused = dir.appendingPathComponent("refused.cairn").path
        #expect(throws: (any Error).self) { try NativeRewriter.rewrite(source: src, to: refused, plan: failing) }
        #expect(!FileManager.default.fileExists(atPath: refused))
    }
}
