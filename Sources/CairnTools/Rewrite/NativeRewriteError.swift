import CairnCore
import CairnFormat
import CairnModel

/// Why a native rewrite stopped. Every case says what, where, and what to do; nothing is ever left at DEST.
public enum NativeRewriteError: CairnError {
    /// DEST is SOURCE (or the same file under another name): the input must never be modified.
    case sameFile(source: String, destination: String)
    /// The input has problems; rewriting would carry them over or fail half way.
    case invalidInput(source: String, deep: Bool, problems: [ValidationProblem])
    /// An operator named by an option is not in the snapshot.
    case unknownOperator(option: String, name: String, available: [String])
    /// An operator named by an option matches several operators (a shared name).
    case ambiguousOperator(option: String, name: String, matches: [String])
    /// Two options contradict each other for one operator (dropped and renamed, two renames, two parallelisms).
    case conflictingOptions(String)
    /// `--rename-uid`: the new uid or its id is already another operator's.
    case uidCollision(old: String, new: String, id: String, holder: String)
    /// `--set-offset`: no split of that id in the source operator.
    case unknownSplit(source: String, split: String, available: [String])
    /// `--set-offset`: the split's position cannot take this value.
    case cannotSetOffset(source: String, split: String, reason: String)
    /// `--parallelism` / `--max-parallelism` out of range for an operator.
    case invalidParallelism(operator: String, reason: String)
    /// `--parallelism` on an operator with in-flight buffers, without `--drop-inflight`.
    case inFlightBuffers(operator: String, subtasks: [Int], channels: Int, buffers: Int)
    /// An option that needs to read entries applied to state carried byte for byte from Flink.
    case opaqueState(operator: String, option: String)
    /// `--migrate` or a `ValueMigration` cannot be applied as written (unknown state, wrong version, a field that
    /// would be lost); found before anything is written.
    case migrationRefused(operator: String, state: String, problems: [String])
    /// A value did not survive its migration (decoding with the old schema, the transform, or the new schema).
    case valueRejected(operator: String, state: String, subtask: Int, keyGroup: Int?, key: [UInt8]?, reason: String)
    /// The written output did not pass deep validation: a bug in the rewrite; it was not moved into place.
    case invalidOutput(destination: String, problems: [ValidationProblem])
    /// Reading or writing a file failed.
    case io(IOError)

    /// 1 when the input snapshot is damaged, 2 for usage and I/O problems (the command line contract).
    public var exitStatus: Int32 {
        if case .invalidInput = self { return 1 }
        return 2
    }

    public var description: String {
        switch self {
        case .sameFile(let s, let d):
            return "DEST \(d) is the source \(s); a rewrite never modifies its input. Name a new file."
        case .invalidInput(let s, let deep, let problems):
            let first = problems.first.map { ": the first: \($0.message)" + ($0.location.description.isEmpty ? "" : " (at \($0.location))") } ?? ""
            return "\(s) has \(problems.count) problem(s)\(first). Nothing was written; `cairn validate \(s)\(deep ? " --deep" : "")` lists them all. Restore the snapshot from a copy (cairn pull) and rewrite that."
        case .unknownOperator(let option, let name, let available):
            return "\(option): no operator \"\(name)\" in the snapshot; operators are \(available.joined(separator: ", "))"
        case .ambiguousOperator(let option, let name, let matches):
            return "\(option): \"\(name)\" names several operators (\(matches.joined(separator: ", "))); name one by uid or by its 32-hex id"
        case .conflictingOptions(let message):
            return message
        case .uidCollision(let old, let new, let id, let holder):
            return "--rename-uid \(old)=\(new): the new uid (id \(id)) is already taken by operator \(holder); choose another uid or drop that operator"
        case .unknownSplit(let source, let split, let available):
            return "--set-offset: operator \(source) has no split \"\(split)\"; its splits are \(available.isEmpty ? "none" : available.joined(separator: ", "))"
        case .cannotSetOffset(let source, let split, let reason):
            return "--set-offset \(source):\(split): \(reason)"
        case .invalidParallelism(let op, let reason):
            return "operator \(op): \(reason)"
        case .inFlightBuffers(let op, let subtasks, let channels, let buffers):
            return "--parallelism: operator \(op) has \(buffers) in-flight buffer(s) in \(channels) channel(s) of subtask(s) \(subtasks.map(String.init).joined(separator: ", ")) (an unaligned checkpoint); they cannot be redistributed. Add --drop-inflight to discard them (the records they hold are lost unless the sources replay them), or take an aligned checkpoint or a savepoint instead."
        case .opaqueState(let op, let option):
            return "\(option): operator \(op) holds state carried byte for byte from Flink (a converted snapshot); convert-back is not possible; rewrite the Flink snapshot (cairn rewrite FLINK_SOURCE DEST) or drop the operator"
        case .migrationRefused(let op, let state, let problems):
            return "cannot migrate \(op)/\(state): " + problems.joined(separator: "; ") + ". Nothing was written."
        case .valueRejected(let op, let state, let subtask, let kg, let key, let reason):
            var at = "subtask \(subtask)"
            if let kg { at += ", key group \(kg)" }
            if let key { at += ", key 0x\(Hex.encode(Array(key.prefix(32))))" }
            return "migrating \(op)/\(state) failed at \(at): \(reason). Nothing was written."
        case .invalidOutput(let d, let problems):
            let first = problems.first.map { "\($0.message) (at \($0.location))" } ?? ""
            return "the rewritten snapshot failed validation, so it was not moved to \(d): \(first). This is a bug in cairn rewrite; please report it with the command line."
        case .io(let e):
            return "\(e)"
        }
    }
}
