import CairnCore
import CairnS3
import CairnStore
import CairnTestSupport
import Foundation
import Testing

/// Issue 14, item 4, against real SeaweedFS: a push that the fault proxy stalls between its packs and its index,
/// longer than prune's grace period, while its lock is taken for stale and a prune deletes its packs. It must not
/// lose data: it uploads again, or fails clearly with nothing committed (STORE.md §6).
@Suite(.s3Servers(.weed))
struct PausedPushS3Tests {
    @Test("a push stalled past the grace while a prune runs re-uploads what the prune deleted; both snapshots pull byte-identical")
    func stalledPushSurvivesPrune() async throws {
        let server = try S3TestServer.running(.weed)
        let prefix = "t-" + UUID().uuidString.lowercased().prefix(13)
        let location = S3Location(bucket: server.bucket, prefix: prefix + "/")
        // The first request that writes an index object is held 20 s: the push has uploaded its packs and is paused.
        let proxy = try await FaultProxy.start(upstream: server.endpoint, failEvery: 0, stallMatch: "PUT /\(server.bucket)/\(prefix)/index/", stallSeconds: 20)
        let direct = try S3ObjectStore(location: location, configuration: server.configuration())
        let throughProxy = try S3ObjectStore(location: location, configuration: server.configuration(endpoint: proxy.endpoint))
        let src = FileManager.default.temporaryDirectory.appendingPathComponent("cairn-paused-\(UUID().uuidString)").path
        let out = src + "-out"
        defer {
            for d in [src, out] { try? FileManager.default.removeItem(atPath: d) }
        }
        do {
            let store = try await SnapshotStore.open(direct, create: true, newConfig: StoreConfig(
                parameters: FastCDC.Parameters(minSize: 16 << 10, averageSize: 64 << 10, maxSize: 256 << 10), packTargetSize: 1 << 20, zstdLevel: 1))
            // The first snapshot goes straight to the server, so its index does not trip the stall.
            try write(bytes(count: 1_500_000, seed: 1), to: src + "/data.bin")
            let first = try await Pusher(store: store).push(try source(src))
            try write(bytes(count: 2_500_000, seed: 2), to: src + "/data.bin")
            let secondSource = try source(src)
            let pausedStore = try await SnapshotStore.open(throughProxy, create: false)
            let push = Task { try await Pusher(store: pausedStore).push(secondSource) }

            let stalled = await proxy.waitForStall()
            #expect(stalled?.contains("\"PUT /") == true)
            // What a prune does to a lock it judges stale (its holder cut off for 30 minutes): delete it. Then prune
            // with no grace: the paused push's packs are in no index yet, or in one no snapshot needs.
            for info in try await direct.list(prefix: "locks/") { try await direct.delete(info.key) }
            let pruned = try await Pruner(store: store, options: .init(grace: 0, lockWait: 120)).prune(policy: .init(keepLast: 1, keepWithin: nil))
            let packTimes = try await direct.list(prefix: "packs/").map(\.modified)
            let lockTimes = try await direct.list(prefix: "locks/").map(\.modified)
            #expect(pruned.packsDeleted > 0, "\(pruned.packsInGrace) in grace, \(pruned.bytesBefore) bytes; packs \(packTimes), locks \(lockTimes), now \(Date().timeIntervalSince1970)")

            let second = try await push.value
            #expect(second.created)
            let check = try await StoreChecker(store: store).check(readData: true)
            #expect(check.problems.isEmpty, "\(check.problems)")
            let listed = try await store.snapshots().map(\.id)
            #expect(listed.contains(second.snapshotID))
            _ = try await Puller(store: store).pull(try await store.resolve(second.snapshotID), to: out)
            #expect(try Data(contentsOf: URL(fileURLWithPath: out + "/data.bin")) == Data(bytes(count: 2_500_000, seed: 2)))
            if listed.contains(first.snapshotID) {
                try FileManager.default.removeItem(atPath: out)
                _ = try await Puller(store: store).pull(try await store.resolve(first.snapshotID), to: out)
                #expect(try Data(contentsOf: URL(fileURLWithPath: out + "/data.bin")) == Data(bytes(count: 1_500_000, seed: 1)))
            }
        } catch {
            await direct.close()
            await throughProxy.close()
            _ = try? await proxy.stop()
            throw error
        }
        await direct.close()
        await throughProxy.close()
        let report = try await proxy.stop()
        #expect(report.totalFaults == 0)
    }

    func bytes(count: Int, seed: UInt64) -> [UInt8] {
        var x = seed &* 0x9E37_79B9_7F4A_7C15 | 1
        return (0..<count).map { _ in
            x ^= x << 13; x ^= x >> 7; x ^= x << 17
            return UInt8(truncatingIfNeeded: x)
        }
    }

    func write(_ data: [UInt8], to path: String) throws {
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try Data(data).write(to: URL(fileURLWithPath: path))
    }

    /// A PushSource of the one file below `root`.
    func source(_ root: String) throws -> PushSource {
        let path = root + "/data.bin"
        let a = try FileManager.default.attributesOfItem(atPath: path)
        let size = (a[.size] as? NSNumber)?.uint64Value ?? 0
        let mtime = ((a[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0) * 1e9
        return PushSource(kind: "directory", source: root, root: root, attributes: ["group": "test"],
                          files: [PushSource.File(relativePath: "data.bin", absolutePath: path, size: size, mtimeNs: Int64(mtime), mode: 0o644)])
    }
}
