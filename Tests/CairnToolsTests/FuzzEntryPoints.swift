import CairnCore
import CairnFlink
import CairnFormat
import CairnRocksDB
import CairnStore
import Foundation

/// What each libFuzzer target of Fuzz/ does with its bytes, shared by the fuzz targets (Fuzz/Sources/FuzzEntryPoints
/// links this file) and by `FuzzReproducerTests`, which replays every reproducer and seed through the same calls.
/// Every entry point calls the real parsers and ignores thrown errors: only crashes, hangs and memory blow-ups fail.
public enum FuzzEntryPoints {
    /// Target name (an executable of Fuzz/Package.swift, a folder of Fuzz/corpus and Fuzz/reproducers) → entry point.
    public static let all: [String: @Sendable ([UInt8]) -> Void] = [
        "FuzzFlinkMetadata": flinkMetadata,
        "FuzzNativeReader": nativeReader,
        "FuzzSSTReader": sstReader,
        "FuzzRocksDBManifest": rocksDBManifest,
        "FuzzSerializerSnapshot": serializerSnapshot,
        "FuzzStoreObjects": storeObjects,
    ]

    /// Flink `_metadata` (v3–v6).
    public static func flinkMetadata(_ bytes: [UInt8]) {
        _ = try? FlinkMetadataParser.parse(bytes, file: "_metadata")
    }

    /// The native `.cairn` reader over an in-memory source: footer and index on open, then every block (CRC, codec,
    /// entries, the schema validator) as `validate --deep` checks them, the summary and the state scan.
    public static func nativeReader(_ bytes: [UInt8]) {
        guard let reader = try? SnapshotReader(source: MemorySource(bytes, name: "fuzz.cairn")) else { return }
        _ = SnapshotVerifier(reader: reader, limit: 16, threads: 1).verify()
        let snapshot = NativeSnapshot(reader: reader)
        _ = try? snapshot.summary()
        _ = try? snapshot.scanStates()
        for i in reader.index.blocks.indices.prefix(64) { _ = try? reader.readBlock(i) }
    }

    /// A RocksDB block-based SST: footer, meta index, properties, every data block's entries, range tombstones
    /// and checksums.
    public static func sstReader(_ bytes: [UInt8]) {
        guard let file = try? SSTFile(source: MemorySource(bytes, name: "fuzz.sst")) else { return }
        var entries = file.entries()
        var n = 0
        while n < 100_000, let entry = try? entries.next() {
            _ = entry
            n += 1
        }
        _ = try? file.rangeTombstones()
        _ = try? file.verifyChecksums()
    }

    /// RocksDB MANIFEST replay: log records of version edits.
    public static func rocksDBManifest(_ bytes: [UInt8]) {
        _ = try? RocksDBManifest(bytes)
    }

    /// Serializer snapshots and the value decoder: the bytes as an operator backend proxy, as a top-level
    /// serializer snapshot, and as a keyed backend proxy, after which the rest is decoded with the key serializer
    /// and every state's serializers.
    public static func serializerSnapshot(_ bytes: [UInt8]) {
        _ = try? FlinkOperatorBackendProxy(parsing: bytes)
        var r = JavaDataInput(bytes)
        _ = try? FlinkSerializerSnapshotReader.readTopLevel(&r)
        guard let proxy = try? FlinkKeyedBackendProxy(parsing: bytes) else { return }
        let rest = Array(bytes[min(max(proxy.end, 0), bytes.count)...])
        var serializers: [FlinkTypeSerializer] = []
        if let key = proxy.keySerializer.serializer { serializers.append(key) }
        for state in proxy.states {
            for snapshot in state.serializers.values { if let s = snapshot.serializer { serializers.append(s) } }
        }
        for s in serializers.prefix(16) { _ = try? FlinkValueDecoder.decode(rest, as: s) }
    }

    /// The store's parsers of what it reads back. The first byte picks one: 0 a pack's tail (table and trailer),
    /// 1 an index object, 2 a snapshot manifest, 3 a lock. Checksums and the pack's name are made to match the
    /// bytes, so the fuzzer reaches the decoding behind them.
    public static func storeObjects(_ input: [UInt8]) {
        guard let selector = input.first else { return }
        var bytes = Array(input.dropFirst())
        func putCRC(_ crc: UInt32, at: Int) {
            for i in 0..<4 { bytes[at + i] = UInt8(truncatingIfNeeded: crc >> (24 - 8 * UInt32(i))) }
        }
        switch selector % 4 {
        case 0:
            // Trailer: entry count u32, table CRC u32, version u16, flags u16, magic.
            let trailerSize = PackTable.trailerSize
            if bytes.count >= trailerSize {
                putCRC(CRC32C.checksum(Array(bytes[0..<(bytes.count - trailerSize)])), at: bytes.count - trailerSize + 4)
            }
            let packSize = UInt64(bytes.count) + UInt64(selector / 4) * 1024
            _ = try? PackTable.decode(tail: bytes, packID: ChunkID.hash(bytes), packSize: packSize, place: "fuzz")
        case 1:
            if bytes.count >= 13 { putCRC(CRC32C.checksum(Array(bytes[0..<(bytes.count - 4)])), at: bytes.count - 4) }
            _ = try? IndexFile.decode(bytes, place: "fuzz")
        case 2:
            _ = try? SnapshotManifest.decode(bytes, key: "snapshots/fuzz", place: "fuzz")
        default:
            if let lock = try? JSONDecoder().decode(StoreLock.self, from: Data(bytes)) {
                _ = lock.isStale(now: 1_700_000_000)
                _ = lock.summary
            }
        }
    }
}
