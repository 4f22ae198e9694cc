import CairnCore

/// A RocksDB block-based table (SST) opened for reading: footer, metaindex and properties are read at open; data
/// blocks only while iterating, one at a time, so memory stays bounded by the largest block whatever the file size.
///
/// Every block read is checked against its trailer checksum (CRC32C, xxHash, xxHash64 or XXH3, with format_version
/// 6's per-offset context) before it is decompressed. Works over any `RandomAccessSource`: a file, an object in a
/// store, or the inline bytes Flink keeps inside `_metadata` (`MemorySource`).
public struct SSTFile: Sendable {
    /// The largest block (compressed or not) Cairn will read or inflate; RocksDB's blocks are kilobytes.
    public static let maxBlockSize = 256 << 20

    public let source: any RandomAccessSource
    public let footer: SSTFooter
    public let properties: SSTProperties
    /// The metaindex: meta block name → handle, in file order (`rocksdb.properties`, `rocksdb.range_del`, filters, …).
    public let metaBlocks: [(name: String, handle: BlockHandle)]
    /// The (top-level) index block.
    public let indexHandle: BlockHandle

    public var name: String { source.name }

    /// Opens a table: reads and checks the footer, the metaindex and the properties block.
    public init(source: any RandomAccessSource) throws(RocksDBError) {
        self.source = source
        let size = source.size
        let tailLength = Int(min(size, UInt64(SSTFooter.length)))
        let tail: [UInt8]
        do {
            tail = try source.read(at: size - UInt64(tailLength), count: tailLength)
        } catch {
            throw RocksDBError(.io, error.description, file: source.name, offset: size - UInt64(tailLength), block: "footer")
        }
        footer = try SSTFooter.decode(tail, fileSize: size, file: source.name)
        let reader = BlockReader(source: source, footer: footer)
        let metaBlock = try reader.block(footer.metaindexHandle, kind: "metaindex")
        var metas: [(name: String, handle: BlockHandle)] = []
        for (key, value) in try reader.entries(of: metaBlock, at: footer.metaindexHandle, kind: "metaindex") {
            var r = FieldReader(Array(value), from: 0, to: value.count)
            guard let h = r.handle() else {
                throw RocksDBError(.corruptBlock, "bad block handle for meta block \"\(String(decoding: key, as: UTF8.self))\"",
                                   file: source.name, offset: footer.metaindexHandle.offset, block: "metaindex")
            }
            metas.append((String(decoding: key, as: UTF8.self), h))
        }
        metaBlocks = metas
        if let h = metas.first(where: { $0.name == "rocksdb.properties" })?.handle {
            let block = try reader.block(h, kind: "properties")
            var raw: [String: [UInt8]] = [:]
            for (key, value) in try reader.entries(of: block, at: h, kind: "properties") { raw[String(decoding: key, as: UTF8.self)] = Array(value) }
            properties = SSTProperties(raw: raw)
        } else {
            properties = SSTProperties()
        }
        guard let index = footer.indexHandle ?? metas.first(where: { $0.name == "rocksdb.index" })?.handle else {
            throw RocksDBError(.corruptBlock, "format_version \(footer.formatVersion) table without a \"rocksdb.index\" meta block",
                               file: source.name, offset: footer.metaindexHandle.offset, block: "metaindex")
        }
        indexHandle = index
    }

    /// The handle of a meta block by name.
    public func metaBlock(_ name: String) -> BlockHandle? { metaBlocks.first { $0.name == name }?.handle }

    var reader: BlockReader {
        BlockReader(source: source, footer: footer, hasDictionary: metaBlocks.contains { $0.name == "rocksdb.compression_dict" && $0.handle.size > 0 })
    }

    /// The data blocks in key order, from the index (both levels of a partitioned index).
    public func dataBlockHandles() throws(RocksDBError) -> [BlockHandle] {
        let reader = self.reader
        let delta = properties.indexValueIsDeltaEncoded
        let firstKey = properties.indexType == 3
        let top = try reader.block(indexHandle, kind: "index")
        if properties.indexType == 2 {
            var out: [BlockHandle] = []
            for partition in try reader.handles(of: top, at: indexHandle, kind: "index", delta: delta, firstKey: false) {
                let block = try reader.block(partition, kind: "index-partition")
                out += try reader.handles(of: block, at: partition, kind: "index-partition", delta: delta, firstKey: firstKey)
            }
            return out
        }
        return try reader.handles(of: top, at: indexHandle, kind: "index", delta: delta, firstKey: firstKey)
    }

    /// Iterates the point entries (not the range deletions) in file order: user key ascending, sequence descending.
    public func entries() -> SSTEntryIterator { SSTEntryIterator(file: self) }

    /// The range deletions of the `rocksdb.range_del` block (empty when there is none).
    public func rangeTombstones() throws(RocksDBError) -> [SSTRangeTombstone] {
        guard let h = metaBlock("rocksdb.range_del") else { return [] }
        let reader = self.reader
        let block = try reader.block(h, kind: "range-del")
        var out: [SSTRangeTombstone] = []
        for (key, value) in try reader.entries(of: block, at: h, kind: "range-del") {
            guard key.count >= 8 else {
                throw RocksDBError(.corruptBlock, "range deletion key of \(key.count) bytes is shorter than its 8-byte trailer", file: name, offset: h.offset, block: "range-del")
            }
            let trailer = le64(key, key.count - 8)
            guard trailer & 0xFF == UInt64(SSTValueType.rangeDeletion.rawValue) else {
                throw RocksDBError(.corruptBlock, "entry of type \(trailer & 0xFF) in the range deletion block", file: name, offset: h.offset, block: "range-del")
            }
            out.append(SSTRangeTombstone(start: Array(key.dropLast(8)), end: Array(value), sequence: trailer >> 8))
        }
        return out
    }

    /// Reads every block of the table — data, index (and partitions), metaindex, properties, range deletions,
    /// filters (and partitions), dictionaries — and checks each checksum; for `validate --deep`.
    public func verifyChecksums() throws(RocksDBError) -> SSTChecksumReport {
        let reader = self.reader
        var report = SSTChecksumReport()
        report.footerChecked = footer.formatVersion >= 6 && footer.checksumType != .none
        _ = try reader.verified(footer.metaindexHandle, kind: "metaindex")
        report.add("metaindex", size: footer.metaindexHandle.size)
        let delta = properties.indexValueIsDeltaEncoded
        for (name, handle) in metaBlocks {
            if name == "rocksdb.index" { continue }
            let kind = Self.kind(ofMetaBlock: name)
            _ = try reader.verified(handle, kind: kind)
            report.add(kind, size: handle.size)
            if name.hasPrefix("partitionedfilter.") {
                let top = try reader.block(handle, kind: kind)
                for partition in try reader.handles(of: top, at: handle, kind: kind, delta: delta, firstKey: false) {
                    _ = try reader.verified(partition, kind: "filter-partition")
                    report.add("filter-partition", size: partition.size)
                }
            }
        }
        _ = try reader.verified(indexHandle, kind: "index")
        report.add("index", size: indexHandle.size)
        if properties.indexType == 2 {
            let top = try reader.block(indexHandle, kind: "index")
            for partition in try reader.handles(of: top, at: indexHandle, kind: "index", delta: delta, firstKey: false) {
                _ = try reader.verified(partition, kind: "index-partition")
                report.add("index-partition", size: partition.size)
            }
        }
        for handle in try dataBlockHandles() {
            _ = try reader.verified(handle, kind: "data")
            report.add("data", size: handle.size)
        }
        return report
    }

    static func kind(ofMetaBlock name: String) -> String {
        switch name {
        case "rocksdb.properties": "properties"
        case "rocksdb.range_del": "range-del"
        case "rocksdb.compression_dict": "compression-dict"
        default: name.hasPrefix("fullfilter.") || name.hasPrefix("partitionedfilter.") || name.hasPrefix("filter.") ? "filter" : "meta \(name)"
        }
    }
}
