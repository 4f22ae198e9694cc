import Foundation
import Testing

/// Replays the fuzzers' reproducers (Fuzz/reproducers/<target>/, inputs that once crashed a parser) and seeds
/// (Fuzz/corpus/<target>/) through the fuzz targets' own entry points: a crash here fails the whole test run,
/// which is the point. Issue 14; see docs/fuzzing.md.
@Suite("fuzz reproducers")
struct FuzzReproducerTests {
    static let fuzz = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Fuzz")

    /// Every target: the binary parsers' and the YAML parsers'.
    static let targets = FuzzEntryPoints.all.merging(FuzzYAMLEntryPoints.all) { first, _ in first }

    static func inputs(_ folder: String, _ target: String) -> [URL] {
        let dir = fuzz.appendingPathComponent(folder).appendingPathComponent(target)
        let names = (try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []
        return names.sorted().map { dir.appendingPathComponent($0) }
    }

    @Test("every target has an entry point, a seed corpus and a Fuzz/Package.swift executable")
    func targetsAreWired() throws {
        let package = try String(contentsOf: Self.fuzz.appendingPathComponent("Package.swift"), encoding: .utf8)
        for target in Self.targets.keys.sorted() {
            #expect(package.contains("fuzzTarget(\"\(target)\""), "\(target) is not built by Fuzz/Package.swift")
            #expect(!Self.inputs("corpus", target).isEmpty, "\(target) has no seeds in Fuzz/corpus/\(target)")
        }
        let reproducers = (try? FileManager.default.contentsOfDirectory(atPath: Self.fuzz.appendingPathComponent("reproducers").path)) ?? []
        for folder in reproducers where folder != "README.md" {
            #expect(Self.targets[folder] != nil, "Fuzz/reproducers/\(folder) names no fuzz target")
        }
    }

    @Test("reproducers and seeds return or throw, never crash", arguments: FuzzReproducerTests.targets.keys.sorted())
    func replay(target: String) throws {
        let entry = try #require(Self.targets[target])
        for url in Self.inputs("reproducers", target) + Self.inputs("corpus", target) {
            let bytes = Array(try Data(contentsOf: url))
            entry(bytes)
        }
    }
}
