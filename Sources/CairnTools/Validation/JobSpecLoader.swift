import CairnCore
import CairnFormat
import CairnModel
import Yams

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads a job spec file (YAML, or JSON, which is YAML). Strict on purpose: an unknown key or a value of the wrong
/// type anywhere is an error naming its path and line, because a misspelt key silently ignored would make
/// `validate --against` approve a job it never checked.
public enum JobSpecLoader {
    static let topKeys = ["allowNonRestoredState", "operators"]
    static let operatorKeys = ["uid", "id", "name", "parallelism", "maxParallelism", "states"]
    static let stateKeys = ["name", "kind", "keySerializer", "valueSerializer", "valueSerializerVersion", "schema"]

    /// Loads the file at `path`.
    public static func load(path: String) throws(JobSpecError) -> JobSpec {
        let text: String
        do {
            let file = try FileSource(path: path)
            guard file.size <= 16 << 20 else { throw JobSpecError(file: path, path: "", "the file is \(file.size) bytes; job specs are read up to 16 MiB") }
            text = String(decoding: try file.read(at: 0, count: Int(file.size)), as: UTF8.self)
        } catch let e as JobSpecError {
            throw e
        } catch {
            throw JobSpecError(file: path, path: "", "cannot read the job spec: \(error)")
        }
        return try parse(text, file: path)
    }

    /// Parses job spec text; `file` names it in errors.
    public static func parse(_ text: String, file: String = "job spec") throws(JobSpecError) -> JobSpec {
        let r = YAMLReader(file: file)
        let root = try r.root(text)
        let top = try r.mapping(root, "", allowed: topKeys)
        var spec = JobSpec(operators: [])
        if let n = top["allowNonRestoredState"] { spec.allowNonRestoredState = try r.bool(n, "allowNonRestoredState") }
        guard let opsNode = top["operators"] else { throw r.fail("operators", root, "missing; list the job's operators") }
        var seenIDs: [OperatorID: String] = [:]
        var seenUIDs: [String: String] = [:]
        for (i, node) in try r.sequence(opsNode, "operators").enumerated() {
            let path = "operators[\(i)]"
            let op = try self.operator(node, path, r)
            if let uid = op.uid {
                if let other = seenUIDs[uid] { throw r.fail(path + ".uid", node, "uid '\(uid)' is also used by \(other); uids are unique in a job") }
                seenUIDs[uid] = path
            }
            if let id = op.flinkID {
                if let other = seenIDs[id] {
                    throw r.fail(path + ".id", node, "operator id \(id.hex) is also used by \(other)")
                }
                seenIDs[id] = path
            }
            spec.operators.append(op)
        }
        return spec
    }

    static func `operator`(_ node: Node, _ path: String, _ r: YAMLReader) throws(JobSpecError) -> JobSpec.Operator {
        let e = try r.mapping(node, path, allowed: operatorKeys)
        var op = JobSpec.Operator(path: path)
        if let n = e["uid"] {
            let uid = try r.string(n, path + ".uid")
            guard !uid.isEmpty else { throw r.fail(path + ".uid", n, "empty; leave the key out for an operator without uid") }
            op.uid = uid
        }
        if let n = e["id"] {
            let text = try r.string(n, path + ".id")
            guard let id = OperatorID(hex: text.lowercased()) else {
                throw r.fail(path + ".id", n, "\"\(text)\" is not an operator id (32 hex digits, as Flink prints it)")
            }
            op.id = id
            if let uid = op.uid, OperatorID(flinkUID: uid) != id {
                throw r.fail(path + ".id", n, "\(id.hex) is not the id of uid '\(uid)': Flink gives that uid the id \(OperatorID(flinkUID: uid).hex) (murmur3_128 of the uid); give only one of them, or both that agree")
            }
        }
        guard op.uid != nil || op.id != nil else { throw r.fail(path, node, "an operator needs uid: or id: (32 hex digits) to be matched with the snapshot") }
        if let n = e["name"] { op.name = try r.string(n, path + ".name") }
        if let n = e["parallelism"] { op.parallelism = try r.int(n, path + ".parallelism", min: 1, max: 32768) }
        if let n = e["maxParallelism"] { op.maxParallelism = try r.int(n, path + ".maxParallelism", min: 1, max: 32768) }
        if let n = e["states"] {
            var states: [JobSpec.State] = []
            for (j, s) in try r.sequence(n, path + ".states").enumerated() {
                let st = try state(s, "\(path).states[\(j)]", r)
                if states.contains(where: { $0.name == st.name }) { throw r.fail(st.path + ".name", s, "state '\(st.name)' is listed twice") }
                states.append(st)
            }
            op.states = states
        }
        return op
    }

    static func state(_ node: Node, _ path: String, _ r: YAMLReader) throws(JobSpecError) -> JobSpec.State {
        let e = try r.mapping(node, path, allowed: stateKeys)
        guard let n = e["name"] else { throw r.fail(path, node, "a state needs name:") }
        var st = JobSpec.State(name: try r.string(n, path + ".name"), path: path)
        if let k = e["kind"] {
            let text = try r.string(k, path + ".kind")
            guard let kind = StateKind(name: text) else {
                let names = StateKind.allCases.map(\.name)
                let hint = YAMLReader.suggestion(text, among: names).map { "did you mean \($0)? " } ?? ""
                throw r.fail(path + ".kind", k, "unknown kind \"\(text)\"; \(hint)kinds are \(names.joined(separator: ", "))")
            }
            st.kind = kind
        }
        if let k = e["keySerializer"] { st.keySerializer = try r.string(k, path + ".keySerializer") }
        if let k = e["valueSerializer"] { st.valueSerializer = try r.string(k, path + ".valueSerializer") }
        if let k = e["valueSerializerVersion"] { st.valueSerializerVersion = UInt64(try r.int(k, path + ".valueSerializerVersion", min: 0)) }
        if let k = e["schema"] {
            st.schema = try SchemaYAML.schema(k, path + ".schema", r)
            if st.valueSerializer == nil { st.valueSerializer = SerializerInfo.typedName }
            guard st.valueSerializer == SerializerInfo.typedName else {
                throw r.fail(path + ".schema", k, "a schema describes typed values; valueSerializer must be \(SerializerInfo.typedName) (or left out) with it")
            }
        }
        return st
    }
}
