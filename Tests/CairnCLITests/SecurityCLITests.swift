import CairnFlink
import CairnStore
import CairnTestProcesses
import Foundation
import Testing

/// Adversarial input to the commands that write files or read them on a `_metadata`'s say-so: hostile manifests
/// written straight into a store, symlinks planted in a pull target, `_metadata` references to `/etc/passwd`, unsafe
/// names. Each must be refused with a clear error and a non-zero exit, and nothing may be written outside.
@Suite("security: hostile paths, keys and names are refused")
struct SecurityCLITests {
    /// A store holding one pushed directory (`sub/file` and `top`); returns the store and its manifest.
    static func store(in dir: URL) throws -> (store: String, manifest: SnapshotManifest) {
        let source = dir.appendingPathComponent("source")
        try FileManager.default.createDirectory(at: source.appendingPathComponent("sub"), withIntermediateDirectories: true)
        try Data("inside\n".utf8).write(to: source.appendingPathComponent("sub/file"))
        try Data("top\n".utf8).write(to: source.appendingPathComponent("top"))
        let store = dir.appendingPathComponent("store").path
        let push = try CLI.run(["push", source.path, store])
        #expect(push.status == 0, "\(push.stderr)")
        let key = try #require(try FileManager.default.contentsOfDirectory(atPath: store + "/snapshots").first)
        let bytes = try Data(contentsOf: URL(fileURLWithPath: store + "/snapshots/" + key))
        return (store, try SnapshotManifest.decode(Array(bytes), key: "snapshots/" + key, place: key))
    }

    /// Writes `manifest` with its first file renamed to `path` (the id recomputed, as a hostile writer would) straight
    /// into the store's directory; returns the new id.
    static func plant(_ manifest: SnapshotManifest, path: String, in store: String) throws -> String {
        var m = manifest
        m.files[0].path = path
        m.id = m.contentID.hex
        try Data(m.encoded()).write(to: URL(fileURLWithPath: store + "/snapshots/" + m.id))
        return m.id
    }

    /// Every regular file and symlink below `dir`.
    static func entries(_ dir: String) -> [String] {
        (FileManager.default.enumerator(atPath: dir)?.allObjects as? [String] ?? []).sorted()
    }

    @Test("pull refuses a manifest whose paths leave the target: .., absolute, control characters; nothing is written")
    func hostileManifestPaths() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let (store, manifest) = try Self.store(in: dir)
        let outside = dir.appendingPathComponent("outside").path
        for path in ["../escaped", "../../escaped", "sub/../../escaped", outside + "/abs", "/tmp/cairn-sec-\(UUID().uuidString)",
                     "a\nb", "esc\u{1b}[31m", "tab\there", "del\u{7f}", "c1\u{85}x", "a//b", "./a", ".."] {
            let id = try Self.plant(manifest, path: path, in: store)
            let target = dir.appendingPathComponent("pull-\(UUID().uuidString)").path
            for json in [false, true] {
                let r = try CLI.run(["pull", store, String(id.prefix(16)), target] + (json ? ["--json"] : []))
                #expect(r.status != 0, "\(path.debugDescription) was pulled")
                #expect(r.stderr.contains("unsafe file path"), "\(path.debugDescription): \(r.stderr)")
                // The message names the path printably: no raw control character reaches the terminal.
                #expect(!r.stderr.unicodeScalars.contains { $0.value < 0x20 && $0 != "\n" || (0x7F...0x9F).contains($0.value) }, "\(r.stderr.debugDescription)")
                #expect(r.stdout.isEmpty || !json, "\(r.stdout)")
            }
            #expect(Self.entries(target).isEmpty, "\(path.debugDescription): \(Self.entries(target))")
            try FileManager.default.removeItem(atPath: store + "/snapshots/" + id)
        }
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("escaped").path))
        #expect(!FileManager.default.fileExists(atPath: outside))
        // The honest snapshot still pulls.
        let good = try CLI.run(["pull", store, manifest.id, dir.appendingPathComponent("good").path])
        #expect(good.status == 0, "\(good.stderr)")
        #expect(Self.entries(dir.appendingPathComponent("good").path) == ["sub", "sub/file", "top"])
    }

    @Test("pull never follows a symlink inside its target: a linked directory or file is refused before anything is written")
    func symlinkInTarget() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let (store, manifest) = try Self.store(in: dir)
        let outside = dir.appendingPathComponent("outside").path
        try FileManager.default.createDirectory(atPath: outside, withIntermediateDirectories: true)
        try Data("keep\n".utf8).write(to: URL(fileURLWithPath: outside + "/victim"))

        // target/sub -> outside: the manifest writes sub/file.
        let linkedDir = dir.appendingPathComponent("t1").path
        try FileManager.default.createDirectory(atPath: linkedDir, withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: linkedDir + "/sub", withDestinationPath: outside)
        let r1 = try CLI.run(["pull", store, manifest.id, linkedDir])
        #expect(r1.status == 2, "\(r1.stderr)")
        #expect(r1.stderr.contains("symlink"), "\(r1.stderr)")
        #expect(Self.entries(outside) == ["victim"])
        #expect(Self.entries(linkedDir) == ["sub"], "nothing else was written: \(Self.entries(linkedDir))")

        // target/top -> outside/victim: a link where a file goes is not overwritten or followed.
        let linkedFile = dir.appendingPathComponent("t2").path
        try FileManager.default.createDirectory(atPath: linkedFile, withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: linkedFile + "/top", withDestinationPath: outside + "/victim")
        let r2 = try CLI.run(["pull", store, manifest.id, linkedFile, "--json"])
        #expect(r2.status == 2, "\(r2.stderr)")
        #expect(r2.stderr.contains("already exists"), "\(r2.stderr)")
        #expect(try String(contentsOfFile: outside + "/victim", encoding: .utf8) == "keep\n")
        #expect(Self.entries(outside) == ["victim"])

        // A dangling link to a place that does not exist yet is refused too (it would be created through the link).
        let dangling = dir.appendingPathComponent("t3").path
        try FileManager.default.createDirectory(atPath: dangling, withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: dangling + "/sub", withDestinationPath: outside + "/new-dir")
        let r3 = try CLI.run(["pull", store, manifest.id, dangling])
        #expect(r3.status == 2, "\(r3.stderr)")
        #expect(!FileManager.default.fileExists(atPath: outside + "/new-dir"))

        // DEST itself may be a link the user chose: pulling through it works.
        let real = dir.appendingPathComponent("real").path
        try FileManager.default.createDirectory(atPath: real, withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: dir.appendingPathComponent("alias").path, withDestinationPath: real)
        let r4 = try CLI.run(["pull", store, manifest.id, dir.appendingPathComponent("alias").path])
        #expect(r4.status == 0, "\(r4.stderr)")
        #expect(Self.entries(real) == ["sub", "sub/file", "top"])
    }

    @Test("snapshot ids, series names and store prefixes with control characters, / or .. are refused")
    func unsafeNames() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let (store, _) = try Self.store(in: dir)
        for id in ["../../etc", "abcd\u{1b}[2J", "abcd/../x", "abcd\n"] {
            let r = try CLI.run(["pull", store, id, dir.appendingPathComponent("out").path])
            #expect(r.status == 2, "\(id.debugDescription): \(r.stderr)")
            #expect(r.stderr.contains("not a snapshot id"), "\(r.stderr)")
            #expect(!r.stderr.contains("\u{1b}"), "\(r.stderr.debugDescription)")
        }
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("out").path))
        let job = CLI.root.appendingPathComponent("Fixtures/flink/2.3/hashmap/57baad28216c5452b1ff56c091c800c0").path
        for series in ["a/b", "..", "x\ny", "bell\u{7}", "."] {
            let r = try CLI.run(["backup", job, store, "--series", series])
            #expect(r.status != 0, "\(series.debugDescription): \(r.stdout)")
            #expect(r.stderr.contains("--series"), "\(r.stderr)")
        }
        #expect(try CLI.run(["snapshots", store, "--json"]).json as? [Any] != nil)
        #expect((try CLI.run(["snapshots", store, "--json"]).json as? [Any])?.count == 1, "no series snapshot was stored")
        // A file whose name a pull could not write safely is refused at push, before anything is stored.
        let weird = dir.appendingPathComponent("weird")
        try FileManager.default.createDirectory(at: weird, withIntermediateDirectories: true)
        try Data("x".utf8).write(to: weird.appendingPathComponent("line\nbreak"))
        let push = try CLI.run(["push", weird.path, store])
        #expect(push.status == 2, "\(push.stderr)")
        #expect(push.stderr.contains("\\u{a}"), "\(push.stderr)")
        #expect((try CLI.run(["snapshots", store, "--json"]).json as? [Any])?.count == 1)
        // S3 store prefixes: checked before any request is made (the endpoint is never contacted).
        let env = ["AWS_ACCESS_KEY_ID": "AKIDEXAMPLE", "AWS_SECRET_ACCESS_KEY": "secret-never-used", "AWS_REGION": "us-east-1"]
        for url in ["s3://bucket/a/../b", "s3://bucket/a//b", "s3://bucket/x\u{1b}y"] {
            for command in [["snapshots", url], ["prune", url, "--keep-last", "1"], ["pull", url, "latest", dir.appendingPathComponent("o").path]] {
                let r = try CLI.run(command + ["--endpoint", "http://127.0.0.1:9"], environment: env)
                #expect(r.status == 2, "\(command): \(r.stderr)")
                #expect(r.stderr.contains("unsafe store location"), "\(command): \(r.stderr)")
            }
        }
    }

    static let jobID = "ed57ef9367947a2619891a87077f6ec7"

    /// A copy of the 2.3 RocksDB incremental job (chk-3 and `shared/`) under `dir/ckpt/<job>` whose chk-3 `_metadata`
    /// points every absolute file at the copy, and the first one at `hostile(copyBase, jobDir)`.
    static func hostileCheckpoint(in dir: URL, _ hostile: (String, String) -> String) throws -> String {
        let jobID = Self.jobID
        let original = CLI.root.appendingPathComponent("Fixtures/flink/2.3/rocksdb-incremental/\(jobID)").path
        let base = dir.appendingPathComponent("ckpt").path
        let chk = base + "/\(jobID)/chk-3"
        try FileManager.default.createDirectory(atPath: base + "/\(jobID)", withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: original + "/chk-3", toPath: chk)
        try FileManager.default.copyItem(atPath: original + "/shared", toPath: base + "/\(jobID)/shared")
        let metadata = try FlinkMetadataParser.parse(Array(try Data(contentsOf: URL(fileURLWithPath: chk + "/_metadata"))))
        var first = true
        let changed = metadata.mappingPaths { kind, path in
            guard kind == .absoluteFile, let slash = path.range(of: "/\(jobID)/") else { return path }
            if first {
                first = false
                return "file:" + hostile(base, base + "/\(jobID)")
            }
            return "file:" + base + path[slash.lowerBound...]
        }
        #expect(!first, "the fixture has absolute file references")
        try Data(try FlinkMetadataWriter.write(changed)).write(to: URL(fileURLWithPath: chk + "/_metadata"))
        return chk
    }

    @Test("rewrite --relocate --copy-files and push refuse _metadata references to /etc/passwd, ../.. and symlinks out")
    func metadataOutsideTheSnapshot() throws {
        let hostile: [(String, (String, String) -> String)] = [
            ("absolute", { _, _ in "/etc/passwd" }),
            ("traversal", { _, job in job + "/chk-3/../../../../../../../../../../../etc/passwd" }),
            ("symlink", { _, job in job + "/chk-3/innocent" }),
        ]
        for (name, path) in hostile {
            let dir = try CLI.temporaryDirectory()
            defer { try? FileManager.default.removeItem(at: dir) }
            let chk = try Self.hostileCheckpoint(in: dir, path)
            if name == "symlink" { try FileManager.default.createSymbolicLink(atPath: chk + "/innocent", withDestinationPath: "/etc/passwd") }
            let base = dir.appendingPathComponent("ckpt").path
            let restore = dir.appendingPathComponent("restore").path
            let dest = restore + "/\(Self.jobID)/chk-3"
            let from = name == "absolute" ? "/" : base
            for json in [false, true] {
                let r = try CLI.run(["rewrite", chk, dest, "--relocate", restore, "--relocate-from", from, "--copy-files"] + (json ? ["--json"] : []))
                #expect(r.status != 0, "\(name): \(r.stdout)")
                #expect((r.stdout + r.stderr).contains("outside the snapshot's directory tree"), "\(name): \(r.stdout)\(r.stderr)")
            }
            #expect(Self.entries(restore).isEmpty, "\(name): \(Self.entries(restore))")
            let store = dir.appendingPathComponent("store").path
            let push = try CLI.run(["push", chk, store])
            #expect(push.status == 2, "\(name): \(push.stderr)")
            #expect(push.stderr.contains("outside the snapshot's directory tree"), "\(name): \(push.stderr)")
            #expect(!FileManager.default.fileExists(atPath: store + "/snapshots"), "\(name): nothing was stored")
            // Nothing written anywhere below the test directory holds /etc/passwd's first line.
            let passwd = try String(contentsOfFile: "/etc/passwd", encoding: .utf8).split(separator: "\n").first.map(String.init) ?? "root:"
            for e in Self.entries(dir.path) {
                let p = dir.path + "/" + e
                guard (try? FileManager.default.destinationOfSymbolicLink(atPath: p)) == nil,
                      let text = try? String(contentsOfFile: p, encoding: .isoLatin1) else { continue }
                #expect(!text.contains(passwd), "\(name): \(e) holds /etc/passwd")
            }
        }
    }
}
