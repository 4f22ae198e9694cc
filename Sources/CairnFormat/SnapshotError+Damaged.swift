import CairnModel

extension SnapshotError {
    /// What to do about a native file whose bytes do not decode.
    static let damagedHint = "The file is damaged or not a Cairn snapshot; restore it from a copy (for example `cairn pull`)."
}
