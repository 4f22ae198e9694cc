import CairnCore
import CairnModel

/// A schema compiled into a flat table, for checking encoded values at memory speed.
///
/// Walking the `Schema` enum costs reference counting on every node visited; deep validation visits every value
/// of a snapshot, so it walks this table over raw bytes instead. Accepts exactly what `TypedValue.decode` accepts.
public struct SchemaValidator: Sendable {
    private enum Op: UInt8 { case boolean, int32, int64, float32, float64, string, bytes, optional, list, map, record }

    private struct Node: Sendable {
        var op: Op
        /// Child node (optional, list, map key) or first field index (record).
        var a: Int32
        /// Second child (map value) or field count (record).
        var b: Int32
    }

    private var nodes: [Node] = []
    private var fields: [Int32] = []

    public init(_ schema: Schema) {
        _ = compile(schema)
    }

    private mutating func compile(_ s: Schema) -> Int32 {
        let index = Int32(nodes.count)
        nodes.append(Node(op: .boolean, a: 0, b: 0))
        var node: Node
        switch s {
        case .boolean: node = Node(op: .boolean, a: 0, b: 0)
        case .int32: node = Node(op: .int32, a: 0, b: 0)
        case .int64: node = Node(op: .int64, a: 0, b: 0)
        case .float32: node = Node(op: .float32, a: 0, b: 0)
        case .float64: node = Node(op: .float64, a: 0, b: 0)
        case .string: node = Node(op: .string, a: 0, b: 0)
        case .bytes: node = Node(op: .bytes, a: 0, b: 0)
        case .optional(let inner): node = Node(op: .optional, a: compile(inner), b: 0)
        case .list(let inner): node = Node(op: .list, a: compile(inner), b: 0)
        case .map(let k, let v):
            let kn = compile(k)
            node = Node(op: .map, a: kn, b: compile(v))
        case .record(_, let fs):
            let children = fs.map { compile($0.type) }
            node = Node(op: .record, a: Int32(fields.count), b: Int32(children.count))
            fields += children
        }
        nodes[Int(index)] = node
        return index
    }

    /// Checks that `bytes[range]` is exactly one value.
    public func validate(_ bytes: UnsafeRawBufferPointer, _ range: Range<Int>) throws(DecodeError) {
        var cursor = RawCursor(bytes: bytes, position: range.lowerBound, end: range.upperBound)
        try nodes.withUnsafeBufferPointer { (n) throws(DecodeError) in
            try fields.withUnsafeBufferPointer { (f) throws(DecodeError) in
                try Self.check(0, n, f, &cursor, depth: 0)
            }
        }
        if cursor.position != cursor.end {
            throw DecodeError(.trailingBytes, "\(cursor.end - cursor.position) bytes after the typed value", at: cursor.position)
        }
    }

    private static func check(
        _ i: Int32, _ nodes: UnsafeBufferPointer<Node>, _ fields: UnsafeBufferPointer<Int32>, _ c: inout RawCursor, depth: Int
    ) throws(DecodeError) {
        guard depth < Schema.maxDepth else { throw DecodeError(.invalidValue, "value nests deeper than \(Schema.maxDepth)", at: c.position) }
        let node = nodes[Int(i)]
        switch node.op {
        case .boolean:
            let at = c.position
            guard try c.byte() <= 1 else { throw DecodeError(.invalidValue, "boolean must be 0 or 1", at: at) }
        case .int32:
            let at = c.position
            let u = try c.varint()
            let v = Int64(bitPattern: (u >> 1) ^ (0 &- (u & 1)))
            guard v >= Int64(Int32.min) && v <= Int64(Int32.max) else { throw DecodeError(.invalidValue, "int32 value \(v) out of range", at: at) }
        case .int64: _ = try c.varint()
        case .float32: try c.skip(4)
        case .float64: try c.skip(8)
        case .string:
            let at = c.position
            let n = try c.length()
            guard c.isUTF8(n) else { throw DecodeError(.invalidUTF8, "string value is not valid UTF-8", at: at) }
            c.position += n
        case .bytes: c.position += try c.length()
        case .optional:
            let at = c.position
            switch try c.byte() {
            case 0: break
            case 1: try check(node.a, nodes, fields, &c, depth: depth + 1)
            case let m: throw DecodeError(.invalidValue, "optional marker must be 0 or 1, found \(m)", at: at)
            }
        case .list:
            let n = try c.count()
            for _ in 0..<n { try check(node.a, nodes, fields, &c, depth: depth + 1) }
        case .map:
            let n = try c.count()
            var previous: Range<Int>? = nil
            for _ in 0..<n {
                let start = c.position
                try check(node.a, nodes, fields, &c, depth: depth + 1)
                let key = start..<c.position
                if let p = previous, !c.precedes(p, key) { throw DecodeError(.outOfOrder, "map keys are not strictly ascending", at: start) }
                previous = key
                try check(node.b, nodes, fields, &c, depth: depth + 1)
            }
        case .record:
            for k in 0..<Int(node.b) { try check(fields[Int(node.a) + k], nodes, fields, &c, depth: depth + 1) }
        }
    }
}

/// Reads the primitive encodings of format spec §1 from raw memory, bounded by `end`.
struct RawCursor {
    let bytes: UnsafeRawBufferPointer
    var position: Int
    let end: Int

    @inline(__always)
    mutating func byte() throws(DecodeError) -> UInt8 {
        guard position < end else { throw DecodeError(.truncated, "value is cut off", at: position) }
        defer { position += 1 }
        return bytes[position]
    }

    @inline(__always)
    mutating func skip(_ n: Int) throws(DecodeError) {
        guard end - position >= n else { throw DecodeError(.truncated, "value is cut off", at: position) }
        position += n
    }

    mutating func varint() throws(DecodeError) -> UInt64 {
        let start = position
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            guard position < end else { throw DecodeError(.truncated, "varint is cut off", at: start) }
            let b = bytes[position]
            position += 1
            if shift == 63 && b > 1 { throw DecodeError(.invalidVarint, "varint overflows 64 bits", at: start) }
            result |= UInt64(b & 0x7F) << shift
            if b & 0x80 == 0 {
                if b == 0 && shift > 0 { throw DecodeError(.invalidVarint, "varint is not in its shortest form", at: start) }
                return result
            }
            shift += 7
            if shift > 63 { throw DecodeError(.invalidVarint, "varint is longer than 10 bytes", at: start) }
        }
    }

    /// A byte length that must fit in what remains.
    mutating func length() throws(DecodeError) -> Int {
        let at = position
        let n = try varint()
        guard n <= UInt64(end - position) else { throw DecodeError(.lengthOutOfBounds, "length \(n) exceeds the \(end - position) bytes left", at: at) }
        return Int(n)
    }

    /// An item count; every item takes at least one byte.
    mutating func count() throws(DecodeError) -> Int { try length() }

    func isUTF8(_ n: Int) -> Bool {
        var i = position
        let stop = position + n
        while i < stop {
            let b0 = bytes[i]
            if b0 < 0x80 { i += 1; continue }
            var need = 0
            var lower: UInt8 = 0x80, upper: UInt8 = 0xBF
            switch b0 {
            case 0xC2...0xDF: need = 1
            case 0xE0: need = 2; lower = 0xA0
            case 0xE1...0xEC, 0xEE...0xEF: need = 2
            case 0xED: need = 2; upper = 0x9F
            case 0xF0: need = 3; lower = 0x90
            case 0xF1...0xF3: need = 3
            case 0xF4: need = 3; upper = 0x8F
            default: return false
            }
            guard stop - i > need else { return false }
            let b1 = bytes[i + 1]
            guard b1 >= lower && b1 <= upper else { return false }
            var k = 2
            while k <= need {
                if bytes[i + k] & 0xC0 != 0x80 { return false }
                k += 1
            }
            i += need + 1
        }
        return true
    }

    func precedes(_ a: Range<Int>, _ b: Range<Int>) -> Bool {
        UnsafeRawBufferPointer(rebasing: bytes[a]).lexicographicallyPrecedes(UnsafeRawBufferPointer(rebasing: bytes[b]))
    }
}
