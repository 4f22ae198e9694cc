// swift-tools-version: 6.1
// libFuzzer targets for every parser of untrusted bytes (issue 14). Not part of the main package: `swift build` and
// `make test` never see it. `make fuzz` builds it with `-sanitize=fuzzer,address` and runs each target.
import PackageDescription

/// One executable per target: `LLVMFuzzerTestOneInput` calling one entry point of `FuzzEntryPoints` (or, for the
/// YAML parsers, of `FuzzYAMLEntryPoints`).
func fuzzTarget(_ name: String, _ entryPoints: String = "FuzzEntryPoints") -> Target {
    .executableTarget(name: name, dependencies: [.target(name: entryPoints)], swiftSettings: [.unsafeFlags(["-parse-as-library"])])
}

let package = Package(
    name: "CairnFuzz",
    platforms: [.macOS(.v13)],
    // No traits: the default "S3" trait would pull in NIO, which no parser needs.
    dependencies: [.package(name: "Cairn", path: "..", traits: [])],
    targets: [
        // Tests/CairnToolsTests/FuzzEntryPoints.swift, linked here, so the fuzzers and the reproducer test share it.
        .target(
            name: "FuzzEntryPoints",
            dependencies: ["CairnCore", "CairnFlink", "CairnFormat", "CairnRocksDB", "CairnStore"].map { .product(name: $0, package: "Cairn") }),
        // Tests/CairnToolsTests/FuzzYAMLEntryPoints.swift: CairnTools and Yams, for the YAML target only.
        .target(name: "FuzzYAMLEntryPoints", dependencies: [.product(name: "CairnTools", package: "Cairn")]),
        fuzzTarget("FuzzFlinkMetadata"),
        fuzzTarget("FuzzNativeReader"),
        fuzzTarget("FuzzSSTReader"),
        fuzzTarget("FuzzRocksDBManifest"),
        fuzzTarget("FuzzSerializerSnapshot"),
        fuzzTarget("FuzzStoreObjects"),
        fuzzTarget("FuzzPlanYAML", "FuzzYAMLEntryPoints"),
    ],
    swiftLanguageModes: [.v6]
)
