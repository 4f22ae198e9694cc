import ArgumentParser
import CairnCore
import CairnFormat
import CairnModel
import CairnSources
import CairnTools

struct DumpCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dump",
        abstract: "Print the entries of one state as JSON Lines, or every field of a native snapshot as JSON.",
        discussion: """
            With --state, prints one JSON object per entry of a state: for keyed state key, namespace, user key \
            (map state) and value; for operator state each list element or broadcast entry per subtask; values \
            decoded with the serializers the snapshot records (docs/flink-values.md). Works for Flink \
            canonical and native savepoints, hashmap and RocksDB checkpoints, .cairn files, and snapshots in a \
            store (STORE#SNAPSHOT). Only the key groups asked for are read.

            Without --state, SOURCE must be a .cairn file: the whole decoded snapshot is printed as one JSON \
            document (meant for small snapshots, debugging and test vectors).

            Examples:
              cairn dump savepoint-1a2b3c --state keyed-state/count --limit 5
              cairn dump savepoint-1a2b3c --state count --key user-42
              cairn dump chk-17 --state window-reduce/window-contents --key-group 7 --raw
              cairn dump Fixtures/cairn/tiny-1.cairn
            """)

    @Argument(help: "A Flink snapshot directory or _metadata (local or s3://), a .cairn file, or STORE#SNAPSHOT.")
    var source: String

    @Option(name: .long, help: ArgumentHelp("The state to list, as STATE or OP/STATE (OP: uid, name or hex id).", valueName: "[OP/]STATE"))
    var state: String?

    @Option(name: .long, help: "Only this key: hashed to its key group as the engine does, and only that group is read.")
    var key: String?

    @Option(name: .customLong("key-group"), help: "Only this key group.")
    var keyGroup: Int?

    @Option(name: .long, help: "At most this many entries.")
    var limit: Int?

    @Flag(name: .long, help: "Keys and values as the stored bytes, in hex, instead of decoded.")
    var raw = false

    @OptionGroup var store: S3AccessOptions

    func validate() throws {
        if state == nil, key != nil || keyGroup != nil || limit != nil || raw {
            throw ValidationError("--key, --key-group, --limit and --raw need --state")
        }
        if let limit, limit < 1 { throw ValidationError("--limit must be at least 1") }
        if let keyGroup, keyGroup < 0 { throw ValidationError("--key-group must not be negative") }
    }

    func run() async throws {
        guard let state else {
            // A delta's document also holds its chain's merged keyed state (`merged`).
            let chain = try SnapshotChain(path: source)
            Terminal.out(try SnapshotDump.json(chain.top, chain: chain).rendered())
            return
        }
        let query = StateEntryQuery(state: state, key: key, keyGroup: keyGroup, limit: limit, raw: raw)
        try await SnapshotSource(source).withView(s3: store.s3) { view in
            // Lines are written straight into one buffer and flushed in 64 KiB writes: one write (or one JSON tree)
            // per line would cost more than decoding it.
            var buffer: [UInt8] = []
            buffer.reserveCapacity(1 << 17)
            defer { Terminal.write(buffer) }
            try view.appendStateEntries(query, to: &buffer) { buffer in
                buffer.append(0x0A)
                if buffer.count >= 1 << 16 {
                    Terminal.write(buffer)
                    buffer.removeAll(keepingCapacity: true)
                }
                return true
            }
        }
    }
}
