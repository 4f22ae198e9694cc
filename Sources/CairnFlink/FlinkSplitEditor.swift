import CairnCore
import CairnModel

/// Changes where a FLIP-27 source split resumes, inside one `SourceReaderState` element (research notes §7), and
/// rebuilds an operator-state stream around changed elements. The element keeps its framing (`int length`,
/// `int serializerVersion`, `int length`, split bytes); only the position field is replaced, so the split's other
/// fields stay byte for byte what the connector wrote.
public enum FlinkSplitEditor {
    /// Kafka's sentinel starting offsets (`KafkaPartitionSplit`), accepted by name.
    public static let kafkaSentinels: [String: Int64] = ["latest": -1, "earliest": -2, "committed": -3]

    /// Returns `element` with its split's position set to `position` and what the split was before.
    /// Kafka: the next offset to read (a number ≥ 0, or `earliest`, `latest`, `committed`); number sequence: the
    /// next number to emit (at most the split's last number, as `NumberSequenceSplit` requires).
    public static func reposition(element: [UInt8], to position: String) throws(FlinkSplitEditError) -> (before: SourceSplit, element: [UInt8]) {
        guard let split = FlinkSourceSplits.decode(element: element, index: 0) else {
            throw .unreadableElement("the element is not a SourceReaderState split (int length, int version, int length, bytes)")
        }
        // The split bytes start after three ints; both known layouts begin with a writeUTF string.
        let splitStart = 12
        guard element.count >= splitStart + 2 else { throw .unreadableElement("the element is too short") }
        let utfEnd = splitStart + 2 + (Int(element[splitStart]) << 8 | Int(element[splitStart + 1]))
        let field: Int
        let value: Int64
        switch split.position {
        case .kafka:
            if let sentinel = kafkaSentinels[position.lowercased()] {
                value = sentinel
            } else if let n = Int64(position), n >= 0 {
                value = n
            } else {
                throw .badPosition(split: split.splitId, position: position,
                                   expected: "a Kafka offset ≥ 0, or earliest, latest, committed")
            }
            field = utfEnd + 4  // after the topic and the int partition: long startingOffset
        case .numberSequence(_, let last):
            guard let n = Int64(position) else {
                throw .badPosition(split: split.splitId, position: position, expected: "the next number to emit (an integer)")
            }
            guard n <= last else {
                throw .badPosition(split: split.splitId, position: position,
                                   expected: "a number at most \(last), the split's last number (NumberSequenceSplit needs from ≤ to)")
            }
            value = n
            field = utfEnd  // after the split id: long from
        case .kinesis, .generic:
            throw .unsupportedSplit(split: split.splitId,
                                    reason: "only Kafka and number-sequence splits can be repositioned; this split's format is not one of them")
        }
        guard field + 8 <= element.count else { throw .unreadableElement("the split ends before its position field") }
        var out = element
        for i in 0..<8 { out[field + i] = UInt8(truncatingIfNeeded: value >> Int64(56 - 8 * i)) }
        return (split, out)
    }

    /// True when an operator-state stream was written with snapshot compression (proxy version 6+, flag set):
    /// its elements are then inside one Snappy-framed section and cannot be replaced one by one.
    public static func isCompressed(operatorStateStream s: [UInt8]) -> Bool {
        guard s.count >= 5 else { return false }
        let version = Int32(bitPattern: UInt32(s[0]) << 24 | UInt32(s[1]) << 16 | UInt32(s[2]) << 8 | UInt32(s[3]))
        return version >= 6 && s[4] == 1
    }

    /// Rebuilds an operator-state stream with some elements replaced (keyed by their offset) and returns the new
    /// stream and the states with their new offsets. An element runs from its offset to the next offset of any
    /// state, the last one to the end of the stream; the header before the first offset is kept as it is.
    public static func replacing(_ replacements: [Int64: [UInt8]], in stream: [UInt8],
                                 states: [FlinkOperatorStateHandle.StateInfo]) throws(FlinkSplitEditError)
        -> (stream: [UInt8], states: [FlinkOperatorStateHandle.StateInfo]) {
        let starts = Set(states.flatMap(\.offsets)).sorted()
        guard let first = starts.first else { return (stream, states) }
        guard first >= 0, let last = starts.last, last <= Int64(stream.count) else {
            throw .unreadableElement("an offset lies outside the \(stream.count)-byte stream")
        }
        for o in replacements.keys where !starts.contains(o) {
            throw .unreadableElement("no element starts at offset \(o)")
        }
        var out = Array(stream[0..<Int(first)])
        var moved: [Int64: Int64] = [:]
        for (i, o) in starts.enumerated() {
            let end = i + 1 < starts.count ? starts[i + 1] : Int64(stream.count)
            moved[o] = Int64(out.count)
            out += replacements[o] ?? Array(stream[Int(o)..<Int(end)])
        }
        let newStates = states.map { s in
            FlinkOperatorStateHandle.StateInfo(name: s.name, mode: s.mode, offsets: s.offsets.map { moved[$0] ?? $0 })
        }
        return (out, newStates)
    }
}

/// Why a source split could not be repositioned.
public enum FlinkSplitEditError: CairnError, Equatable {
    case unreadableElement(String)
    case badPosition(split: String, position: String, expected: String)
    case unsupportedSplit(split: String, reason: String)

    public var description: String {
        switch self {
        case .unreadableElement(let why): "the source reader state cannot be changed: \(why)"
        case .badPosition(let split, let position, let expected): "split \(split): \"\(position)\" is not a valid position; give \(expected)"
        case .unsupportedSplit(let split, let reason): "split \(split): \(reason)"
        }
    }
}

extension FlinkSplitEditError {
    public var exitStatus: Int32 { 2 }
}
