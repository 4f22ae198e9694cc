import CairnCore
import CairnFormat
import CairnModel

/// The outcome of `validate`: every problem found, each named by where it is.
public struct ValidationReport: Sendable {
    public var source: String
    public var deep: Bool
    public var checks: [String]
    /// What was not checked, in words: `valid` covers only `checks`.
    public var notChecked: [String] = []
    public var problems: [ValidationProblem]
    public var bytesRead: UInt64

    public var errors: [ValidationProblem] { problems.filter { $0.severity == .error } }
    public var isValid: Bool { errors.isEmpty }

    public var json: JSONValue {
        .object([
            ("version", 1), ("source", .string(source)), ("valid", .bool(isValid)), ("deep", .bool(deep)),
            ("checks", .array(checks.map { .string($0) })),
            ("notChecked", .array(notChecked.map { .string($0) })),
            ("problems", .array(problems.map(Self.problemJSON))),
            ("bytesRead", .number(bytesRead)),
        ])
    }

    public static func problemJSON(_ p: ValidationProblem) -> JSONValue {
        let l = p.location
        return .object([
            ("severity", .string(p.severity.rawValue)), ("code", .string(p.code)), ("message", .string(p.message)),
            ("location", .object([
                ("file", .optional(l.file)), ("operatorId", .optional(l.operatorID)), ("operator", .optional(l.operatorName)),
                ("subtask", l.subtask.map { .number($0) } ?? .null), ("state", .optional(l.state)),
                ("keyGroup", l.keyGroup.map { .number($0) } ?? .null), ("block", l.block.map { .number($0) } ?? .null),
                ("offset", l.offset.map { .number($0) } ?? .null),
            ])),
        ])
    }

    public func text(style: TextStyle) -> String {
        var out = ""
        for p in problems {
            let tag = p.severity == .error ? style.red("error") : style.yellow("warning")
            let loc = p.location.description
            out += "\(tag): \(p.message)" + (loc.isEmpty ? "" : "\n    at \(loc)") + " [\(p.code)]\n"
        }
        let what = "\(checks.count) checks: " + checks.joined(separator: ", ")
        if isValid {
            out += style.green("valid") + ": \(source) (\(what); \(ByteCount.format(Int64(bytesRead))) read)\n"
        } else {
            out += style.red("invalid") + ": \(source): \(errors.count) problem\(errors.count == 1 ? "" : "s") found (\(what))\n"
        }
        for part in notChecked { out += style.yellow("not checked") + ": \(part)\n" }
        return out
    }
}

/// Runs `validate`: the checks every engine's snapshot must pass, then the format's own.
public enum SnapshotValidator {
    public static let neutralChecks = ["keyGroupCoverage", "keyGroupAssignment", "uniqueOperatorIds", "uniqueUids", "serializersExist"]

    /// Validates an opened snapshot.
    public static func validate(source: String, view: any SnapshotView, deep: Bool) -> ValidationReport {
        let checks = view.formatChecks(deep: deep) + neutralChecks
        var problems: [ValidationProblem] = []
        do {
            problems += neutralProblems(try view.summary(), file: source)
        } catch let e as SnapshotError {
            problems.append(ValidationProblem(e))
        } catch {
            problems.append(ValidationProblem(code: "unreadable", "\(error)", at: SnapshotLocation(file: source)))
        }
        problems += view.formatProblems(deep: deep)
        var report = ValidationReport(source: source, deep: deep, checks: checks, problems: problems, bytesRead: view.bytesRead)
        report.notChecked = view.uncheckedParts(deep: deep)
        return report
    }

    /// A report for a snapshot that could not even be opened.
    public static func unopenable(source: String, error: SnapshotError, deep: Bool) -> ValidationReport {
        ValidationReport(source: source, deep: deep, checks: ["magic", "version", "footer", "indexChecksum", "indexStructure"],
                         problems: [ValidationProblem(error)], bytesRead: 0)
    }

    /// The checks that hold for every engine: unique ids and uids, serializers present, key groups covered once
    /// and assigned as Flink assigns them.
    public static func neutralProblems(_ s: SnapshotSummary, file: String) -> [ValidationProblem] {
        var problems: [ValidationProblem] = []
        func loc(_ op: OperatorSummary, subtask: Int? = nil, state: String? = nil) -> SnapshotLocation {
            SnapshotLocation(file: file, operatorID: op.info.id.hex, operatorName: op.info.displayName, subtask: subtask, state: state)
        }
        var ids = Set<OperatorID>()
        var uids: [String: OperatorSummary] = [:]
        for op in s.operators {
            if !ids.insert(op.info.id).inserted {
                problems.append(ValidationProblem(code: "uniqueOperatorIds", "operator id \(op.info.id.hex) appears more than once", at: loc(op)))
            }
            if !op.info.uid.isEmpty {
                if let other = uids[op.info.uid] {
                    problems.append(ValidationProblem(code: "uniqueUids", "uid '\(op.info.uid)' is used by operators \(other.info.id.hex) and \(op.info.id.hex)", at: loc(op)))
                }
                uids[op.info.uid] = op
            }
            for st in op.states {
                let d = st.descriptor
                if (d.keySerializer != nil && st.keySerializer == nil) || (d.valueSerializer != nil && st.valueSerializer == nil) {
                    problems.append(ValidationProblem(code: "serializersExist", "state refers to a serializer the snapshot does not hold", at: loc(op, state: d.name)))
                }
            }
            // Key-group coverage, for operators with keyed state.
            let keyed = op.subtasks.filter { $0.keyGroups != nil }
            guard !keyed.isEmpty else { continue }
            let maxP = op.info.maxParallelism
            var owner = [Int?](repeating: nil, count: maxP)
            for st in keyed {
                guard let r = st.keyGroups else { continue }
                let expected = KeyGroupRange.forSubtask(st.index, parallelism: op.info.parallelism, maxParallelism: maxP)
                if r != expected {
                    problems.append(ValidationProblem(
                        code: "keyGroupAssignment",
                        "subtask holds key groups \(r) but subtask \(st.index) of \(op.info.parallelism) with max parallelism \(maxP) owns \(expected)",
                        at: loc(op, subtask: st.index)))
                }
                for kg in r.start..<min(r.end, maxP) {
                    if let other = owner[kg] {
                        problems.append(ValidationProblem(code: "keyGroupCoverage", "key group \(kg) is held by subtasks \(other) and \(st.index)", at: loc(op, subtask: st.index)))
                        break
                    }
                    owner[kg] = st.index
                }
            }
            let missing = owner.indices.filter { owner[$0] == nil }
            if !missing.isEmpty && keyed.count == op.subtasks.count {
                problems.append(ValidationProblem(
                    code: "keyGroupCoverage",
                    "key groups \(rangesText(missing)) of 0..<\(maxP) belong to no subtask; keys hashing there would be lost",
                    at: loc(op)))
            }
        }
        return problems
    }

    static func rangesText(_ values: [Int]) -> String {
        var parts: [String] = []
        var i = 0
        while i < values.count {
            var j = i
            while j + 1 < values.count && values[j + 1] == values[j] + 1 { j += 1 }
            parts.append(i == j ? "\(values[i])" : "\(values[i])-\(values[j])")
            i = j + 1
        }
        return parts.prefix(8).joined(separator: ", ") + (parts.count > 8 ? ", …" : "")
    }
}
