import CairnCore
import CairnModel

/// Why a Flink rewrite stopped. Every case says what and where, and what to do; nothing is left at DEST.
public enum FlinkRewriteError: CairnError {
    /// DEST is already there; a rewrite never overwrites.
    case destinationExists(String)
    /// DEST lies inside the input's directory, which a rewrite never changes.
    case destinationInsideSource(destination: String, source: String)
    /// The input has problems (a missing or short file, bad offsets): rewriting would carry them over.
    case invalidInput(source: String, problems: [ValidationProblem])
    /// An operator named in the plan is not in the snapshot.
    case unknownOperator(option: String, name: String, available: [String])
    /// An operator named in the plan by a name several operators share.
    case ambiguousOperator(option: String, name: String, matches: [String])
    /// `--rename-uid`: the new uid's id is already another operator's.
    case idCollision(new: String, id: String, holder: String)
    /// `--set-offset`: no split of that id in the source operator's reader state.
    case unknownSplit(source: String, split: String, available: [String])
    /// `--set-offset`: the split or its state cannot be changed (format, compression, position).
    case cannotSetOffset(source: String, split: String, reason: String)
    /// `--relocate`: the old base cannot be found in `_metadata`.
    case relocationBaseUnknown(source: String, examples: [String])
    /// A file the output refers to does not exist where the output says.
    case missingOutputFile(path: String, role: String, hint: String)
    /// A file to be copied would land on a different file that is already there.
    case conflictingFile(path: String)
    /// The written output did not pass validation (a bug in the rewrite, or a file changed meanwhile).
    case invalidOutput(problems: [ValidationProblem])
    /// A string grew beyond what `_metadata` can hold.
    case unwritable(String)
    /// Reading or writing a file failed.
    case io(IOError)
    /// A state named in the plan (`--drop-state`, `--ttl`) is not a keyed state of that operator.
    case unknownState(option: String, name: String, available: [String])
    /// The keyed state of an operator cannot be rewritten as asked (a key type without a recomputable hash code,
    /// operator state that a parallelism change would have to split, a TTL state without a duration …).
    case cannotRewriteState(operator: String, reason: String, hint: String)
    /// The input's keyed state could not be read or decoded.
    case unreadableState(String)
    /// A `--migrate` plan entry cannot be applied to the state it names (`at`: its key path in the plan file).
    case migrationRefused(at: String, state: String, problems: [String])

    /// 1 when the input snapshot is damaged, 2 for usage and I/O problems (the command line contract).
    public var exitStatus: Int32 {
        switch self {
        case .invalidInput, .unreadableState: 1
        default: 2
        }
    }

    public var description: String {
        switch self {
        case .destinationExists(let path):
            return "\(path) already exists; a rewrite never overwrites. Choose a new DEST or remove it first."
        case .destinationInsideSource(let destination, let source):
            return "\(destination) is inside the input \(source), which a rewrite never changes; choose a DEST outside it"
        case .ambiguousOperator(let option, let name, let matches):
            return "\(option): \"\(name)\" names \(matches.count) operators; name one by uid or id (32 hex):\n"
                + matches.map { "  " + $0 }.joined(separator: "\n")
        case .invalidInput(let source, let problems):
            let shown = problems.prefix(5).map { "  \($0.message)" + ($0.location.description.isEmpty ? "" : " (at \($0.location))") }
            let more = problems.count > 5 ? ["  … and \(problems.count - 5) more (cairn validate \(source) lists them all)"] : []
            return (["\(source) has \(problems.count) problem(s); nothing was written. Fix the source first:"] + shown + more)
                .joined(separator: "\n")
        case .unknownOperator(let option, let name, let available):
            return "\(option): no operator \"\(name)\" in the snapshot. Name one by uid, id (32 hex) or name; the operators are:\n"
                + available.map { "  " + $0 }.joined(separator: "\n")
        case .idCollision(let new, let id, let holder):
            return "--rename-uid: the uid \"\(new)\" has the id \(id), which operator \(holder) already has; choose another uid or drop that operator"
        case .unknownSplit(let source, let split, let available):
            return "--set-offset: operator \(source) has no split \"\(split)\" in its SourceReaderState"
                + (available.isEmpty ? " (it holds no readable splits)" : "; its splits are: \(available.joined(separator: ", "))")
        case .cannotSetOffset(let source, let split, let reason):
            return "--set-offset \(source):\(split): \(reason)"
        case .relocationBaseUnknown(let source, let examples):
            return "--relocate: cannot tell which base directory the absolute paths of \(source) start with (no <job-id>/chk-N, shared or taskowned in them); give it with --relocate-from. Paths such as:\n"
                + examples.map { "  " + $0 }.joined(separator: "\n")
        case .missingOutputFile(let path, let role, let hint):
            return "the rewritten snapshot would refer to \(path) (\(role)), which does not exist. \(hint)"
        case .conflictingFile(let path):
            return "\(path) already exists with other contents; --copy-files never replaces a file. Choose another --relocate base or remove it."
        case .invalidOutput(let problems):
            return "the rewritten snapshot did not validate, so nothing was moved into place:\n"
                + problems.prefix(5).map { "  \($0.message)" + ($0.location.description.isEmpty ? "" : " (at \($0.location))") }.joined(separator: "\n")
        case .unwritable(let why):
            return "cannot write _metadata: \(why)"
        case .io(let e):
            return "\(e)"
        case .unknownState(let option, let name, let available):
            return "\(option): no keyed state \"\(name)\"; the keyed states are: " + (available.isEmpty ? "none" : available.joined(separator: ", "))
        case .cannotRewriteState(let op, let reason, let hint):
            return "cannot rewrite the keyed state of \(op): \(reason). \(hint)"
        case .unreadableState(let why):
            return "the input's keyed state cannot be read, so nothing was written: \(why)"
        case .migrationRefused(let at, let state, let problems):
            return "\(at): cannot migrate \(state): " + problems.joined(separator: "; ") + ". Nothing was written."
        }
    }
}
