import CairnStore
import Foundation

/// What one round of `backup` did with each complete checkpoint of the job directory, and the retention after.
public struct BackupRound: Sendable {
    public enum Status: String, Sendable {
        /// Pushed in this round.
        case stored
        /// The store already holds this checkpoint of the series.
        case present
        /// Its `_metadata` is younger than the settle time; tried again next round.
        case settling
        /// Not stored: a file vanished mid-push (`reason` "vanished"), or retention would remove it at once
        /// (`reason` "retention"). Nothing of it was committed.
        case skipped
        /// Its `_metadata` does not decode: a finding, exit status 1.
        case damaged
        /// The store or the source could not be used; the round ended here.
        case failed
        /// A stop was requested before its turn.
        case notAttempted = "not-attempted"
    }

    public struct Checkpoint: Sendable {
        public var number: Int
        /// The `chk-N` directory.
        public var path: String
        public var status: Status
        public var reason: String?
        /// The file that vanished, when one did.
        public var file: String?
        public var message: String?
        /// The stored snapshot (stored, present).
        public var snapshotID: String?
        /// Raw bytes of chunks the store did not have, and what they took after compression (stored only).
        public var newBytes: UInt64 = 0
        public var storedBytes: UInt64 = 0
        /// The checkpoint's size: every file its `_metadata` references (stored, present).
        public var totalBytes: UInt64 = 0
        /// Age of the `_metadata` in seconds (settling).
        public var ageSeconds: Double?

        public init(number: Int, path: String, status: Status) {
            self.number = number
            self.path = path
            self.status = status
        }
    }

    public struct Retention: Sendable {
        /// "applied", "nothing-to-remove" or "deferred" (the store was locked; tried again next round).
        public var status: String
        public var kept: Int
        public var removed: [String]
        public var packBytesBefore: UInt64 = 0
        public var packBytesAfter: UInt64 = 0
        public var message: String?
    }

    public var round: Int
    public var startedAt: Date
    public var jobDirectory: String
    public var series: String
    public var checkpoints: [Checkpoint] = []
    public var retention: Retention?
    /// What ended the round early (store unreachable, source unreadable), with the exit status it stands for.
    public var problem: String?
    public var problemStatus: Int32 = 0
    /// A stop request ended the round before all checkpoints were tried (retention is then not applied).
    public var stopped = false
    public var durationSeconds: Double = 0

    public init(round: Int, startedAt: Date, jobDirectory: String, series: String) {
        self.round = round
        self.startedAt = startedAt
        self.jobDirectory = jobDirectory
        self.series = series
    }

    public var damaged: Bool { checkpoints.contains { $0.status == .damaged } }

    /// 0 all good, 1 a checkpoint was damaged, 2 the round could not be carried out.
    public var exitStatus: Int32 {
        let found: Int32 = damaged ? 1 : 0
        guard problem != nil else { return found }
        return max(found, problemStatus == 1 ? 1 : 2)
    }
}
