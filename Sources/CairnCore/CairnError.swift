/// An error Cairn reports to a person, and the exit status it stands for.
///
/// Every public error type adopts it, so the command line decides exit codes by one rule in one place: 1 when the
/// snapshot or store has problems (a finding), 2 when the request could not be carried out (usage, I/O). The
/// `description` names what happened, where (file, offset, operator, object) and what to do.
public protocol CairnError: Error, Sendable, CustomStringConvertible {
    /// 1 for a problem found in a snapshot or store, 2 for a usage or I/O error.
    var exitStatus: Int32 { get }
}
