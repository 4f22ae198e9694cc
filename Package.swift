// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "Cairn",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "cairn", targets: ["cairn"]),
        .library(name: "CairnCore", targets: ["CairnCore"]),
        .library(name: "CairnModel", targets: ["CairnModel"]),
        .library(name: "CairnFormat", targets: ["CairnFormat"]),
        .library(name: "CairnFlink", targets: ["CairnFlink"]),
        .library(name: "CairnRocksDB", targets: ["CairnRocksDB"]),
        .library(name: "CairnStore", targets: ["CairnStore"]),
        .library(name: "CairnS3", targets: ["CairnS3"]),
        .library(name: "CairnTools", targets: ["CairnTools"]),
        .library(name: "CairnSources", targets: ["CairnSources"]),
    ],
    // S3 (on by default) brings CairnS3 and its NIO stack into `cairn`. `make demo` builds without it
    // (--disable-default-traits), so a first look at Cairn does not wait minutes for NIO to compile.
    traits: [
        .trait(name: "S3", description: "S3 stores and sources through CairnS3 (async-http-client, swift-nio)."),
        .default(enabledTraits: ["S3"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
    ],
    targets: [
        .systemLibrary(
            name: "CLZ4", pkgConfig: "liblz4",
            providers: [.apt(["liblz4-dev"]), .brew(["lz4"])]),
        .systemLibrary(
            name: "CZstd", pkgConfig: "libzstd",
            providers: [.apt(["libzstd-dev"]), .brew(["zstd"])]),
        .target(name: "CCRC32C"),
        .target(name: "CairnCore", dependencies: ["CCRC32C", "CLZ4", "CZstd"]),
        // The engine-neutral snapshot model and `SnapshotView`; every engine adapter depends on it, none on another.
        .target(name: "CairnModel", dependencies: ["CairnCore"]),
        // Adapter for the native `.cairn` format.
        .target(name: "CairnFormat", dependencies: ["CairnCore", "CairnModel"]),
        // RocksDB's files as Flink leaves them: SST tables (block-based), MANIFEST replay, merged column-family views.
        .target(name: "CairnRocksDB", dependencies: ["CairnCore", "CLZ4", "CZstd"]),
        // Adapter for Apache Flink's checkpoints and savepoints.
        .target(name: "CairnFlink", dependencies: ["CairnCore", "CairnModel", "CairnRocksDB"]),
        .target(name: "CairnStore", dependencies: ["CairnCore", .product(name: "Crypto", package: "swift-crypto")]),
        // The only module that imports async-http-client, so format and codec work never waits on its build.
        .target(
            name: "CairnS3",
            dependencies: [
                "CairnStore", "CairnCore",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]),
        // Engine-neutral operations over a SnapshotView, one folder per job (reports, validation, rewrite, generator);
        // no S3, so it and its tests build without NIO.
        .target(
            name: "CairnTools",
            dependencies: ["CairnCore", "CairnModel", "CairnFormat", "CairnFlink", "CairnStore", .product(name: "Yams", package: "Yams")]),
        // Turns SOURCE and STORE arguments into views and stores; the one tools module that reaches S3.
        .target(
            name: "CairnSources",
            dependencies: [
                "CairnTools", "CairnCore", "CairnModel", "CairnFormat", "CairnFlink", "CairnStore",
                .target(name: "CairnS3", condition: .when(traits: ["S3"])),
            ]),
        .executableTarget(
            name: "cairn",
            dependencies: [
                "CairnSources", "CairnTools", "CairnModel", "CairnFormat", "CairnFlink", "CairnCore", "CairnStore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),
        .executableTarget(
            name: "cairn-bench", dependencies: ["CairnStore", "CairnFlink", "CairnRocksDB", "CairnFormat", "CairnModel", "CairnCore"], path: "Benchmarks/CairnBench"),
        .testTarget(name: "CairnCoreTests", dependencies: ["CairnCore"]),
        // How tests run programs; NIO-free so format and store tests need no S3 stack.
        .target(name: "CairnTestProcesses", path: "Tests/CairnTestProcesses"),
        .testTarget(name: "CairnFormatTests", dependencies: ["CairnFormat", "CairnModel", "CairnCore", "CairnTestProcesses"]),
        .testTarget(name: "CairnFlinkTests", dependencies: ["CairnFlink", "CairnFormat", "CairnModel", "CairnCore"]),
        .testTarget(name: "CairnRocksDBTests", dependencies: ["CairnRocksDB", "CairnFlink", "CairnModel", "CairnCore"]),
        .testTarget(name: "CairnStoreTests", dependencies: ["CairnStore", "CairnCore", "CairnTestProcesses"]),
        // Real S3 servers and a fault-injecting proxy for tests (scripts/s3-test-server.py, scripts/fault-proxy.py).
        .target(name: "CairnTestSupport", dependencies: ["CairnS3", "CairnStore", "CairnTestProcesses"], path: "Tests/CairnTestSupport"),
        .testTarget(
            name: "CairnS3Tests", dependencies: ["CairnS3", "CairnStore", "CairnCore", "CairnTestSupport"], exclude: ["aws-sig-v4-test-suite"]),
        .testTarget(name: "CairnToolsTests", dependencies: ["CairnTools", "CairnFlink", "CairnFormat", "CairnModel", "CairnStore", "CairnRocksDB", "CairnCore"]),
        .testTarget(
            name: "CairnSourcesTests",
            dependencies: ["CairnSources", "CairnCore", .target(name: "CairnS3", condition: .when(traits: ["S3"]))]),
        .testTarget(name: "CairnCLITests", dependencies: ["CairnFormat", "CairnModel", "CairnCore", "CairnFlink", "CairnStore", "CairnTestSupport", "CairnTestProcesses", "CairnS3"]),
    ],
    swiftLanguageModes: [.v6]
)
