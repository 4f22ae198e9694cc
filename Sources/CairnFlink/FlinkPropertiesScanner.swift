/// Reads what Cairn needs from the Java-serialized `CheckpointProperties` at the end of v4+ metadata: whether it is
/// a savepoint, its format type, and the checkpoint's sharing strategy.
///
/// It does not implement Java serialization; it lists the string and class-name records of the stream
/// (`TC_STRING`, class descriptors) and recognizes Flink's class and enum constant names among them, which is
/// enough because the trailer holds nothing but these few objects.
enum FlinkPropertiesScanner {
    static func scan(_ bytes: [UInt8]) -> FlinkCheckpointProperties? {
        guard bytes.count > 4, bytes[0] == 0xAC, bytes[1] == 0xED else { return nil }
        var strings: [String] = []
        var i = 4
        while i + 3 <= bytes.count {
            // TC_STRING (0x74) and class descriptor names are a u16 length then modified UTF-8.
            let len = Int(bytes[i + 1]) << 8 | Int(bytes[i + 2])
            if (bytes[i] == 0x74 || bytes[i] == 0x72) && len > 0 && len < 256 && i + 3 + len <= bytes.count {
                let slice = bytes[(i + 3)..<(i + 3 + len)]
                if slice.allSatisfy({ $0 >= 0x20 && $0 < 0x7F }) {
                    strings.append(String(decoding: slice, as: UTF8.self))
                    i += 3 + len
                    continue
                }
            }
            i += 1
        }
        let isSavepoint = strings.contains { $0.hasSuffix(".SavepointType") }
        let isCheckpoint = strings.contains { $0.hasSuffix(".CheckpointType") }
        guard isSavepoint || isCheckpoint else { return nil }
        let format = strings.first { $0 == "CANONICAL" || $0 == "NATIVE" }
        let sharing = strings.first { $0 == "FORWARD_BACKWARD" || $0 == "FORWARD" || $0 == "NO_SHARING" }
        let typeName = strings.first { ["Checkpoint", "Full Checkpoint", "Savepoint", "Terminate Savepoint", "Suspend Savepoint"].contains($0) }
        return FlinkCheckpointProperties(isSavepoint: isSavepoint, savepointFormat: isSavepoint ? format : nil, typeName: typeName,
                                         sharingFilesStrategy: isSavepoint ? nil : sharing)
    }
}
