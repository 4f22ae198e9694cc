import CairnCore
import CairnFlink
import CairnFormat
import CairnModel
@testable import CairnTools
import Foundation
import Testing

@Suite("checkpoint history")
struct CheckpointHistoryTests {
    static let job = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/flink/2.3/rocksdb-incremental/ed57ef9367947a2619891a87077f6ec7").path

    /// Writes `count` generated checkpoints into a new temporary directory.
    static func generate(leak: Bool, count: Int = 8) throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("cairn-history-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        var job = SyntheticJob(preset: .small, seed: 3, changeRate: 0.2)
        job.leak = leak
        for c in 1...count { _ = try job.write(checkpoint: c, to: try AtomicFileSink(path: dir + "/chk-\(c).cairn")) }
        return dir
    }

    static func thresholds() -> HistoryThresholds {
        var t = HistoryThresholds()
        t.growthMinBytes = 0
        t.growthMinRatio = 0.25
        return t
    }

    @Test("a state that keeps growing (keys never expire) gets the growth flag with its rate per hour")
    func leakFlagged() async throws {
        let dir = try Self.generate(leak: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let history = try await CheckpointHistory.read(try HistoryInput.local(dir), sources: [dir], deep: false, thresholds: Self.thresholds())
        #expect(history.points.map(\.id) == (1...8).map(String.init))
        let flag = try #require(history.flags.first { $0.kind == .growth && $0.state == "totals" })
        #expect(flag.operatorName == "Aggregate: per-user totals")
        let first = try #require(history.points.first), last = try #require(history.points.last)
        let size = { (p: HistoryPoint) in p.summary.operators.first { $0.info.uid == "user-totals" }?.states.first { $0.descriptor.name == "totals" }?.size }
        #expect(flag.from == "1" && flag.to == "8" && flag.checkpoints == 8)
        let (sizeBefore, sizeAfter) = (try #require(size(first)), try #require(size(last)))
        #expect(flag.before == Double(sizeBefore) && flag.after == Double(sizeAfter))
        let (t0, t1, rate) = (try #require(first.time), try #require(last.time), try #require(flag.ratePerHour))
        #expect(abs(rate - Double(sizeAfter - sizeBefore) / (Double(t1 - t0) / 3_600_000)) < 0.001)
    }

    @Test("a series whose keys expire as new ones arrive gets no growth flag at the same thresholds")
    func flatNotFlagged() async throws {
        let dir = try Self.generate(leak: false)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let history = try await CheckpointHistory.read(try HistoryInput.local(dir), sources: [dir], deep: false, thresholds: Self.thresholds())
        #expect(history.points.count == 8)
        #expect(!history.flags.contains { $0.kind == .growth }, "\(history.flags.map(\.message))")
    }

    @Test("a Flink job directory gives every retained chk-N, each sized as inspect sizes it, with split progress as diff computes it")
    func flinkJobDirectory() async throws {
        let inputs = try HistoryInput.local(Self.job)
        #expect(inputs.map(\.label) == ["chk-3", "chk-4", "chk-5"].map { Self.job + "/" + $0 })
        let history = try await CheckpointHistory.read(inputs, sources: [Self.job], deep: false, parallelism: 2)
        #expect(history.points.map(\.id) == ["3", "4", "5"])
        for p in history.points {
            let alone = try FlinkSnapshot(source: Self.job + "/chk-" + p.id).summary()
            #expect(p.summary.stateSize == alone.stateSize && p.summary.checkpointedSize == alone.checkpointedSize)
            let metadataSize = try #require(FilePaths.size(Self.job + "/chk-" + p.id + "/_metadata"))
            #expect(p.bytesRead == UInt64(metadataSize), "only _metadata is read")
        }
        let diff = try SnapshotDiff.compare(try FlinkSnapshot(source: Self.job + "/chk-3"), try FlinkSnapshot(source: Self.job + "/chk-4"), sourceA: "", sourceB: "")
        let advanced = diff.operators.flatMap(\.splits).compactMap(\.advanced).reduce(0, +)
        #expect(advanced > 0 && history.recordsAdvanced(at: 1) == advanced)
    }

    @Test("the job-directory listing goes through SnapshotFiles: complete chk-N only, in numeric order")
    func listingThroughFiles() {
        struct Files: SnapshotFiles {
            let tree: [String: [String]] = ["/job": ["chk-10", "chk-9", "chk-2", "shared", "taskowned", "chk-x"]]
            let sizes: [String: Int64] = ["/job/chk-10/_metadata": 5, "/job/chk-9/_metadata": 4]
            func open(_ path: String) throws(IOError) -> any RandomAccessSource { throw IOError(path: path, operation: "open", message: "test") }
            func size(_ path: String) -> Int64? { sizes[path] }
            func info(_ path: String) -> SnapshotFileInfo? { sizes[path].map { SnapshotFileInfo(size: $0, modifiedNs: 0) } }
            func fileNames(in directory: String) -> [String] { [] }
            func directoryNames(in directory: String) -> [String] { tree[directory] ?? [] }
        }
        let found = FlinkSnapshotLocation.completeCheckpoints(inJob: "/job", files: Files())
        #expect(found.map(\.name) == ["chk-9", "chk-10"], "chk-2 has no _metadata yet")
        #expect(found.map(\.metadataPath) == ["/job/chk-9/_metadata", "/job/chk-10/_metadata"])
    }

    // MARK: flags from made-up checkpoints

    /// A checkpoint of one source (splits) and one keyed operator with the given subtask sizes.
    static func point(_ id: Int, keyed: [Int64], inFlight: Int64 = 0, offsets: [Int64] = [], minutes: Int64? = nil) -> HistoryPoint {
        let sourceID = OperatorID(derivedFrom: "src"), keyedID = OperatorID(derivedFrom: "agg")
        let source = OperatorSummary(
            info: OperatorInfo(id: sourceID, uid: "src", name: "Source", parallelism: 1, maxParallelism: 128), coordinatorSize: 0,
            subtasks: [SubtaskSummary(index: 0, keyedSize: 0, operatorSize: 100, inputChannelSize: 0, outputSubpartitionSize: 0, keyGroups: nil,
                                      splits: offsets.enumerated().map { SourceSplit(splitId: "p\($0.offset)", position: .kafka(topic: "t", partition: $0.offset, nextOffset: $0.element)) })],
            states: [])
        let agg = OperatorSummary(
            info: OperatorInfo(id: keyedID, uid: "agg", name: "Aggregate", parallelism: keyed.count, maxParallelism: 128), coordinatorSize: 0,
            subtasks: keyed.enumerated().map { SubtaskSummary(index: $0.offset, keyedSize: $0.element, operatorSize: 0, inputChannelSize: $0.offset == 0 ? inFlight : 0,
                                                              outputSubpartitionSize: 0, keyGroups: nil, splits: []) },
            states: [])
        let meta = SnapshotMetadata(snapshotId: "\(id)", engineName: "test", createdAt: minutes.map { 1_700_000_000_000 + $0 * 60_000 } ?? 0)
        return HistoryPoint(source: "\(id)", summary: SnapshotSummary(metadata: meta, format: "test", operators: [source, agg]),
                            time: minutes.map { 1_700_000_000_000 + $0 * 60_000 }, statesMeasured: true, bytesRead: 0)
    }

    static func flags(_ points: [HistoryPoint], _ t: HistoryThresholds = HistoryThresholds()) -> [HistoryFlag] {
        CheckpointHistory.build(points, sources: [], deep: false, thresholds: t).flags
    }

    @Test("a jump over the factor and the floor is flagged; one under either is not")
    func jump() {
        let mib: Int64 = 1 << 20
        let f = Self.flags([Self.point(1, keyed: [50 * mib, 50 * mib]), Self.point(2, keyed: [150 * mib, 150 * mib])])
        let jump = f.filter { $0.kind == .jump }
        #expect(jump.count == 1 && jump.first?.operatorName == "Aggregate" && jump.first?.before == Double(100 * mib) && jump.first?.after == Double(300 * mib))
        #expect(Self.flags([Self.point(1, keyed: [50 * mib, 50 * mib]), Self.point(2, keyed: [90 * mib, 90 * mib])]).isEmpty, "1.8× is under the factor")
        #expect(Self.flags([Self.point(1, keyed: [1 * mib, 1 * mib]), Self.point(2, keyed: [10 * mib, 10 * mib])]).isEmpty, "18 MiB more is under the floor")
    }

    @Test("skew that rises over three checkpoints to 2× the median is flagged; steady skew is not")
    func skew() {
        let worse = [Self.point(1, keyed: [100, 100, 120]), Self.point(2, keyed: [100, 100, 180]), Self.point(3, keyed: [100, 100, 260])]
        let flag = Self.flags(worse).first { $0.kind == .skew }
        #expect(flag?.from == "1" && flag?.to == "3" && flag?.before == 1.2 && flag?.after == 2.6)
        let steady = [Self.point(1, keyed: [100, 100, 260]), Self.point(2, keyed: [100, 100, 260]), Self.point(3, keyed: [100, 100, 260])]
        #expect(!Self.flags(steady).contains { $0.kind == .skew })
    }

    @Test("in-flight far above its recent median is a spike")
    func inFlightSpike() {
        let mib: Int64 = 1 << 20
        var points = (1...5).map { Self.point($0, keyed: [10, 10], inFlight: 8 * mib) }
        points.append(Self.point(6, keyed: [10, 10], inFlight: 40 * mib))
        let spikes = Self.flags(points).filter { $0.kind == .inFlightSpike }
        #expect(spikes.count == 1 && spikes.first?.to == "6" && spikes.first?.before == Double(8 * mib) && spikes.first?.after == Double(40 * mib))
        points[5] = Self.point(6, keyed: [10, 10], inFlight: 20 * mib)
        #expect(!Self.flags(points).contains { $0.kind == .inFlightSpike }, "2.5× the median")
    }

    @Test("a split that stops while the others advance is stalled; one that goes back is flagged backward")
    func splits() {
        let points = [
            Self.point(1, keyed: [1, 1], offsets: [100, 500]), Self.point(2, keyed: [1, 1], offsets: [200, 500]),
            Self.point(3, keyed: [1, 1], offsets: [300, 500]), Self.point(4, keyed: [1, 1], offsets: [400, 500]),
            Self.point(5, keyed: [1, 1], offsets: [350, 600]),
        ]
        let f = Self.flags(points)
        let stalled = f.filter { $0.kind == .stalledSplit }
        #expect(stalled.count == 1 && stalled.first?.split == "p1" && stalled.first?.from == "1" && stalled.first?.to == "4")
        let back = f.filter { $0.kind == .backwardSplit }
        #expect(back.count == 1 && back.first?.split == "p0" && back.first?.to == "5")
        var t = HistoryThresholds()
        t.stallIntervals = 4
        #expect(!Self.flags(points, t).contains { $0.kind == .stalledSplit }, "three intervals are under four")
    }

    @Test("checkpoints are ordered by time, and file times that contradict the ids are dropped")
    func ordering() {
        let byTime = CheckpointHistory.build([Self.point(7, keyed: [1, 1], minutes: 20), Self.point(5, keyed: [1, 1], minutes: 10)], sources: [], deep: false)
        #expect(byTime.points.map(\.id) == ["5", "7"] && byTime.points.allSatisfy { $0.time != nil })
        let copied = CheckpointHistory.build([Self.point(7, keyed: [1, 1], minutes: 10), Self.point(5, keyed: [1, 1], minutes: 20)], sources: [], deep: false)
        #expect(copied.points.map(\.id) == ["5", "7"] && copied.points.allSatisfy { $0.time == nil })
    }
}
