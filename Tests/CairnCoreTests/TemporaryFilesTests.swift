import CairnCore
import Foundation
import Testing

/// Temporaries left by killed writers are removed; one a live writer holds never is; a confined directory never writes
/// through a symlink.
@Suite("temporary files and confined writes")
struct TemporaryFilesTests {
    static func directory() throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("cairn-tmpfiles-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    @Test("an abandoned temporary goes, a claimed one stays until its writer lets go")
    func abandonedOnly() throws {
        let dir = try Self.directory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (held, fd) = try TemporaryFiles.createFile(directory: dir, beside: "out.cairn")
        #expect(held.hasPrefix("out.cairn.cairn-tmp-"))
        // What a SIGKILLed writer leaves: a temporary file and a temporary directory nobody holds.
        let dead = "out.cairn" + TemporaryFiles.marker + "1-dead"
        #expect(FileManager.default.createFile(atPath: dir + "/" + dead, contents: Data([1, 2, 3])))
        try FileManager.default.createDirectory(atPath: dir + "/.out.cairn" + TemporaryFiles.marker + "2-dir/sub", withIntermediateDirectories: true)
        #expect(FileManager.default.createFile(atPath: dir + "/other", contents: Data([9])))
        // A symlink named like a temporary is neither followed nor removed.
        let outside = try Self.directory()
        defer { try? FileManager.default.removeItem(atPath: outside) }
        #expect(FileManager.default.createFile(atPath: outside + "/victim", contents: Data([7])))
        try FileManager.default.createSymbolicLink(atPath: dir + "/out.cairn" + TemporaryFiles.marker + "3-link", withDestinationPath: outside)

        #expect(TemporaryFiles.removeAbandoned(beside: dir + "/out.cairn") == 2)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir).sorted() == [held, "out.cairn" + TemporaryFiles.marker + "3-link", "other"].sorted())
        #expect(FileManager.default.fileExists(atPath: outside + "/victim"))
        close(fd)
        #expect(TemporaryFiles.removeAbandoned(beside: dir + "/out.cairn") == 1)
        #expect(!FileManager.default.fileExists(atPath: dir + "/" + held))
    }

    @Test("AtomicFileSink removes what a killed writer of the same file left, and keeps its own claim until it goes")
    func atomicSinkCleansUp() throws {
        let dir = try Self.directory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        #expect(FileManager.default.createFile(atPath: dir + "/chk-1.cairn" + TemporaryFiles.marker + "99-x", contents: Data([1])))
        #expect(FileManager.default.createFile(atPath: dir + "/chk-2.cairn" + TemporaryFiles.marker + "99-x", contents: Data([1])))
        let sink = try AtomicFileSink(path: dir + "/chk-1.cairn")
        try sink.write([1, 2, 3])
        #expect(TemporaryFiles.removeAbandoned(beside: dir + "/chk-1.cairn") == 0, "the live sink's file is claimed")
        try sink.commit()
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir).sorted() == ["chk-1.cairn", "chk-2.cairn" + TemporaryFiles.marker + "99-x"])
    }

    @Test("a confined directory refuses symlinks and existing entries below its root, and writes whole files")
    func confined() throws {
        let dir = try Self.directory()
        let outside = try Self.directory()
        defer {
            try? FileManager.default.removeItem(atPath: dir)
            try? FileManager.default.removeItem(atPath: outside)
        }
        try FileManager.default.createSymbolicLink(atPath: dir + "/link", withDestinationPath: outside)
        let tree = try ConfinedDirectory(root: dir)
        #expect(tree.problem(creating: "link/x")?.message.contains("symlink") == true)
        #expect(tree.problem(creating: "link")?.message.contains("already exists") == true)
        #expect(tree.problem(creating: "../x") != nil)
        #expect(tree.problem(creating: "a\u{1b}b") != nil)
        #expect(throws: IOError.self) { try tree.create("link/x") }
        #expect(try FileManager.default.contentsOfDirectory(atPath: outside).isEmpty)
        #expect(tree.problem(creating: "new/deep/file") == nil)
        let f = try tree.create("new/deep/file")
        f.mode = 0o600
        f.modificationTimeNs = 1_700_000_000_123_456_789
        try f.write([1, 2, 3])
        #expect(!FileManager.default.fileExists(atPath: dir + "/new/deep/file"), "nothing visible before commit")
        try f.commit()
        let attributes = try FileManager.default.attributesOfItem(atPath: dir + "/new/deep/file")
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
        #expect((attributes[.modificationDate] as? Date).map { Int($0.timeIntervalSince1970) } == 1_700_000_000)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir + "/new/deep") == ["file"])
        #expect(throws: IOError.self) { try tree.create("new/deep/file").commit() }
    }
}
