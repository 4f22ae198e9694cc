import CairnCore

/// Avro values as Flink's `DataOutputEncoder` writes them (§2.12) — not Avro's binary encoding: fixed-width
/// big-endian numbers, `int` enum and union indexes, `int`-length bytes/strings, arrays and maps as blocks of a
/// varlong count ending with a zero count.
enum FlinkAvroCodec {
    static let maxItems = 1 << 24

    static func read(_ r: inout JavaDataInput, _ node: AvroSchema.Node, schema: AvroSchema, depth: Int) throws -> FlinkValue {
        let at = r.position
        guard depth <= FlinkValueDecoder.maxDepth else { throw FlinkSerializerError(.limit, "Avro value nested deeper than \(FlinkValueDecoder.maxDepth)", at: at) }
        let d = depth + 1
        switch schema.resolve(node) {
        case .null: return .null
        case .boolean: return .boolean(try r.readBool("Avro boolean"))
        case .int: return .int(try r.readI32("Avro int"))
        case .long: return .long(try r.readI64("Avro long"))
        case .float: return .float(Float(bitPattern: UInt32(bitPattern: try r.readI32("Avro float"))))
        case .double: return .double(Double(bitPattern: UInt64(bitPattern: try r.readI64("Avro double"))))
        case .bytes: return .bytes(try r.readBytes(try r.readCount("Avro bytes length"), "Avro bytes"))
        case .string: return .string(String(decoding: try r.readBytes(try r.readCount("Avro string length"), "Avro string"), as: UTF8.self))
        case .fixed(_, let size): return .bytes(try r.readBytes(size, "Avro fixed"))
        case .enumeration(let name, let symbols):
            let i = try r.readI32("Avro enum index")
            guard i >= 0, Int(i) < symbols.count else { throw FlinkSerializerError(.malformed, "Avro enum \(name) index \(i) of \(symbols.count)", at: at) }
            return .enumConstant(index: i, name: symbols[Int(i)])
        case .union(let branches):
            let i = try r.readI32("Avro union index")
            guard i >= 0, Int(i) < branches.count else { throw FlinkSerializerError(.malformed, "Avro union index \(i) of \(branches.count)", at: at) }
            return .union(branch: i, value: try read(&r, branches[Int(i)], schema: schema, depth: d))
        case .record(_, let fields):
            return .record(try fields.map { FlinkField($0.name, try read(&r, $0.type, schema: schema, depth: d)) })
        case .array(let items):
            var out: [FlinkValue] = []
            try blocks(&r) { r in out.append(try read(&r, items, schema: schema, depth: d)) }
            return .array(out)
        case .map(let values):
            var out: [FlinkField] = []
            try blocks(&r) { r in
                let k = String(decoding: try r.readBytes(try r.readCount("Avro map key length"), "Avro map key"), as: UTF8.self)
                out.append(FlinkField(k, try read(&r, values, schema: schema, depth: d)))
            }
            return .record(out)
        case .reference(let name):
            throw FlinkSerializerError(.malformed, "Avro schema refers to an undefined type \(name)", at: at)
        }
    }

    private static func blocks(_ r: inout JavaDataInput, _ item: (inout JavaDataInput) throws -> Void) throws {
        var total = 0
        while true {
            let at = r.position
            var count = 0, shift = 0
            while true {
                let b = Int(try r.readU8("Avro block count"))
                guard shift < 63 else { throw FlinkSerializerError(.malformed, "Avro block count too long", at: at) }
                count |= (b & 0x7F) << shift
                if b < 0x80 { break }
                shift += 7
            }
            if count == 0 { return }
            total += count
            guard count > 0, total <= maxItems, count <= r.remaining else { throw FlinkSerializerError(.limit, "Avro block of \(count) items", at: at) }
            for _ in 0..<count { try item(&r) }
        }
    }

    static func write(_ v: FlinkValue, _ node: AvroSchema.Node, schema: AvroSchema, to w: inout ByteWriter, depth: Int) throws {
        guard depth <= FlinkValueDecoder.maxDepth else { throw FlinkSerializerError(.limit, "Avro value nested too deep") }
        let d = depth + 1
        func bad() -> FlinkSerializerError { FlinkSerializerError(.invalidInput, "value \(v) does not fit Avro type \(node)") }
        switch (schema.resolve(node), v) {
        case (.null, .null): return
        case (.boolean, .boolean(let b)): w.writeBool(b)
        case (.int, .int(let i)): w.writeU32(UInt32(bitPattern: i))
        case (.long, .long(let l)): w.writeI64(l)
        case (.float, .float(let f)): w.writeU32(f.bitPattern)
        case (.double, .double(let x)): w.writeU64(x.bitPattern)
        case (.bytes, .bytes(let b)):
            w.writeU32(UInt32(b.count))
            w.writeRaw(b)
        case (.string, .string(let s)):
            w.writeU32(UInt32(s.utf8.count))
            w.writeRaw(Array(s.utf8))
        case (.fixed(_, let size), .bytes(let b)):
            guard b.count == size else { throw bad() }
            w.writeRaw(b)
        case (.enumeration(_, let symbols), .enumConstant(let i, _)):
            guard i >= 0, Int(i) < symbols.count else { throw bad() }
            w.writeU32(UInt32(bitPattern: i))
        case (.union(let branches), .union(let i, let inner)):
            guard i >= 0, Int(i) < branches.count else { throw bad() }
            w.writeU32(UInt32(bitPattern: i))
            try write(inner, branches[Int(i)], schema: schema, to: &w, depth: d)
        case (.record(_, let fields), .record(let values)):
            guard fields.map(\.name) == values.map(\.name) else { throw bad() }
            for (f, x) in zip(fields, values) { try write(x.value, f.type, schema: schema, to: &w, depth: d) }
        case (.array(let items), .array(let values)):
            if !values.isEmpty { w.writeVarint(UInt64(values.count)) }
            for x in values { try write(x, items, schema: schema, to: &w, depth: d) }
            w.writeU8(0)
        case (.map(let valueType), .record(let entries)):
            if !entries.isEmpty { w.writeVarint(UInt64(entries.count)) }
            for e in entries {
                w.writeU32(UInt32(e.name.utf8.count))
                w.writeRaw(Array(e.name.utf8))
                try write(e.value, valueType, schema: schema, to: &w, depth: d)
            }
            w.writeU8(0)
        default: throw bad()
        }
    }
}
