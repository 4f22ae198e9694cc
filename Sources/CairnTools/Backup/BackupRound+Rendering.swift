import CairnCore
import Foundation

// Text and JSON for `cairn backup`: one block (or one JSON line) per round. Sizes are exact byte counts in JSON.

extension BackupRound {
    public var json: JSONValue {
        .object([
            ("round", .number(round)), ("startedAt", .string(Self.time(startedAt))), ("jobDirectory", .string(jobDirectory)),
            ("series", .string(series)),
            ("checkpoints", .array(checkpoints.map(\.json))),
            ("retention", retention?.json ?? .null),
            ("stopped", .bool(stopped)), ("problem", .optional(problem)),
            ("durationSeconds", .double(durationSeconds)),
        ])
    }

    public func text(style: TextStyle) -> String {
        var out = style.bold("Round \(round)") + " \(Self.time(startedAt)): \(jobDirectory) → series \(series)\n"
        if checkpoints.isEmpty && problem == nil { out += "  no complete checkpoint (chk-N with _metadata) yet\n" }
        for c in checkpoints {
            var line = "  chk-\(c.number)".padding(toLength: 12, withPad: " ", startingAt: 0) + c.status.rawValue.padding(toLength: 14, withPad: " ", startingAt: 0)
            switch c.status {
            case .stored:
                line += "\(c.snapshotID.map { String($0.prefix(12)) } ?? "")  new \(Self.bytes(c.newBytes)) of \(Self.bytes(c.totalBytes)) (\(Self.bytes(c.storedBytes)) after compression)"
            case .present:
                line += "\(c.snapshotID.map { String($0.prefix(12)) } ?? "")  \(Self.bytes(c.totalBytes)), already in the store"
            case .settling:
                line += "_metadata written \(ByteCount.fixed(c.ageSeconds ?? 0, 1)) s ago; next round"
            case .skipped, .damaged, .failed:
                line += c.message ?? ""
            case .notAttempted:
                line += "stop requested before its turn"
            }
            out += line + "\n"
        }
        if let r = retention {
            switch r.status {
            case "applied":
                out += "  retention: kept \(r.kept), removed \(r.removed.count) (\(r.removed.map { String($0.prefix(12)) }.joined(separator: ", "))); "
                    + "pack bytes \(Self.bytes(r.packBytesBefore)) → \(Self.bytes(r.packBytesAfter))\n"
            case "deferred": out += "  retention: deferred to the next round: \(r.message ?? "")\n"
            default: out += "  retention: kept \(r.kept), nothing to remove\n"
            }
        }
        if stopped { out += "  stopped on request after the current push; retention not applied this round\n" }
        if let problem { out += style.red("  round ended early: \(problem)") + "\n" }
        return out
    }

    /// Warnings for standard error: every checkpoint skipped because a file vanished, every damaged one.
    public var warnings: [String] {
        checkpoints.compactMap { c in
            switch c.status {
            case .skipped where c.reason == "vanished", .damaged: "chk-\(c.number) \(c.status.rawValue): \(c.message ?? "")"
            default: nil
            }
        }
    }

    static func bytes(_ v: UInt64) -> String { ByteCount.format(Int64(clamping: v)) }

    static func time(_ date: Date) -> String {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return f.string(from: date)
    }
}

extension BackupRound.Checkpoint {
    var json: JSONValue {
        .object([
            ("checkpointId", .number(number)), ("path", .string(path)), ("status", .string(status.rawValue)),
            ("reason", .optional(reason)), ("file", .optional(file)), ("message", .optional(message)),
            ("snapshot", .optional(snapshotID)), ("newBytes", .number(newBytes)), ("storedBytes", .number(storedBytes)),
            ("totalBytes", .number(totalBytes)), ("ageSeconds", ageSeconds.map { .double($0) } ?? .null),
        ])
    }
}

extension BackupRound.Retention {
    var json: JSONValue {
        .object([
            ("status", .string(status)), ("kept", .number(kept)), ("removed", .array(removed.map { .string($0) })),
            ("packBytesBefore", .number(packBytesBefore)), ("packBytesAfter", .number(packBytesAfter)), ("message", .optional(message)),
        ])
    }
}
