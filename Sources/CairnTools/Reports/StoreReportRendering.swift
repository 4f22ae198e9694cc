import CairnCore
import CairnStore

// Text and JSON for the store commands. JSON keys are stable and documented in README ("push", "pull",
// "snapshots", "prune", "check"); sizes are exact byte counts, durations seconds.

private func bytes(_ v: UInt64) -> String { ByteCount.format(Int64(clamping: v)) }

private func rate(_ v: UInt64, _ seconds: Double) -> String {
    seconds > 0 ? bytes(UInt64(Double(v) / seconds)) + "/s" : "-"
}

extension RequestCounts {
    public var json: JSONValue {
        .object([
            ("total", .number(total)), ("put", .number(puts)), ("get", .number(gets)), ("head", .number(heads)),
            ("list", .number(lists)), ("delete", .number(deletes)),
            ("bytesSent", .number(bytesSent)), ("bytesReceived", .number(bytesReceived)), ("retries", .number(retries)),
        ])
    }
}

extension PushReport {
    public var json: JSONValue {
        .object([
            ("snapshot", .string(snapshotID)), ("created", .bool(created)), ("kind", .string(kind)), ("source", .string(source)),
            ("files", .number(files)), ("logicalSize", .number(logicalSize)), ("bytesRead", .number(bytesRead)),
            ("bytesSkipped", .number(bytesSkipped)),
            ("chunks", .object([("total", .number(chunks)), ("new", .number(newChunks)), ("reused", .number(reusedChunks))])),
            ("newBytes", .number(newBytes)), ("storedBytes", .number(storedBytes)),
            ("packs", .object([("uploaded", .number(packsUploaded)), ("recovered", .number(packsRecovered))])),
            ("uploaded", .object([("bytes", .number(requests.bytesSent)), ("requests", .number(requests.total))])),
            ("requests", requests.json),
            ("durationSeconds", .double(durationSeconds)), ("dedupRatio", .double(dedupRatio)),
        ])
    }

    public func text(style: TextStyle) -> String {
        var out = created ? style.bold("Snapshot \(String(snapshotID.prefix(12))) stored") : style.bold("Snapshot \(String(snapshotID.prefix(12))) was already stored; nothing new committed")
        out += "  (\(kind), \(files) file\(files == 1 ? "" : "s"), \(bytes(logicalSize)))\n"
        var t = TextTable(columns: [.left(""), .right("bytes"), .left("")])
        t.add(["read", bytes(bytesRead), rate(bytesRead, durationSeconds)])
        t.add(["unchanged files, not read", bytes(bytesSkipped), ""])
        t.add(["new chunks", bytes(newBytes), "\(newChunks) of \(chunks) chunks; \(reusedChunks) reused"])
        t.add(["stored after compression", bytes(storedBytes), ""])
        t.add(["uploaded", bytes(requests.bytesSent), "\(requests.total) requests, \(packsUploaded) pack\(packsUploaded == 1 ? "" : "s")"])
        out += t.render(style)
        if packsRecovered > 0 { out += "Reused \(packsRecovered) pack\(packsRecovered == 1 ? "" : "s") left by an interrupted push.\n" }
        out += "Took \(ByteCount.fixed(durationSeconds, 2)) s; dedup ratio \(ByteCount.fixed(dedupRatio, 1))× (logical size ÷ bytes uploaded)\n"
        return out
    }
}

extension Puller.Report {
    public var json: JSONValue {
        .object([
            ("snapshot", .string(snapshotID)), ("destination", .string(destination)), ("files", .number(files)),
            ("bytesWritten", .number(bytesWritten)), ("chunks", .number(chunks)), ("requests", requests.json),
            ("durationSeconds", .double(durationSeconds)),
        ])
    }

    public func text(style: TextStyle) -> String {
        "Pulled snapshot \(String(snapshotID.prefix(12))) into \(destination): \(files) file\(files == 1 ? "" : "s"), \(bytes(bytesWritten)), "
            + "\(chunks) chunks verified, \(requests.gets) ranged reads, \(ByteCount.fixed(durationSeconds, 2)) s (\(rate(bytesWritten, durationSeconds)))\n"
    }
}

public enum SnapshotListing {
    public static func json(_ snapshots: [SnapshotManifest]) -> JSONValue {
        .array(snapshots.map { m in
            .object([
                ("id", .string(m.id)), ("shortId", .string(m.shortID)), ("kind", .string(m.kind)), ("source", .string(m.source)),
                ("root", .string(m.root)), ("host", .string(m.host)), ("createdAt", .string(m.createdAt)),
                ("group", .string(m.attributes["group"] ?? m.root)),
                ("checkpointId", .optional(m.attributes["checkpointId"])), ("jobId", .optional(m.attributes["jobId"])),
                ("files", .number(m.files.count)), ("logicalSize", .number(m.logicalSize)),
                ("newBytes", .number(m.stats.newBytes)), ("storedBytes", .number(m.stats.storedBytes)),
            ])
        })
    }

    public static func text(_ snapshots: [SnapshotManifest], style: TextStyle) -> String {
        guard !snapshots.isEmpty else { return "The store has no snapshots.\n" }
        var t = TextTable(columns: [.left("id"), .left("created"), .left("kind"), .right("checkpoint"), .right("size"), .right("new"), .left("source")])
        for m in snapshots {
            t.add([m.shortID, m.createdAt, m.kind, m.attributes["checkpointId"] ?? "", bytes(m.logicalSize), bytes(m.stats.storedBytes), m.source])
        }
        let total = snapshots.reduce(UInt64(0)) { $0 + $1.stats.storedBytes }
        return t.render(style) + "\(snapshots.count) snapshot\(snapshots.count == 1 ? "" : "s"); new bytes stored by their pushes: \(bytes(total))\n"
    }
}

extension Pruner.Report {
    public var json: JSONValue {
        .object([
            ("dryRun", .bool(dryRun)),
            ("kept", .array(kept.map { .string($0.id) })), ("removed", .array(removed.map { .string($0.id) })),
            ("packs", .object([("deleted", .number(packsDeleted)), ("repacked", .number(packsRepacked)), ("written", .number(packsWritten)),
                               ("inGracePeriod", .number(packsInGrace))])),
            ("packBytesBefore", .number(bytesBefore)), ("packBytesAfter", .number(bytesAfter)),
            ("requests", requests.json), ("durationSeconds", .double(durationSeconds)),
        ])
    }

    public func text(style: TextStyle) -> String {
        var out = dryRun ? style.bold("Dry run: nothing was changed.") + "\n" : ""
        out += "\(dryRun ? "Would keep" : "Kept") \(kept.count) snapshot\(kept.count == 1 ? "" : "s"), \(dryRun ? "would remove" : "removed") \(removed.count)"
        if !removed.isEmpty { out += ": " + removed.map(\.shortID).joined(separator: ", ") }
        out += "\n"
        out += "Packs: \(packsDeleted) deleted, \(packsRepacked) repacked into \(packsWritten); \(packsInGrace) unindexed kept for the grace period\n"
        out += "Pack bytes: \(bytes(bytesBefore)) → \(bytes(bytesAfter))\n"
        return out
    }
}

extension StoreChecker.Report {
    public var isClean: Bool { problems.isEmpty }

    public var json: JSONValue {
        .object([
            ("valid", .bool(isClean)), ("store", .string(storeID)), ("readData", .bool(readData)),
            ("snapshots", .number(snapshots)), ("indexObjects", .number(indexObjects)), ("packs", .number(packs)),
            ("chunks", .number(chunks)), ("unindexedPacks", .number(unindexedPacks)), ("bytesRead", .number(bytesRead)),
            ("problems", .array(problems.map { p in
                .object([("place", .string(p.place)), ("message", .string(p.message)), ("affectedSnapshots", .array(p.affectedSnapshots.map { .string($0) }))])
            })),
            ("durationSeconds", .double(durationSeconds)),
        ])
    }

    public func text(style: TextStyle) -> String {
        var out = "Store \(storeID): \(snapshots) snapshot\(snapshots == 1 ? "" : "s"), \(indexObjects) index object\(indexObjects == 1 ? "" : "s"), \(packs) packs, \(chunks) chunks"
        if unindexedPacks > 0 { out += ", \(unindexedPacks) unindexed pack\(unindexedPacks == 1 ? "" : "s") (from an interrupted push)" }
        out += "\n"
        if readData { out += "Read \(bytes(bytesRead)) and verified every pack and chunk hash.\n" }
        if problems.isEmpty {
            out += style.green("No problems found.") + "\n"
        } else {
            out += style.red("\(problems.count) problem\(problems.count == 1 ? "" : "s"):") + "\n"
            for p in problems {
                out += "  \(p.place): \(p.message)"
                if !p.affectedSnapshots.isEmpty { out += " — affects snapshot\(p.affectedSnapshots.count == 1 ? "" : "s") \(p.affectedSnapshots.joined(separator: ", "))" }
                out += "\n"
            }
        }
        return out
    }
}
