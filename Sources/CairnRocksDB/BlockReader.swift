import CairnCore

/// Reads one block of a table: bounds, trailer checksum (with format_version 6's context), decompression, parsing;
/// every problem becomes a `RocksDBError` naming the file, the block's offset and its kind.
struct BlockReader {
    let source: any RandomAccessSource
    let footer: SSTFooter
    /// A zstd/LZ4 dictionary is in the file; blocks compressed with it cannot be inflated without it.
    var hasDictionary = false

    func error(_ code: RocksDBError.Code, _ message: String, _ handle: BlockHandle, _ kind: String, at inBlock: Int = 0) -> RocksDBError {
        RocksDBError(code, message, file: source.name, offset: handle.offset + UInt64(max(inBlock, 0)), block: kind)
    }

    /// The block's bytes followed by its 5-byte trailer, after the checksum matched.
    func verified(_ handle: BlockHandle, kind: String) throws(RocksDBError) -> [UInt8] {
        guard handle.size <= UInt64(SSTFile.maxBlockSize) else {
            throw error(.tooLarge, "block handle claims \(handle.size) bytes, more than the \(SSTFile.maxBlockSize) Cairn reads per block", handle, kind)
        }
        guard handle.offset <= footer.offset, handle.size + BlockHandle.trailerSize <= footer.offset - handle.offset else {
            throw error(.truncated, "block of \(handle.size) bytes (+5 trailer) at \(handle.offset) runs past the footer at \(footer.offset)", handle, kind)
        }
        let raw: [UInt8]
        do {
            raw = try source.read(at: handle.offset, count: Int(handle.size + BlockHandle.trailerSize))
        } catch {
            throw self.error(.io, error.description, handle, kind)
        }
        let n = Int(handle.size)
        guard footer.checksumType != .none || footer.baseContextChecksum != 0 else { return raw }
        let stored = le32(raw, n + 1) &- SSTChecksumType.contextModifier(base: footer.baseContextChecksum, offset: handle.offset)
        let computed = raw.withUnsafeBytes { footer.checksumType.checksum(UnsafeRawBufferPointer(rebasing: $0[0..<(n + 1)])) }
        guard stored == computed else {
            throw error(.checksumMismatch,
                        "\(footer.checksumType.name) checksum mismatch over \(n + 1) bytes: stored 0x\(String(stored, radix: 16)), computed 0x\(String(computed, radix: 16))",
                        handle, kind)
        }
        return raw
    }

    /// The block's contents, checksum-checked and decompressed.
    func payload(_ handle: BlockHandle, kind: String) throws(RocksDBError) -> [UInt8] {
        var raw = try verified(handle, kind: kind)
        let n = Int(handle.size)
        let typeByte = raw[n]
        guard let type = SSTCompressionType(rawValue: typeByte) else {
            throw error(.unknownCompression, "unknown compression type \(typeByte) in the block trailer", handle, kind, at: n)
        }
        if type == .none {
            raw.removeLast(Int(BlockHandle.trailerSize))
            return raw
        }
        if hasDictionary, type != .snappy {
            throw error(.unsupportedFeature, "\(type.name) block compressed with a dictionary (rocksdb.compression_dict); Cairn does not apply dictionaries", handle, kind)
        }
        let result = raw.withUnsafeBytes { all in
            type.decompress(UnsafeRawBufferPointer(rebasing: all[0..<n]), formatVersion: footer.formatVersion, maxSize: SSTFile.maxBlockSize)
        }
        switch result {
        case .success(let bytes): return bytes
        case .failure(let p): throw error(p.code, p.message, handle, kind, at: p.offset)
        }
    }

    func block(_ handle: BlockHandle, kind: String) throws(RocksDBError) -> SSTBlock {
        let bytes = try payload(handle, kind: kind)
        do {
            return try SSTBlock(bytes)
        } catch {
            throw self.error(error.code, error.message + " (offset \(error.offset) in the decompressed block)", handle, kind)
        }
    }

    func entries(of block: SSTBlock, at handle: BlockHandle, kind: String) throws(RocksDBError) -> [(key: [UInt8], value: ArraySlice<UInt8>)] {
        do {
            return try block.entries()
        } catch {
            throw self.error(error.code, error.message + " (offset \(error.offset) in the decompressed block)", handle, kind)
        }
    }

    func handles(of block: SSTBlock, at handle: BlockHandle, kind: String, delta: Bool, firstKey: Bool) throws(RocksDBError) -> [BlockHandle] {
        do {
            return try block.indexHandles(valueDeltaEncoded: delta, withFirstKey: firstKey)
        } catch {
            throw self.error(error.code, error.message + " (offset \(error.offset) in the decompressed block)", handle, kind)
        }
    }
}
