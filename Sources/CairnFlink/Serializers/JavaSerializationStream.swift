import CairnCore

/// A minimal reader of Java's object serialization stream (`ObjectOutputStream`, protocol 2), enough to walk past
/// objects Flink writes with `InstantiationUtil.serializeObject` inside serializer snapshots (SQL `LogicalType`s,
/// table serializers) and to read their field values. Such streams carry no length, so skipping them means
/// parsing them. Objects whose class writes custom data without block-data framing cannot be walked; they throw.
public struct JavaSerializationStream: Sendable {
    /// A value in the stream: a primitive, a string, or a handle into `entries`.
    public enum Value: Sendable, Equatable {
        case null
        case integer(Int64)
        case real(Double)
        case string(String)
        case handle(Int)
    }

    public struct ClassDescription: Sendable, Equatable {
        public var name: String
        public var flags: UInt8
        public var fields: [(code: UInt8, name: String)]
        public var superclass: Int?

        public static func == (a: Self, b: Self) -> Bool {
            a.name == b.name && a.flags == b.flags && a.superclass == b.superclass
                && a.fields.map(\.name) == b.fields.map(\.name) && a.fields.map(\.code) == b.fields.map(\.code)
        }
    }

    public struct Object: Sendable, Equatable {
        public var className: String
        /// Field values by name over the whole class hierarchy (the most derived class wins on a clash).
        public var fields: [String: Value]
        /// What `writeObject`/`writeExternal` wrote after the fields (objects and block data), in order.
        public var annotations: [Value]
        /// Raw block-data bytes of the annotations (e.g. `ArrayList`'s capacity).
        public var blockData: [UInt8]
    }

    public enum Entry: Sendable, Equatable {
        case classDescription(ClassDescription)
        case object(Object)
        case string(String)
        case array(className: String, [Value])
        case enumConstant(className: String, name: String)
        case classReference(String)
        case placeholder
    }

    /// Every handle assigned while reading, by wire handle order.
    public private(set) var entries: [Entry] = []
    private var input: JavaDataInput
    private var depth = 0
    static let maxDepth = 64
    static let maxItems = 1 << 20

    /// Reads one stream (`AC ED 00 05`, then one top-level object) starting at `input`'s position and leaves
    /// `input` after it. Returns the top-level value and the stream with its handle table.
    public static func readObject(_ input: inout JavaDataInput) throws -> (Value, JavaSerializationStream) {
        var stream = JavaSerializationStream(input: input)
        let at = stream.input.position
        guard try stream.input.readU16("Java serialization magic") == 0xACED else {
            throw FlinkSerializerError(.malformed, "expected a Java serialization stream (AC ED)", at: at)
        }
        let version = try stream.input.readU16("Java serialization version")
        guard version == 5 else { throw FlinkSerializerError(.unsupportedVersion, "Java serialization stream version \(version)", at: at + 2) }
        var value = try stream.content()
        // `ObjectOutputStream.close` after one writeObject: no trailing data, but block data may come first.
        while case .handle(let h) = value, h < 0 { value = try stream.content() }
        input = stream.input
        return (value, stream)
    }

    /// The object behind a value, if it is one.
    public func object(_ v: Value) -> Object? {
        guard case .handle(let h) = v, h >= 0, h < entries.count, case .object(let o) = entries[h] else { return nil }
        return o
    }

    public func string(_ v: Value) -> String? {
        switch v {
        case .string(let s): return s
        case .handle(let h):
            guard h >= 0, h < entries.count else { return nil }
            if case .string(let s) = entries[h] { return s }
            if case .enumConstant(_, let n) = entries[h] { return n }
            return nil
        default: return nil
        }
    }

    /// The elements of a `java.util.List` written by the JDK (`ArrayList`, `Arrays$ArrayList`, unmodifiable
    /// and synchronized wrappers), or nil.
    public func listElements(_ v: Value, depth: Int = 0) -> [Value]? {
        guard depth < 8, case .handle(let h) = v, h >= 0, h < entries.count else { return nil }
        switch entries[h] {
        case .array(_, let items): return items
        case .object(let o):
            if o.className == "java.util.ArrayList" || o.className == "java.util.LinkedList" { return o.annotations }
            for key in ["list", "c", "a"] { if let inner = o.fields[key], let items = listElements(inner, depth: depth + 1) { return items } }
            return nil
        default: return nil
        }
    }

    private init(input: JavaDataInput) { self.input = input }

    private mutating func newHandle(_ e: Entry) -> Int {
        entries.append(e)
        return entries.count - 1
    }

    private mutating func reference() throws -> Int {
        let at = input.position
        let h = Int(try input.readI32("Java handle")) - 0x7E0000
        guard h >= 0, h < entries.count else { throw FlinkSerializerError(.malformed, "Java serialization reference to unknown handle \(h)", at: at) }
        return h
    }

    /// One content element; block data comes back as `.handle(-1)` (its bytes are skipped).
    private mutating func content() throws -> Value {
        depth += 1
        defer { depth -= 1 }
        guard depth <= Self.maxDepth else { throw FlinkSerializerError(.limit, "Java serialization nested deeper than \(Self.maxDepth)", at: input.position) }
        let at = input.position
        let tc = try input.readU8("Java type code")
        switch tc {
        case 0x70: return .null
        case 0x71: return .handle(try reference())
        case 0x73: return try newObject()
        case 0x74:
            let s = try input.readUTF("Java string")
            return .handle(newHandle(.string(s)))
        case 0x7C:
            let n = try input.readI64("Java long string length")
            guard n >= 0, n <= Int64(input.remaining) else { throw FlinkSerializerError(.malformed, "Java long string of \(n) bytes", at: at) }
            let b = try input.readBytes(Int(n), "Java long string")
            return .handle(newHandle(.string(ModifiedUTF8.decode(b[...]) ?? "")))
        case 0x75: return try newArray()
        case 0x7E:
            let desc = try classDescription()
            let h = newHandle(.placeholder)
            let name = string(try content()) ?? ""
            entries[h] = .enumConstant(className: className(desc) ?? "", name: name)
            return .handle(h)
        case 0x76:
            let desc = try classDescription()
            return .handle(newHandle(.classReference(className(desc) ?? "")))
        case 0x72, 0x7D:
            input = JavaDataInput(input.bytes, from: at, to: input.end)
            return .handle(try classDescription() ?? -1)
        case 0x77:
            let n = Int(try input.readU8("Java block data length"))
            try input.skip(n, "Java block data")
            return .handle(-1)
        case 0x7A:
            let n = Int(try input.readI32("Java block data length"))
            guard n >= 0 else { throw FlinkSerializerError(.malformed, "negative Java block data length", at: at) }
            try input.skip(n, "Java block data")
            return .handle(-1)
        case 0x79:
            entries.removeAll()
            return try content()
        default:
            throw FlinkSerializerError(.malformed, "Java serialization type code 0x\(String(tc, radix: 16)) is not supported here", at: at)
        }
    }

    private func className(_ desc: Int?) -> String? {
        guard let d = desc, d < entries.count, case .classDescription(let c) = entries[d] else { return nil }
        return c.name
    }

    /// A class descriptor (new, proxy, reference or null); returns its handle.
    private mutating func classDescription() throws -> Int? {
        let at = input.position
        let tc = try input.readU8("Java class descriptor")
        switch tc {
        case 0x70: return nil
        case 0x71: return try reference()
        case 0x72:
            let name = try input.readUTF("Java class name")
            _ = try input.readI64("serialVersionUID")
            let h = newHandle(.placeholder)
            let flags = try input.readU8("Java class flags")
            let n = Int(try input.readU16("Java field count"))
            var fields: [(UInt8, String)] = []
            for _ in 0..<n {
                let code = try input.readU8("Java field type")
                let fname = try input.readUTF("Java field name")
                if code == 0x4C || code == 0x5B { _ = try content() }  // the field's class name, a string object
                fields.append((code, fname))
            }
            try skipAnnotation()
            let superclass = try classDescription()
            entries[h] = .classDescription(ClassDescription(name: name, flags: flags, fields: fields, superclass: superclass))
            return h
        case 0x7D:
            let h = newHandle(.placeholder)
            let n = try input.readCount("Java proxy interfaces", minimumItemSize: 2)
            for _ in 0..<n { _ = try input.readUTF("Java proxy interface") }
            try skipAnnotation()
            let superclass = try classDescription()
            entries[h] = .classDescription(ClassDescription(name: "$Proxy", flags: 0x02, fields: [], superclass: superclass))
            return h
        default:
            throw FlinkSerializerError(.malformed, "expected a Java class descriptor, found type code 0x\(String(tc, radix: 16))", at: at)
        }
    }

    /// Contents up to `TC_ENDBLOCKDATA`; returns the objects (not block data) and the block bytes.
    @discardableResult
    private mutating func skipAnnotation() throws -> ([Value], [UInt8]) {
        var values: [Value] = []
        var block: [UInt8] = []
        while true {
            guard values.count < Self.maxItems else { throw FlinkSerializerError(.limit, "Java annotation with more than \(Self.maxItems) items", at: input.position) }
            let at = input.position
            let tc = try input.readU8("Java annotation")
            if tc == 0x78 { return (values, block) }
            if tc == 0x77 || tc == 0x7A {
                let n = tc == 0x77 ? Int(try input.readU8("Java block data length")) : Int(try input.readI32("Java block data length"))
                guard n >= 0 else { throw FlinkSerializerError(.malformed, "negative Java block data length", at: at) }
                block += try input.readBytes(n, "Java block data")
                continue
            }
            input = JavaDataInput(input.bytes, from: at, to: input.end)
            values.append(try content())
        }
    }

    private mutating func hierarchy(_ desc: Int?) throws -> [ClassDescription] {
        var chain: [ClassDescription] = []
        var d = desc
        while let h = d, h < entries.count, case .classDescription(let c) = entries[h] {
            chain.append(c)
            guard chain.count < Self.maxDepth else { throw FlinkSerializerError(.limit, "Java class hierarchy deeper than \(Self.maxDepth)", at: input.position) }
            d = c.superclass
        }
        return chain.reversed()
    }

    private mutating func newObject() throws -> Value {
        let desc = try classDescription()
        let h = newHandle(.placeholder)
        let chain = try hierarchy(desc)
        var object = Object(className: chain.last?.name ?? "", fields: [:], annotations: [], blockData: [])
        for c in chain {
            if c.flags & 0x04 != 0 {
                guard c.flags & 0x08 != 0 else {
                    throw FlinkSerializerError(.unsupported, "Java externalizable class \(c.name) without block data cannot be skipped", at: input.position)
                }
                let (values, block) = try skipAnnotation()
                object.annotations += values
                object.blockData += block
                continue
            }
            for f in c.fields { object.fields[f.name] = try fieldValue(f.code) }
            if c.flags & 0x01 != 0 {
                let (values, block) = try skipAnnotation()
                object.annotations += values
                object.blockData += block
            }
        }
        entries[h] = .object(object)
        return .handle(h)
    }

    private mutating func fieldValue(_ code: UInt8) throws -> Value {
        switch code {
        case 0x42: return .integer(Int64(Int8(bitPattern: try input.readU8("byte field"))))
        case 0x43: return .integer(Int64(try input.readU16("char field")))
        case 0x44: return .real(Double(bitPattern: UInt64(bitPattern: try input.readI64("double field"))))
        case 0x46: return .real(Double(Float(bitPattern: UInt32(bitPattern: try input.readI32("float field")))))
        case 0x49: return .integer(Int64(try input.readI32("int field")))
        case 0x4A: return .integer(try input.readI64("long field"))
        case 0x53: return .integer(Int64(Int16(bitPattern: try input.readU16("short field"))))
        case 0x5A: return .integer(Int64(try input.readU8("boolean field")))
        case 0x4C, 0x5B: return try content()
        default: throw FlinkSerializerError(.malformed, "Java field type code 0x\(String(code, radix: 16))", at: input.position)
        }
    }

    private mutating func newArray() throws -> Value {
        let desc = try classDescription()
        let name = className(desc) ?? "["
        let h = newHandle(.placeholder)
        let at = input.position
        let n = Int(try input.readI32("Java array length"))
        guard n >= 0, n <= min(Self.maxItems, input.remaining) else { throw FlinkSerializerError(.limit, "Java array of \(n) elements", at: at) }
        let code = name.utf8.dropFirst().first ?? 0x4C
        var items: [Value] = []
        items.reserveCapacity(n)
        for _ in 0..<n { items.append(try fieldValue(code)) }
        entries[h] = .array(className: name, items)
        return .handle(h)
    }
}
