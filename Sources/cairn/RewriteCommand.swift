import ArgumentParser
import CairnCore
import CairnFlink
import CairnFormat
import CairnModel
import CairnSources
import CairnTools

struct RewriteCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rewrite",
        abstract: "Write a changed copy of a snapshot: drop or rename operators, set offsets, expire TTL, migrate, rescale, relocate.",
        discussion: """
            The input is never modified. The output is written beside DEST, validated, and only then moved into place; \
            any problem leaves nothing at DEST.

            Native snapshots (.cairn) take every option but --drop-state, --ttl and --max-parallelism OP=N. Flink \
            savepoints and retained checkpoints are rewritten into a new directory (DEST), with _metadata in the \
            input's version. Metadata-level options: --drop-operator, --rename-uid (the operator id becomes the uid's \
            hash, as Flink computes it), --set-offset for Kafka and number-sequence splits, and --relocate to move \
            absolute paths to a new base. State-level options: --drop-state, --expire-ttl, --max-parallelism, \
            --parallelism and --migrate; the keyed state of every operator they change is read (canonical or native savepoint, \
            heap or RocksDB checkpoint) and written as a canonical savepoint (one file per subtask in DEST). A Flink \
            snapshot does not record TTL durations: --expire-ttl needs --ttl DURATION (every TTL state) or \
            --ttl OP/STATE=DURATION. --max-parallelism re-hashes every key as Flink does; keys whose hashCode Cairn \
            cannot compute (POJOs, enums, Kryo) are refused. A Flink source with DEST ending in .cairn is converted \
            into a native snapshot. --migrate on a Flink snapshot takes a plan of field changes per state (add \
            with a default, drop, widen int→long/float→double, rename) for POJO and Row values, and writes the \
            new serializer snapshot with the converted values (see README, "Migrating Flink state").

            Operators are named by uid, by operator id (32 hex digits) or by name.

            --compact folds a native delta (format 1.1, written by an engine or `cairn generate --incremental`) and \
            the chain of bases next to it into one full snapshot; the output is compared entry by entry with the \
            merged chain before it is moved into place. Other options apply to full snapshots: compact first.

            Examples:
              cairn rewrite chk-42.cairn out.cairn --drop-operator enrich --rename-uid orders-agg=orders-agg-v2
              cairn rewrite chk-42.cairn out.cairn --set-offset orders-source:orders-3=120000
              cairn rewrite chk-42.cairn out.cairn --expire-ttl --now 2026-11-22T00:00:00Z
              cairn rewrite chk-42.cairn out.cairn --migrate plan.yaml
              cairn rewrite chk-42.cairn out.cairn --parallelism orders-agg=8 --drop-inflight
              cairn rewrite chk-45.cairn full-45.cairn --compact
              cairn rewrite savepoint-57e8bf-43f656e178e1 sp-v2 --rename-uid throttle=throttle-v2
              cairn rewrite savepoint-57e8bf-43f656e178e1 sp-v3 --drop-state keyed-state/last-seen
              cairn rewrite savepoint-57e8bf-43f656e178e1 sp-v3 --expire-ttl --now 2026-12-01T00:00:00Z --ttl keyed-state/count=1h
              cairn rewrite savepoint-57e8bf-43f656e178e1 sp-v5 --migrate flink-plan.yaml
              cairn rewrite savepoint-57e8bf-43f656e178e1 sp-v4 --max-parallelism keyed-state=512 --parallelism keyed-state=4
              cairn rewrite /ckpt/8f3a…/chk-42 /mnt/restore/chk-42 --relocate /mnt/restore --copy-files
              cairn rewrite savepoint-57e8bf-43f656e178e1 sp.cairn --compression lz4
              cairn rewrite s3://flink/ckpts/8f3a…/chk-42 chk-42-v2 --rename-uid throttle=throttle-v2   # input read from S3
              cairn rewrite ./chk-42 ./chk-42-s3 --relocate s3://flink/ckpts   # point _metadata at files uploaded there
            """)

    @Argument(help: "A .cairn file; a Flink _metadata, its directory, or a job's checkpoint directory (local or s3://); or STORE#SNAPSHOT.")
    var source: String

    @Argument(help: "The .cairn file (native or converted) or the directory (Flink) to write.")
    var dest: String

    @Option(name: .customLong("drop-operator"), help: ArgumentHelp("Remove an operator and its state.", valueName: "OP"))
    var dropOperator: [String] = []

    @Option(name: .customLong("rename-uid"), help: ArgumentHelp("Give an operator a new uid; its id follows.", valueName: "OLD=NEW"))
    var renameUID: [String] = []

    @Option(name: .customLong("set-offset"), help: ArgumentHelp("Set where a source split resumes.", valueName: "SOURCE_UID:SPLIT=POSITION"))
    var setOffset: [String] = []

    @Option(name: .customLong("drop-state"), help: ArgumentHelp("Flink: remove a keyed state (its registration and data).", valueName: "OP/STATE"))
    var dropState: [String] = []

    @Flag(name: .customLong("expire-ttl"), help: "Drop keyed entries whose TTL ran out at --now (Flink: give durations with --ttl).")
    var expireTTL = false

    @Option(help: ArgumentHelp("Flink: time-to-live for --expire-ttl, of one state or (without OP/STATE=) of all; e.g. 1h, 90s, 3600000.", valueName: "[OP/STATE=]DURATION"))
    var ttl: [String] = []

    @Option(help: ArgumentHelp("The time TTL is judged at: epoch milliseconds or YYYY-MM-DDTHH:MM:SSZ.", valueName: "TIME"))
    var now: String?

    @Option(help: ArgumentHelp("Migrate typed state by a plan file (YAML or JSON): schema versions (native) or field changes (Flink).", valueName: "PLAN.yaml"))
    var migrate: String?

    @Option(help: "Block compression of a native output: zstd, zstd:LEVEL, lz4 or none (default: as the input, zstd:1 for Flink).")
    var compression: String?

    @Option(help: ArgumentHelp("Change an operator's parallelism, moving key-group ranges.", valueName: "OP=N"))
    var parallelism: [String] = []

    @Flag(name: .customLong("drop-inflight"), help: "Let --parallelism discard in-flight buffers instead of refusing.")
    var dropInFlight = false

    @Option(name: .customLong("max-parallelism"), help: ArgumentHelp("Change the number of key groups, re-hashing every key: of every operator (N) or, Flink, of one (OP=N).", valueName: "[OP=]N"))
    var maxParallelism: [String] = []

    @Option(help: ArgumentHelp("Flink: rewrite absolute paths to this base directory.", valueName: "NEW_BASE"))
    var relocate: String?

    @Option(name: .customLong("relocate-from"), help: ArgumentHelp("Flink: the base the paths start with (default: found from _metadata).", valueName: "OLD_BASE"))
    var relocateFrom: String?

    @Flag(name: .customLong("copy-files"), help: "Flink: copy every referenced file under DEST (or NEW_BASE) instead of referencing it in place.")
    var copyFiles = false

    @Flag(help: "Fold a delta and the chain of bases it was written on into one full snapshot (native; verified equal to the merged chain).")
    var compact = false

    @Flag(help: "Print what was done as JSON.")
    var json = false

    @OptionGroup var access: S3AccessOptions

    func validate() throws {
        if let c = compression, CompressionSetting(parsing: c) == nil {
            throw ValidationError("--compression must be zstd, zstd:1…22, lz4 or none")
        }
        if expireTTL != (now != nil) { throw ValidationError("--expire-ttl and --now go together") }
        if let n = now, CivilTime.parseMillis(n) == nil {
            throw ValidationError("--now must be epoch milliseconds or YYYY-MM-DDTHH:MM:SSZ, got \"\(n)\"")
        }
        for m in maxParallelism {
            guard let n = Int(m.split(separator: "=").last ?? ""), (1...32768).contains(n), m.split(separator: "=", omittingEmptySubsequences: false).count <= 2 else {
                throw ValidationError("--max-parallelism takes N or OP=N with N in 1…32768, got \"\(m)\"")
            }
        }
        if maxParallelism.filter({ !$0.contains("=") }).count > 1 { throw ValidationError("--max-parallelism N (for every operator) can be given once") }
        if !ttl.isEmpty && !expireTTL { throw ValidationError("--ttl goes with --expire-ttl --now TIME") }
        if dropInFlight && parallelism.isEmpty { throw ValidationError("--drop-inflight only goes with --parallelism") }
        if (relocateFrom != nil) && relocate == nil { throw ValidationError("--relocate-from needs --relocate") }
    }

    func plan() throws -> RewritePlan {
        var plan = RewritePlan()
        plan.dropOperators = dropOperator.map(RewritePlan.OperatorRef.init)
        plan.renameUIDs = try renameUID.map { s throws(UsageError) in try RewritePlan.UIDRename(parsing: s) }
        plan.setOffsets = try setOffset.map { s throws(UsageError) in try RewritePlan.OffsetAssignment(parsing: s) }
        plan.expireTTLAt = now.flatMap(CivilTime.parseMillis)
        plan.compression = compression.flatMap(CompressionSetting.init(parsing:))
        plan.parallelism = try parallelism.map { s throws(UsageError) in try RewritePlan.ParallelismChange(parsing: s) }
        plan.dropInFlight = dropInFlight
        plan.maxParallelism = maxParallelism.first(where: { !$0.contains("=") }).flatMap { Int($0) }
        plan.maxParallelismChanges = try maxParallelism.filter { $0.contains("=") }.map { s throws(UsageError) in
            do { return try RewritePlan.ParallelismChange(parsing: s) } catch { throw UsageError("--max-parallelism takes OP=N, got \"\(s)\"") }
        }
        plan.dropStates = dropState
        plan.ttl = try ttl.map { s throws(UsageError) in try RewritePlan.TTLSetting(parsing: s) }
        plan.relocation = relocate.map { RewritePlan.Relocation(from: relocateFrom, to: $0, mode: copyFiles ? .copy : .reference) }
        plan.compact = compact
        return plan
    }

    func run() async throws {
        let plan = try plan()
        // The input opens like any SOURCE (local, s3://, STORE#SNAPSHOT); the output is always local.
        let (source, dest, migrate) = (self.source, self.dest, self.migrate)
        let report = try await SnapshotSource(source).withView(s3: access.s3) { view in
            var plan = plan
            // The plan's format follows the input: field changes for Flink, schema versions for native snapshots.
            do {
                if view is FlinkSnapshot, !dest.hasSuffix(".cairn") {
                    plan.flinkMigration = try migrate.map { try FlinkMigrationPlan.load(path: $0) }
                } else {
                    plan.migration = try migrate.map { try MigrationPlan.load(path: $0) }
                }
            } catch let e as JobSpecError {
                throw UsageError("--migrate \(e)")
            }
            return try Self.rewrite(view, source: source, dest: dest, plan: plan)
        }
        Terminal.out(json ? report.json.rendered() : report.text)
    }

    private static func rewrite(_ view: any SnapshotView, source: String, dest: String, plan: RewritePlan) throws -> RewriteReport {
        switch view {
        case is FlinkSnapshot where plan.compact:
            throw UsageError("--compact folds native delta chains; \(source) is a Flink snapshot")
        case let flink as FlinkSnapshot where dest.hasSuffix(".cairn"):
            return try convert(flink, source: source, dest: dest, plan: plan)
        case let flink as FlinkSnapshot:
            let unsupported = plan.nativeOnlyOptions + (plan.compression != nil ? ["--compression"] : [])
            guard unsupported.isEmpty else {
                throw UsageError("\(unsupported.joined(separator: ", ")) work on native snapshots; convert first (cairn rewrite \(source) x.cairn), or rewrite the Flink snapshot with --drop-operator, --rename-uid, --set-offset, --relocate, --drop-state, --expire-ttl, --max-parallelism, --parallelism")
            }
            return try FlinkRewriter.rewrite(flink, source: source, to: dest, plan: plan)
        default:
            if plan.compact {
                guard plan.isCompactionOnly else {
                    throw UsageError("--compact takes only --compression; compact first, then rewrite the full snapshot with the other options")
                }
                guard case .path = SnapshotSource(source) else {
                    throw UsageError("\(source): a chain is compacted from local files; pull the delta and its bases first")
                }
                return try ChainCompactor.compact(source: source, to: dest, compression: plan.compression)
            }
            guard plan.flinkOnlyOptions.isEmpty else {
                throw UsageError("\(plan.flinkOnlyOptions.joined(separator: ", ")) apply to Flink snapshots; a native snapshot records TTLs and takes --expire-ttl, --migrate, --max-parallelism N")
            }
            guard plan.relocation == nil else { throw UsageError("--relocate applies to Flink snapshots; native snapshots hold no paths") }
            guard case .path = SnapshotSource(source) else {
                throw UsageError("\(source): a native snapshot is rewritten from a local file; pull it first")
            }
            return try NativeRewriter.rewrite(source: source, to: dest, plan: plan)
        }
    }

    /// Flink → native conversion; the metadata-level options are not combined with it (rewrite the Flink snapshot first).
    private static func convert(_ view: FlinkSnapshot, source: String, dest: String, plan: RewritePlan) throws -> RewriteReport {
        var other = plan
        other.compression = nil
        guard other.nativeOnlyOptions.isEmpty, other.stateOptions.isEmpty, other.flinkOnlyOptions.isEmpty, other.dropOperators.isEmpty, other.renameUIDs.isEmpty, other.setOffsets.isEmpty,
              other.relocation == nil else {
            throw UsageError("converting \(source) to \(dest) takes only --compression; rewrite the Flink snapshot into a directory first, or rewrite the converted .cairn")
        }
        let problems = SnapshotValidator.validate(source: source, view: view, deep: false).errors
        if let first = problems.first {
            throw UsageError("\(source) has \(problems.count) problem(s), the first: \(first.description). Nothing was written; fix the source first (cairn validate lists them all).")
        }
        let sink = try AtomicFileSink(path: dest)
        let summary = try FlinkConverter.convert(view, to: sink, options: WriterOptions(compression: plan.compression ?? .default))
        return RewriteReport(source: source, destination: dest,
                             changes: ["converted Flink snapshot to a native snapshot (\(ByteCount.format(Int64(summary.rawBytes))) of state in \(summary.blockCount) blocks)"],
                             filesWritten: 1, bytesWritten: Int64(summary.fileSize))
    }
}
