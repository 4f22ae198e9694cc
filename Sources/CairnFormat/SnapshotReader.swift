import CairnCore
import CairnModel

/// Opens a snapshot for random access: the footer and index are read and checked on open; data blocks are
/// read, checked against their CRC and decoded only when asked for.
public final class SnapshotReader: Sendable {
    public let source: any RandomAccessSource
    public let index: SnapshotIndex
    public let indexOffset: UInt64
    public let indexLength: UInt64
    public let version: (major: UInt16, minor: UInt16)
    /// The `crc` of the index block's frame: the identity a delta records for its base (format spec §13).
    public let indexCRC: UInt32

    /// True for a delta snapshot, whose keyed state only makes sense merged with its base (`SnapshotChain`).
    public var isDelta: Bool { index.base != nil }

    /// Opens a local `.cairn` file.
    public convenience init(path: String) throws {
        try self.init(source: try FileSource(path: path))
    }

    public init(source: any RandomAccessSource) throws(SnapshotError) {
        self.source = source
        let file = source.name
        let size = source.size
        func fail(_ code: DecodeError.Code, _ message: String, offset: UInt64? = nil) -> SnapshotError {
            SnapshotError(code, message, at: SnapshotLocation(file: file, offset: offset), hint: SnapshotError.damagedHint)
        }
        func read(_ offset: UInt64, _ count: Int) throws(SnapshotError) -> [UInt8] {
            do {
                return try source.read(at: offset, count: count)
            } catch {
                throw SnapshotError(.truncated, error.description, at: SnapshotLocation(file: file, offset: offset))
            }
        }
        let minimum = UInt64(FileLayout.headerSize + FileLayout.footerSize)
        guard size >= minimum else {
            throw fail(.truncated, "the file has \(size) bytes, fewer than the \(minimum) of an empty snapshot", offset: size)
        }
        let header = try read(0, FileLayout.headerSize)
        guard Array(header[0..<8]) == FileLayout.headerMagic else {
            throw SnapshotError(.badMagic, "the file does not start with CAIRNSNP; it is not a Cairn snapshot",
                                at: SnapshotLocation(file: file, offset: 0))
        }
        let footerAt = size - UInt64(FileLayout.footerSize)
        let footer = try read(footerAt, FileLayout.footerSize)
        guard Array(footer[24..<32]) == FileLayout.footerMagic else {
            throw fail(.badMagic, "the file does not end with CAIRNEND; it was cut short or damaged", offset: footerAt + 24)
        }
        var fr = ByteReader(footer)
        let indexOffset = (try? fr.readU64()) ?? 0
        let indexLength = (try? fr.readU64()) ?? 0
        let fMajor = (try? fr.readU16()) ?? 0
        let fMinor = (try? fr.readU16()) ?? 0
        let fCRC = (try? fr.readU32()) ?? 0
        guard CRC32C.checksum(footer[0..<20]) == fCRC else {
            throw fail(.checksumMismatch, "footer checksum does not match", offset: footerAt + 20)
        }
        var hr = ByteReader(header, from: 8)
        let major = (try? hr.readU16()) ?? 0
        let minor = (try? hr.readU16()) ?? 0
        let flags = (try? hr.readU32()) ?? 0
        guard major == FileLayout.majorVersion else {
            throw SnapshotError(
                .unsupportedVersion,
                "format version \(major).\(minor) (footer says \(fMajor).\(fMinor)); this reader understands major version \(FileLayout.majorVersion)",
                at: SnapshotLocation(file: file, offset: 8), hint: "Use a Cairn release that reads this version.")
        }
        guard fMajor == major, fMinor == minor else {
            throw fail(.invalidValue, "header says format \(major).\(minor) but the footer says \(fMajor).\(fMinor)", offset: footerAt + 16)
        }
        guard flags & ~FileLayout.deltaFlag == 0 else {
            throw SnapshotError(.unknownFlags, "header flags 0x\(String(flags, radix: 16)) name features this reader does not know",
                                at: SnapshotLocation(file: file, offset: 12), hint: "Use a newer Cairn release.")
        }
        let delta = flags & FileLayout.deltaFlag != 0
        guard !delta || minor >= FileLayout.deltaMinorVersion else {
            throw fail(.invalidValue, "header sets the delta flag but says format \(major).\(minor); deltas are format 1.1 or later", offset: 12)
        }
        guard indexOffset >= UInt64(FileLayout.headerSize), indexLength >= UInt64(FileLayout.blockHeaderSize),
              indexOffset <= footerAt, indexLength == footerAt - indexOffset
        else {
            throw fail(.lengthOutOfBounds, "footer places the index at \(indexOffset) with length \(indexLength), which does not end at the footer (\(footerAt))", offset: footerAt)
        }
        let blockHeaderBytes = try read(indexOffset, FileLayout.blockHeaderSize)
        let bh: BlockHeader
        do { bh = try BlockHeader.parse(blockHeaderBytes) } catch { throw fail(error.code, "index block header: \(error.message)", offset: indexOffset) }
        guard bh.kind == .index else {
            throw fail(.invalidValue, "the block at the index offset has kind \(bh.kind), not index", offset: indexOffset)
        }
        guard UInt64(bh.storedLength) + UInt64(FileLayout.blockHeaderSize) == indexLength else {
            throw fail(.lengthOutOfBounds, "index block stores \(bh.storedLength) bytes but the footer gives it \(indexLength - 16)", offset: indexOffset + 8)
        }
        guard Int(bh.rawLength) <= FileLayout.maxIndexRawLength else {
            throw fail(.lengthOutOfBounds, "index claims \(bh.rawLength) raw bytes, more than the 1 GiB limit", offset: indexOffset + 4)
        }
        let stored = try read(indexOffset + UInt64(FileLayout.blockHeaderSize), Int(bh.storedLength))
        let crc = stored.withUnsafeBytes { BlockHeader.checksum(prefix: bh.prefixBytes(), stored: $0) }
        guard crc == bh.crc else {
            throw fail(.checksumMismatch, "index block checksum is \(hex32(crc)), header records \(hex32(bh.crc))", offset: indexOffset)
        }
        let raw: [UInt8]
        do {
            raw = try BlockDecoder.decode(codec: bh.codec, stored: stored, rawLength: Int(bh.rawLength))
        } catch {
            throw fail(error.code, "index block: \(error.message)", offset: indexOffset)
        }
        self.index = try SnapshotIndex.decode(raw, dataEnd: indexOffset, file: file, delta: delta)
        self.indexCRC = bh.crc
        self.indexOffset = indexOffset
        self.indexLength = indexLength
        self.version = (major, minor)
    }

    // MARK: Locations for messages

    /// The location of a block, named by the unit that owns it.
    public func location(operator op: Int? = nil, subtask: Int? = nil, state: String? = nil, block: Int? = nil, keyGroup: Int? = nil) -> SnapshotLocation {
        var loc = SnapshotLocation(file: source.name, block: block, subtask: subtask, state: state, keyGroup: keyGroup)
        if let op {
            let info = index.operators[op].info
            loc.operatorID = info.id.hex
            loc.operatorName = info.name.isEmpty ? (info.uid.isEmpty ? nil : info.uid) : info.name
        }
        if let block { loc.offset = index.blocks[block].offset }
        return loc
    }

    // MARK: Blocks

    /// Reads block `i`, checks its header against the index and its CRC, and decodes it.
    public func readBlock(_ i: Int, at location: SnapshotLocation? = nil) throws(SnapshotError) -> [UInt8] {
        guard i >= 0, i < index.blocks.count else {
            throw SnapshotError(.invalidValue, "block \(i) does not exist", at: location ?? SnapshotLocation(file: source.name))
        }
        let entry = index.blocks[i]
        var loc = location ?? SnapshotLocation(file: source.name)
        loc.block = i
        loc.offset = entry.offset
        let bytes: [UInt8]
        do {
            bytes = try source.read(at: entry.offset, count: FileLayout.blockHeaderSize + entry.storedLength)
        } catch {
            throw SnapshotError(.truncated, error.description, at: loc)
        }
        let header: BlockHeader
        do { header = try BlockHeader.parse(Array(bytes[0..<FileLayout.blockHeaderSize])) } catch {
            throw SnapshotError(error.code, "block header: \(error.message)", at: loc, hint: SnapshotError.damagedHint)
        }
        guard header == entry.header else {
            throw SnapshotError(
                .invalidValue,
                "block header (kind \(header.kind), codec \(header.codec), raw \(header.rawLength), stored \(header.storedLength), crc \(hex32(header.crc))) differs from the index (kind \(entry.kind), codec \(entry.codec), raw \(entry.rawLength), stored \(entry.storedLength), crc \(hex32(entry.crc)))",
                at: loc, hint: SnapshotError.damagedHint)
        }
        let stored = Array(bytes[FileLayout.blockHeaderSize...])
        let crc = stored.withUnsafeBytes { BlockHeader.checksum(prefix: header.prefixBytes(), stored: $0) }
        guard crc == entry.crc else {
            throw SnapshotError(.checksumMismatch, "block checksum is \(hex32(crc)), expected \(hex32(entry.crc))", at: loc, hint: SnapshotError.damagedHint)
        }
        do {
            return try BlockDecoder.decode(codec: entry.codec, stored: stored, rawLength: entry.rawLength)
        } catch {
            throw SnapshotError(error.code, error.message, at: loc, hint: SnapshotError.damagedHint)
        }
    }

    /// The concatenated contents of a span (coordinator or opaque state).
    public func readOpaque(_ span: BlockSpan, at location: SnapshotLocation? = nil) throws(SnapshotError) -> [UInt8] {
        var out: [UInt8] = []
        for b in span.range { out += try readBlock(b, at: location) }
        return out
    }

    /// Calls `body` with every entry of one key-group segment, in order, block by block.
    public func forEachEntry(
        of segment: KeyGroupSegment, at location: SnapshotLocation, _ body: (KeyedEntry) throws -> Void
    ) throws {
        for b in segment.blocks.range {
            let raw = try readBlock(b, at: location)
            let entries: [KeyedEntry]
            do { entries = try KeyedEntry.decodeAll(raw, tombstones: isDelta) } catch {
                var loc = location
                loc.block = b
                loc.offset = index.blocks[b].offset
                throw SnapshotError(error.code, "in decoded block at byte \(error.offset): \(error.message)", at: loc, hint: SnapshotError.damagedHint)
            }
            for e in entries {
                if e.isReset && (b != segment.blocks.first || e.key.lowerBound != 1) {
                    var loc = location
                    loc.block = b
                    throw SnapshotError(.invalidValue, "a reset mark that is not the first entry of its key group", at: loc, hint: SnapshotError.damagedHint)
                }
                try body(e)
            }
        }
    }
}

func hex32(_ v: UInt32) -> String {
    let s = String(v, radix: 16)
    return String(repeating: "0", count: 8 - s.count) + s
}
