import CairnTestProcesses
import CairnCore
import CairnFormat
import CairnModel
import Foundation
import Testing

/// The repository root, found from this file's path.
let repositoryRoot: URL = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
let vectorsDirectory = repositoryRoot.appendingPathComponent("format-spec/vectors")

@Suite("format-spec test vectors", .serialized)
struct VectorTests {
    static let updating = ProcessInfo.processInfo.environment["CAIRN_UPDATE_VECTORS"] != nil

    static func firstDifference(_ a: [UInt8], _ b: [UInt8]) -> Int {
        zip(a, b).enumerated().first { $0.element.0 != $0.element.1 }?.offset ?? min(a.count, b.count)
    }

    /// The decoded JSON; a delta is merged with its bases, taken from `files` (by name without `.cairn`).
    static func dumpText(_ bytes: [UInt8], name: String, files: [String: [UInt8]] = [:]) throws -> String {
        let reader = try SnapshotReader(source: MemorySource(bytes, name: name + ".cairn"))
        let chain = try SnapshotChain(top: reader) { file in
            let stem = file.hasSuffix(".cairn") ? String(file.dropLast(6)) : file
            return try files[stem].map { try SnapshotReader(source: MemorySource($0, name: file)) }
        }
        return try SnapshotDump.json(reader, chain: chain).rendered() + "\n"
    }

    @Test("valid vectors are reproduced byte for byte and decode to their committed JSON")
    func validVectors() throws {
        let all = try VectorCatalog.valid()
        let files = Dictionary(all, uniquingKeysWith: { a, _ in a })
        for (name, bytes) in all {
            let file = vectorsDirectory.appendingPathComponent(name + ".cairn")
            let jsonFile = vectorsDirectory.appendingPathComponent(name + ".json")
            let json = try Self.dumpText(bytes, name: name, files: files)
            if Self.updating {
                try FileManager.default.createDirectory(at: vectorsDirectory, withIntermediateDirectories: true)
                try Data(bytes).write(to: file)
                try json.write(to: jsonFile, atomically: true, encoding: .utf8)
            }
            let committed = try [UInt8](Data(contentsOf: file))
            #expect(committed.elementsEqual(bytes), "\(name).cairn differs from what the writer produces now, first at byte \(Self.firstDifference(committed, bytes)); regenerate with `make vectors` if the change is intended")
            let committedJSON = try String(contentsOf: jsonFile, encoding: .utf8)
            #expect(committedJSON == (try Self.dumpText(committed, name: name, files: files)), "\(name).json differs from the decoded file")
        }
    }

    @Test("invalid vectors fail with their committed error code")
    func invalidVectors() throws {
        let bad = vectorsDirectory.appendingPathComponent("bad")
        for (name, bytes, code) in try VectorCatalog.invalid() {
            if Self.updating {
                try FileManager.default.createDirectory(at: bad, withIntermediateDirectories: true)
                try Data(bytes).write(to: bad.appendingPathComponent(name + ".cairn"))
                try (code.rawValue + "\n").write(to: bad.appendingPathComponent(name + ".error"), atomically: true, encoding: .utf8)
            }
            let committed = try [UInt8](Data(contentsOf: bad.appendingPathComponent(name + ".cairn")))
            #expect(committed.elementsEqual(bytes), "bad/\(name).cairn differs from its recipe, first at byte \(Self.firstDifference(committed, bytes))")
            let expected = try String(contentsOf: bad.appendingPathComponent(name + ".error"), encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(expected == code.rawValue)
            do {
                _ = try Self.dumpText(committed, name: name)
                Issue.record("bad/\(name) decoded without error")
            } catch let e as SnapshotError {
                #expect(e.code == code, "bad/\(name): got \(e)")
            }
        }
    }

    @Test("the independent Python reader decodes every vector")
    func pythonReader() throws {
        let run = try TestProcess.run(command: "python3", [repositoryRoot.appendingPathComponent("format-spec/reader/cairn_reader.py").path,
                                                          "check", vectorsDirectory.path], mergeOutput: true)
        let output = run.stdout
        #expect(run.status == 0, "python reader failed:\n\(output)")
        #expect(output.contains(" passed, 0 failed"), "\(output)")
    }
}
