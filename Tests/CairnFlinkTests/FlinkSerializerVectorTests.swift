import CairnCore
@testable import CairnFlink
import Foundation
import Testing

/// Snapshots and values written by Flink 2.3's own serializers (Fixtures/flink-serializers, SerializerVectors.java)
/// for the types the fixture job does not use.
@Suite("Flink serializers against bytes Flink wrote")
struct FlinkSerializerVectorTests {
    struct Vector: Sendable, CustomStringConvertible {
        var name: String
        var snapshot: [UInt8]
        /// value bytes, Java hashCode (nil when not value-based) and key group at max parallelism 128.
        var values: [(bytes: [UInt8], hash: Int32?, keyGroup: Int?)]
        var description: String { name }
    }

    static let vectors: [Vector] = {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/flink-serializers/vectors-2.3.tsv")
        guard let text = try? String(contentsOf: url, encoding: .utf8) else { return [] }
        return text.split(separator: "\n").compactMap { line in
            let cols = line.split(separator: "\t", omittingEmptySubsequences: false)
            guard cols.count == 3, let snap = Hex.decode(String(cols[1])) else { return nil }
            let values = cols[2].split(separator: ";").map { v -> ([UInt8], Int32?, Int?) in
                let p = v.split(separator: ":", omittingEmptySubsequences: false)
                return (Hex.decode(String(p[0])) ?? [], Int32(p[1]), Int(p[2]))
            }
            return Vector(name: String(cols[0]), snapshot: snap, values: values)
        }
    }()

    static func serializer(_ v: Vector) throws -> FlinkTypeSerializer {
        var r = JavaDataInput(v.snapshot)
        let s = try FlinkSerializerSnapshotReader.readTopLevel(&r)
        #expect(r.isAtEnd, "\(v.name): snapshot parse stopped at \(r.position) of \(v.snapshot.count)")
        return try #require(s.serializer)
    }

    @Test("the vectors are there")
    func present() { #expect(Self.vectors.count >= 20) }

    @Test("snapshots parse exactly; values decode, re-encode to the same bytes, and hash like Java", arguments: vectors)
    func vector(_ v: Vector) throws {
        let s = try Self.serializer(v)
        var decoded: [FlinkValue] = []
        for (bytes, hash, keyGroup) in v.values {
            let value = try FlinkValueDecoder.decode(bytes, as: s)
            decoded.append(value)
            #expect(try FlinkValueEncoder.encode(value, as: s) == bytes, "\(v.name): \(value) does not write back to the same bytes")
            if let hash, let keyGroup {
                #expect(try FlinkKeyHashing.javaHashCode(value, s) == hash, "\(v.name): hashCode of \(value)")
                #expect(FlinkKeyHashing.keyGroup(forHash: hash, maxParallelism: 128) == keyGroup, "\(v.name): key group")
            }
        }
        let json = decoded.map { $0.json.rendered(indent: 0) }
        switch v.name {
        case "string": #expect(decoded == [.string("k-42"), .string(""), .string("a😀b\u{0}ü"), .string(String(repeating: "x", count: 300))])
        case "tuple2": #expect(json == [#"{"f0":"a","f1":1}"#, #"{"f0":"k-7","f1":-5}"#])
        case "row": #expect(json == [#"{"kind":"+U","fields":[1,null,3]}"#, #"{"kind":"+I","fields":[-1,"x",null]}"#])
        case "either": #expect(json == [#"{"left":5}"#, #"{"right":"r"}"#])
        case "nullable":
            #expect(decoded == [.long(7), .null])
            #expect(s == .nullable(paddingLength: 8, inner: .long))
        case "enum":
            #expect(json == [#""BLUE""#, #""RED""#])
            #expect(s.name.contains("Color"))
        case "pojo":
            guard case .pojo(let p) = s else { Issue.record("not a POJO: \(s)"); return }
            #expect(p.fields.map(\.name) == ["amount", "id", "note", "tags"])
            #expect(p.fields[1].declaringClass?.hasSuffix("Order") == true)
            // Flink 2.x gives a List field of a POJO a ListSerializer (1.x used Kryo, which would be {"$opaque":…}).
            #expect(json[0] == #"{"amount":2.5,"id":9,"note":"n","tags":["a","b"]}"#)
            #expect(json[1] == #"{"amount":null,"id":-1,"note":null,"tags":null}"#)
            #expect(json[2] == "null")
        case "kryo":
            if case .kryo = s {} else { Issue.record("not Kryo: \(s)") }
            #expect(json[0].hasPrefix(#"{"$opaque":"org.apache.flink.api.java.typeutils.runtime.kryo.KryoSerializerSnapshot","$bytes":"#))
        case "bigint": #expect(decoded == [.decimal("123456789012345678901234567890"), .decimal("-255"), .decimal("0")])
        case "bigdec": #expect(decoded == [.decimal("-12.50"), .decimal("1E+3"), .decimal("1")])
        case "localdatetime": #expect(json == [#""2026-12-03T12:00:01.000000005""#, "null"])
        case "instant": #expect(json == [#"{"epochSecond":1764763200,"nano":123}"#, "null"])
        case "sqltimestamp": #expect(json == [#"{"epochMillis":1764763200123,"nanos":123000000}"#, "null"])
        case "longarray": #expect(json == ["[1,null,-3]"])
        case "intprimitivearray": #expect(json == ["[1,-2]"])
        case "stringarray": #expect(json == [#"["a",null]"#])
        case "list": #expect(json == ["[1,2]", "[]"])
        case "map": #expect(json == [#"[{"key":1,"value":"a"},{"key":2,"value":"b"}]"#])
        case "double":
            // CairnCore's JSON writes -0.0 as 0.0; the test comparing with Java compares numbers numerically.
            #expect(json == ["1.5", "0.0", #""NaN""#])
            #expect(decoded[1] == .double(-0.0) && (decoded[1] == .double(0.0)))
        case "rowdata":
            guard case .rowData(let schema) = s else { Issue.record("not RowData: \(s)"); return }
            #expect(schema.types.map(\.description) == [
                "INT NOT NULL", "VARCHAR(10)", "DECIMAL(20, 2)", "DECIMAL(10, 2)", "TIMESTAMP(9)", "TIMESTAMP(3)", "BIGINT",
                "ROW<f0 BOOLEAN>", "ARRAY<INT>", "MAP<VARCHAR(1), DOUBLE>", "VARBINARY(20)", "DATE", "DOUBLE",
            ])
            #expect(json[0] == #"{"kind":"-U","fields":[42,"short","123456789012345678.91","-12.50",{"epochMillis":1764763200123,"nanos":456789},{"epochMillis":1764763200123,"nanos":0},null,{"kind":"+I","fields":[true]},[1,null,3],[{"key":"k","value":1.5},{"key":"a longer key","value":null}],"010203",20000,-0.5]}"#, "\(json[0])")
            #expect(json[1].hasPrefix(#"{"kind":"+I","fields":[-1,"a longer string value",null,null,null,null,7,null,null,null,"0000"#), "\(json[1])")
        default: break
        }
    }
}
