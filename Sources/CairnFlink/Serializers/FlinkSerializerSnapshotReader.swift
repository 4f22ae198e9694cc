import CairnCore

/// Parses `TypeSerializerSnapshot`s exactly, class by class and version by version (research notes §1, §2), into
/// `FlinkSerializerSnapshot`s that carry the typed `FlinkTypeSerializer`. A snapshot has no length prefix, so an
/// unknown class stops the parse with `FlinkSerializerError.unknownSerializer` — except inside length-framed
/// entries (POJO fields and subclasses), where it becomes `.opaque` and the parse goes on.
public enum FlinkSerializerSnapshotReader {
    static let compositeMagic: Int32 = 911_108
    static let nestedMagic: Int32 = 1_333_245
    static let optionalMapHeader: Int64 = 0x4F2_C69A_3D70
    /// Deeper nesting than this is refused (no real type nests this deep; damaged input could loop).
    public static let maxDepth = 32

    /// The §1.1 form used in state meta info: `int 2` (proxy version), then the versioned snapshot.
    public static func readTopLevel(_ r: inout JavaDataInput) throws -> FlinkSerializerSnapshot {
        try readTopLevel(&r, resync: nil)
    }

    static func readTopLevel(_ r: inout JavaDataInput, resync: FlinkSnapshotResync?) throws -> FlinkSerializerSnapshot {
        let at = r.position
        let proxyVersion = try r.readI32("serializer snapshot proxy version")
        guard proxyVersion == 2 else {
            throw FlinkSerializerError(.unsupportedVersion,
                                       "serializer snapshot proxy version \(proxyVersion); Flink ≥ 1.17 writes and reads only version 2", at: at)
        }
        return try readVersioned(&r, depth: 0, resync: resync)
    }

    /// `TypeSerializerSnapshot.writeVersionedSnapshot`: `UTF class, int version, payload`.
    public static func readVersioned(_ r: inout JavaDataInput, depth: Int = 0) throws -> FlinkSerializerSnapshot {
        try readVersioned(&r, depth: depth, resync: nil)
    }

    /// With `resync`, a snapshot that cannot be read is reported as `FlinkSnapshotResync.Stop` (innermost first),
    /// and one the driver assumes an end for is skipped to that end and becomes `.opaque`.
    static func readVersioned(_ r: inout JavaDataInput, depth: Int, resync: FlinkSnapshotResync?) throws -> FlinkSerializerSnapshot {
        let at = r.position
        guard depth <= maxDepth else { throw FlinkSerializerError(.limit, "serializer snapshots nested deeper than \(maxDepth)", at: at) }
        var className = "", version: Int32 = 0
        do {
            className = try r.readUTF("serializer snapshot class")
            version = try r.readI32("serializer snapshot version")
        } catch {
            guard resync != nil else { throw error }
            // No snapshot starts here (a wrong resync candidate): the enclosing snapshot is not to blame.
            throw FlinkSnapshotResync.Noise(underlying: FlinkSerializerError(.malformed, error.message, at: error.offset))
        }
        let bodyStart = r.position
        if let resync, let end = resync.end(ofSnapshotAt: at) {
            guard end >= bodyStart, end <= r.end else {
                throw FlinkSnapshotResync.Noise(underlying: FlinkSerializerError(.malformed, "assumed end \(end) of \(className) is outside its bytes", at: at))
            }
            try r.skip(end - bodyStart, "skipped serializer snapshot \(className)")
            resync.noteSkipped(className, version, span: at..<end)
            return FlinkSerializerSnapshot(className: className, version: version, serializer: .opaque(className: className, version: version),
                                           opaqueSpan: at..<end)
        }
        var failure: FlinkSerializerError
        do {
            return try payload(className, version, &r, depth: depth, at: at, resync: resync)
        } catch let stop as FlinkSnapshotResync.Stop {
            throw stop
        } catch let noise as FlinkSnapshotResync.Noise {
            throw noise  // a nested "snapshot" that was not one: this snapshot is not to blame
        } catch let e as FlinkSerializerError {
            failure = e
            if failure.serializerClass == nil { failure.serializerClass = className }
        } catch let e as DecodeError {
            failure = FlinkSerializerError(.malformed, "snapshot \(className) v\(version): \(e.message)", at: e.offset, serializerClass: className)
        }
        // Only what looks like a real snapshot may be skipped: garbage read as a snapshot must stay an error, or a
        // wrong resync candidate could "parse" by skipping noise.
        guard let resync else { throw failure }
        guard FlinkSnapshotResync.isPlausibleSnapshot(className, version) else { throw FlinkSnapshotResync.Noise(underlying: failure) }
        failure.state = failure.state ?? resync.state
        throw FlinkSnapshotResync.Stop(start: at, bodyStart: bodyStart, className: className, version: version, underlying: failure)
    }

    static let base = "org.apache.flink.api.common.typeutils.base."
    static let runtime = "org.apache.flink.api.java.typeutils.runtime."
    static let tableTypes = "org.apache.flink.table.runtime.typeutils."

    /// Snapshots whose payload is empty (`SimpleTypeSerializerSnapshot` v3; v2 held a class name).
    static let simple: [String: FlinkTypeSerializer] = {
        var m: [String: FlinkTypeSerializer] = [:]
        let prims: [(String, FlinkTypeSerializer)] = [
            ("Boolean", .boolean), ("Byte", .byte), ("Short", .short), ("Int", .int), ("Long", .long), ("Float", .float),
            ("Double", .double), ("Char", .char), ("String", .string), ("Void", .void), ("BigInt", .bigInteger), ("BigDec", .bigDecimal),
            ("Date", .date(.utilDate)), ("SqlDate", .date(.sqlDate)), ("SqlTime", .date(.sqlTime)), ("SqlTimestamp", .sqlTimestamp),
            ("Instant", .instant), ("LocalDate", .localDate), ("LocalTime", .localTime), ("LocalDateTime", .localDateTime),
        ]
        for (n, s) in prims { m[base + "\(n)Serializer$\(n)SerializerSnapshot"] = s }
        // Flink's mutable Value types share the boxed encodings.
        let values: [(String, FlinkTypeSerializer)] = [
            ("Boolean", .boolean), ("Byte", .byte), ("Short", .short), ("Int", .int), ("Long", .long), ("Float", .float),
            ("Double", .double), ("Char", .char), ("String", .string),
        ]
        for (n, s) in values { m[base + "\(n)ValueSerializer$\(n)ValueSerializerSnapshot"] = s }
        let arrays: [(String, FlinkTypeSerializer)] = [
            ("Boolean", .boolean), ("Short", .short), ("Int", .int), ("Long", .long), ("Float", .float), ("Double", .double), ("Char", .char),
        ]
        for (n, s) in arrays { m[base + "array.\(n)PrimitiveArraySerializer$\(n)PrimitiveArraySerializerSnapshot"] = .primitiveArray(s) }
        m[base + "array.BytePrimitiveArraySerializer$BytePrimitiveArraySerializerSnapshot"] = .bytes
        m[base + "array.StringArraySerializer$StringArraySerializerSnapshot"] = .stringArray
        m["org.apache.flink.runtime.state.VoidNamespaceSerializer$VoidNamespaceSerializerSnapshot"] = .voidNamespace
        m["org.apache.flink.streaming.api.windowing.windows.TimeWindow$Serializer$TimeWindowSerializerSnapshot"] = .timeWindow(table: false)
        m["org.apache.flink.streaming.api.windowing.windows.GlobalWindow$Serializer$GlobalWindowSerializerSnapshot"] = .globalWindow(table: false)
        m["org.apache.flink.table.runtime.operators.window.TimeWindow$Serializer$TimeWindowSerializerSnapshot"] = .timeWindow(table: true)
        m["org.apache.flink.table.runtime.operators.window.GlobalWindow$Serializer$GlobalWindowSerializerSnapshot"] = .globalWindow(table: true)
        m["org.apache.flink.table.runtime.operators.window.CountWindow$Serializer$CountWindowSerializerSnapshot"] = .countWindow
        m[tableTypes + "StringDataSerializer$StringDataSerializerSnapshot"] = .stringData
        m["org.apache.flink.table.dataview.NullSerializer$NullSerializerSnapshot"] = .tableNull
        m[runtime + "Tuple0SerializerSnapshot"] = .tuple(className: "org.apache.flink.api.java.tuple.Tuple0", fields: [])
        return m
    }()

    /// Simple snapshots whose values Cairn does not decode: the snapshot parses, values stay opaque.
    static let simpleOpaque: Set<String> = [
        "org.apache.flink.runtime.state.JavaSerializer$JavaSerializerSnapshot",
        base + "NullValueSerializer$NullValueSerializerSnapshot",
    ]

    static func payload(_ className: String, _ version: Int32, _ r: inout JavaDataInput, depth: Int, at: Int,
                        resync: FlinkSnapshotResync?) throws -> FlinkSerializerSnapshot {
        var snap = FlinkSerializerSnapshot(className: className, version: version)
        if let s = simple[className] ?? (simpleOpaque.contains(className) ? .opaque(className: className, version: version) : nil) {
            try simplePayload(className, version, &r)
            snap.serializer = s
            return snap
        }
        switch className {
        case base + "ListSerializerSnapshot", "org.apache.flink.runtime.state.ArrayListSerializerSnapshot":
            let n = try composite(className, version, &r, depth: depth, resync: resync, count: 1) { _, _ in }
            snap.nested = n
            snap.serializer = .list(try typed(n[0]))
        case "org.apache.flink.table.dataview.ListViewSerializerSnapshot", "org.apache.flink.table.dataview.MapViewSerializerSnapshot":
            // SQL state views write exactly their nested List/Map serializer's bytes.
            let n = try composite(className, version, &r, depth: depth, resync: resync, count: 1) { _, _ in }
            snap.nested = n
            snap.serializer = try typed(n[0])
        case tableTypes + "ExternalSerializer$ExternalSerializerSnapshot":
            // Outer: a Java-serialized DataType and `bool isInternalInput`; values are the internal serializer's bytes.
            var dataType: FlinkLogicalType?
            let n = try composite(className, version, &r, depth: depth, resync: resync, count: 1) { r, _ in
                let (value, stream) = try JavaSerializationStream.readObject(&r)
                dataType = stream.object(value)?.fields["logicalType"].flatMap { FlinkLogicalType.from($0, in: stream) }
                _ = try r.readBool("ExternalSerializer isInternalInput")
            }
            snap.nested = n
            snap.typeClass = dataType?.description
            snap.serializer = try typed(n[0])
        case tableTypes + "RawValueDataSerializer$RawValueDataSerializerSnapshot":
            let n = try composite(className, version, &r, depth: depth, resync: resync, count: 1) { _, _ in }
            snap.nested = n
            snap.serializer = .rawValue(innerClass: n[0].className, inner: try typed(n[0]))
        case tableTypes + "LinkedListSerializer$LinkedListSerializerSnapshot":
            var nullMask = true
            let n = try composite(className, version, &r, depth: depth, resync: resync, count: 1) { r, outer in
                nullMask = outer < 2 ? false : outer == 2 ? true : try r.readBool("LinkedList hasNullMask")
            }
            snap.nested = n
            snap.serializer = .linkedList(element: try typed(n[0]), nullMask: nullMask)
        case "org.apache.flink.table.dataview.NullAwareMapSerializerSnapshot":
            let n = try composite(className, version, &r, depth: depth, resync: resync, count: 2) { _, _ in }
            snap.nested = n
            snap.serializer = .nullAwareMap(key: try typed(n[0]), value: try typed(n[1]))
        case base + "SetSerializerSnapshot":
            let n = try composite(className, version, &r, depth: depth, resync: resync, count: 1) { _, _ in }
            snap.nested = n
            snap.serializer = .set(try typed(n[0]))
        case tableTypes + "WindowKeySerializer$WindowKeySerializerSnapshot":
            let n = try composite(className, version, &r, depth: depth, resync: resync, count: 1) { _, _ in }
            snap.nested = n
            snap.serializer = .windowKey(key: try typed(n[0]))
        case base + "MapSerializerSnapshot":
            let n = try composite(className, version, &r, depth: depth, resync: resync, count: 2) { _, _ in }
            snap.nested = n
            snap.serializer = .map(key: try typed(n[0]), value: try typed(n[1]))
        case base + "GenericArraySerializerSnapshot":
            var component = ""
            let n = try composite(className, version, &r, depth: depth, resync: resync, count: 1) { r, _ in component = try r.readUTF("array component class") }
            snap.nested = n
            snap.typeClass = component
            snap.serializer = .genericArray(componentClass: component, element: try typed(n[0]))
        case runtime + "TupleSerializerSnapshot":
            var tupleClass = ""
            let n = try composite(className, version, &r, depth: depth, resync: resync, count: nil) { r, _ in tupleClass = try r.readUTF("tuple class") }
            snap.nested = n
            snap.typeClass = tupleClass
            snap.serializer = .tuple(className: tupleClass, fields: try n.map(typed))
        case runtime + "RowSerializer$RowSerializerSnapshot":
            var rowKind = true
            let n = try composite(className, version, &r, depth: depth, resync: resync, count: nil) { r, outer in
                rowKind = outer < 3 ? false : outer == 3 ? true : try r.readBool("supportsRowKind")
            }
            snap.nested = n
            snap.serializer = .row(supportsRowKind: rowKind, fields: try n.map(typed))
        case runtime + "JavaEitherSerializerSnapshot":
            let n = try composite(className, version, &r, depth: depth, resync: resync, count: 2) { _, _ in }
            snap.nested = n
            snap.serializer = .either(left: try typed(n[0]), right: try typed(n[1]))
        case runtime + "NullableSerializer$NullableSerializerSnapshot":
            var padding = 0
            let n = try composite(className, version, &r, depth: depth, resync: resync, count: 1) { r, _ in
                let p = r.position
                padding = Int(try r.readI32("null padding length"))
                guard padding >= 0, padding <= 1 << 16 else { throw FlinkSerializerError(.malformed, "null padding length \(padding)", at: p) }
            }
            snap.nested = n
            snap.serializer = .nullable(paddingLength: padding, inner: try typed(n[0]))
        case "org.apache.flink.runtime.state.ttl.TtlStateFactory$TtlSerializerSnapshot",
             "org.apache.flink.runtime.state.v2.ttl.TtlStateFactory$TtlSerializerSnapshot":
            let n = try composite(className, version, &r, depth: depth, resync: resync, count: 2) { _, _ in }
            snap.nested = n
            snap.serializer = .ttl(try typed(n[1]))
        case "org.apache.flink.streaming.api.operators.TimerSerializerSnapshot":
            let n = try composite(className, version, &r, depth: depth, resync: resync, count: 2) { _, _ in }
            snap.nested = n
            snap.serializer = .timer(key: try typed(n[0]), namespace: try typed(n[1]))
        case base + "EnumSerializer$EnumSerializerSnapshot":
            let enumClass = try r.readUTF("enum class")
            let count = try r.readCount("enum constant count", minimumItemSize: 2)
            var constants: [String] = []
            for _ in 0..<count { constants.append(try r.readUTF("enum constant")) }
            snap.typeClass = enumClass
            snap.serializer = .enumeration(className: enumClass, constants: constants)
        case runtime + "PojoSerializerSnapshot":
            guard version == 2 else { throw unsupported(className, version, at: at) }
            let pojo = try FlinkPojoSnapshotReader.read(&r, depth: depth)
            snap.typeClass = pojo.className
            snap.nested = pojo.fields.map { snapshotStub($0.serializer) }
            snap.serializer = .pojo(pojo)
        case runtime + "kryo.KryoSerializerSnapshot":
            guard version == 2 else { throw unsupported(className, version, at: at) }
            let typeClass = try r.readUTF("Kryo type class")
            for what in ["Kryo registrations", "default Kryo serializers", "default Kryo serializer classes"] {
                _ = try readOptionalMap(&r, what)
            }
            snap.typeClass = typeClass
            snap.serializer = .kryo(className: typeClass)
        case "org.apache.flink.formats.avro.typeutils.AvroSerializerSnapshot":
            let runtimeClass: String, schema: String
            switch version {
            case 2: runtimeClass = try r.readUTF("Avro runtime class"); schema = try r.readUTF("Avro schema")
            case 3: runtimeClass = try FlinkStringValue.read(&r, "Avro runtime class") ?? ""; schema = try FlinkStringValue.read(&r, "Avro schema") ?? ""
            default: throw unsupported(className, version, at: at)
            }
            snap.typeClass = runtimeClass
            snap.serializer = .avro(runtimeClass: runtimeClass, schema: try AvroSchema.parse(schema))
        case tableTypes + "RowDataSerializer$RowDataSerializerSnapshot":
            guard version == 3 || version == 4 else { throw unsupported(className, version, at: at) }
            let count = try r.readCount("RowData field count", minimumItemSize: 4)
            var types: [FlinkLogicalType] = []
            for i in 0..<count {
                let p = r.position
                let (value, stream) = try JavaSerializationStream.readObject(&r)
                guard let t = FlinkLogicalType.from(value, in: stream) else {
                    throw FlinkSerializerError(.malformed, "field \(i) of a RowDataSerializer snapshot is not a Java-serialized LogicalType", at: p)
                }
                types.append(t)
            }
            let n = try nestedBlock(&r, depth: depth, count: count, resync: resync)
            var names: [String]?
            if version >= 4, try r.readBool("RowData has field names") {
                names = try (0..<count).map { _ in try r.readUTF("RowData field name") }
            }
            snap.nested = n
            snap.serializer = .rowData(FlinkRowDataSchema(types: types, fieldSerializers: try n.map(typed), names: names))
        case tableTypes + "BinaryRowDataSerializer$BinaryRowDataSerializerSnapshot":
            let p = r.position
            let fields = Int(try r.readI32("BinaryRowData field count"))
            guard fields >= 0, fields < 1 << 16 else { throw FlinkSerializerError(.malformed, "BinaryRowData field count \(fields)", at: p) }
            snap.serializer = .binaryRowData(fieldCount: fields)
        case tableTypes + "DecimalDataSerializer$DecimalSerializerSnapshot":
            let p = Int(try r.readI32("decimal precision")), s = Int(try r.readI32("decimal scale"))
            snap.serializer = .decimalData(precision: p, scale: s)
        case tableTypes + "TimestampDataSerializer$TimestampDataSerializerSnapshot":
            snap.serializer = .timestampData(precision: Int(try r.readI32("timestamp precision")))
        case tableTypes + "ArrayDataSerializer$ArrayDataSerializerSnapshot":
            let (t, s) = try JavaSerializationStream.readObject(&r)
            _ = try JavaSerializationStream.readObject(&r)  // the element serializer, Java-serialized
            snap.serializer = .arrayData(element: FlinkLogicalType.from(t, in: s))
        case tableTypes + "MapDataSerializer$MapDataSerializerSnapshot":
            let (k, ks) = try JavaSerializationStream.readObject(&r)
            let (v, vs) = try JavaSerializationStream.readObject(&r)
            _ = try JavaSerializationStream.readObject(&r)
            _ = try JavaSerializationStream.readObject(&r)
            snap.serializer = .mapData(key: FlinkLogicalType.from(k, in: ks), value: FlinkLogicalType.from(v, in: vs))
        default:
            throw FlinkSerializerError.unknownSerializer(className, version: version, at: at)
        }
        return snap
    }

    static func unsupported(_ className: String, _ version: Int32, at: Int) -> FlinkSerializerError {
        FlinkSerializerError(.unsupportedVersion, "Cairn cannot read this serializer: \(className) snapshot version \(version) is not one Cairn knows",
                             at: at, serializerClass: className)
    }

    static func typed(_ s: FlinkSerializerSnapshot) throws -> FlinkTypeSerializer {
        s.serializer ?? .opaque(className: s.className, version: s.version)
    }

    /// A `FlinkSerializerSnapshot` standing for an already typed serializer (POJO fields in the nested list).
    static func snapshotStub(_ t: FlinkTypeSerializer) -> FlinkSerializerSnapshot {
        if case .opaque(let c, let v) = t { return FlinkSerializerSnapshot(className: c, version: v, serializer: t) }
        return FlinkSerializerSnapshot(className: t.name, version: 0, serializer: t)
    }

    static func simplePayload(_ className: String, _ version: Int32, _ r: inout JavaDataInput) throws {
        switch version {
        case 3: return
        case 2: _ = try r.readUTF("serializer class (snapshot v2)")
        default:
            throw FlinkSerializerError(.unsupportedVersion, "\(className) snapshot version \(version) (simple snapshots are versions 2 and 3)",
                                       at: r.position - 4, serializerClass: className)
        }
    }

    /// `CompositeTypeSerializerSnapshot` (§1.3): outer magic + outer version (absent when the snapshot version is
    /// legacy ≤ 2, in which case the outer payload is read with that version), outer payload, nested block.
    static func composite(_ className: String, _ version: Int32, _ r: inout JavaDataInput, depth: Int, resync: FlinkSnapshotResync? = nil,
                          count: Int?, outer: (inout JavaDataInput, Int32) throws -> Void) throws -> [FlinkSerializerSnapshot] {
        var outerVersion = version
        if version > 2 {
            let p = r.position
            let magic = try r.readI32("composite snapshot magic")
            guard magic == compositeMagic else {
                throw FlinkSerializerError(.malformed, "composite snapshot magic is 0x\(String(UInt32(bitPattern: magic), radix: 16)), expected 0xde704", at: p, serializerClass: className)
            }
            outerVersion = try r.readI32("composite outer version")
        }
        try outer(&r, outerVersion)
        let nested = try nestedBlock(&r, depth: depth, count: count, resync: resync)
        if let count, nested.count != count {
            throw FlinkSerializerError(.malformed, "\(className) has \(nested.count) nested serializers, expected \(count)", serializerClass: className)
        }
        return nested
    }

    /// `NestedSerializersSnapshotDelegate`: `int 1333245, int 1, int n, n × versioned snapshot`.
    static func nestedBlock(_ r: inout JavaDataInput, depth: Int, count: Int?, resync: FlinkSnapshotResync? = nil) throws -> [FlinkSerializerSnapshot] {
        let p = r.position
        let magic = try r.readI32("nested snapshots magic")
        guard magic == nestedMagic else {
            throw FlinkSerializerError(.malformed, "nested snapshots magic is 0x\(String(UInt32(bitPattern: magic), radix: 16)), expected 0x145bfd", at: p)
        }
        let v = try r.readI32("nested snapshots version")
        guard v == 1 else { throw FlinkSerializerError(.unsupportedVersion, "nested snapshots version \(v)", at: p + 4) }
        let n = try r.readCount("nested snapshot count", minimumItemSize: 6)
        var out: [FlinkSerializerSnapshot] = []
        for _ in 0..<n { out.append(try readVersioned(&r, depth: depth + 1, resync: resync)) }
        return out
    }

    /// One entry of a `LinkedOptionalMapSerializer` map: the key name and the framed key and value bytes.
    struct OptionalMapEntry {
        var name: String
        var key: [UInt8]?
        var value: [UInt8]?
        /// Offset of the value frame's bytes in the enclosing buffer.
        var valueOffset: Int
    }

    static func readOptionalMap(_ r: inout JavaDataInput, _ what: String) throws -> [OptionalMapEntry] {
        let p = r.position
        let header = try r.readI64("\(what) header")
        guard header == optionalMapHeader else {
            throw FlinkSerializerError(.malformed, "\(what): optional map header is 0x\(String(UInt64(bitPattern: header), radix: 16)), expected 0x4f2c69a3d70", at: p)
        }
        let n = try r.readCount("\(what) size", minimumItemSize: 4)
        var out: [OptionalMapEntry] = []
        for _ in 0..<n {
            let name = try r.readUTF("\(what) entry name")
            var e = OptionalMapEntry(name: name, key: nil, value: nil, valueOffset: r.position)
            if try r.readBool("\(what) entry has key") {
                e.key = try r.readBytes(try r.readCount("\(what) key frame length"), "\(what) key frame")
            }
            if try r.readBool("\(what) entry has value") {
                let len = try r.readCount("\(what) value frame length")
                e.valueOffset = r.position
                e.value = try r.readBytes(len, "\(what) value frame")
            }
            out.append(e)
        }
        return out
    }
}
