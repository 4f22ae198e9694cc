// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "Cairn",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "cairn", targets: ["cairn"]),
        .library(name: "CairnCore", targets: ["CairnCore"]),
        .library(name: "CairnFormat", targets: ["CairnFormat"]),
        .library(name: "CairnFlink", targets: ["CairnFlink"]),
        .library(name: "CairnStore", targets: ["CairnStore"]),
        .library(name: "CairnS3", targets: ["CairnS3"]),
        .library(name: "CairnTools", targets: ["CairnTools"]),
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
        .target(name: "CairnFormat", dependencies: ["CairnCore"]),
        .target(name: "CairnFlink", dependencies: ["CairnCore", "CairnFormat"]),
        .target(name: "CairnStore", dependencies: ["CairnCore", .product(name: "Crypto", package: "swift-crypto")]),
        // The only module that imports async-http-client, so format and codec work never waits on its build.
        .target(
            name: "CairnS3",
            dependencies: [
                "CairnStore", "CairnCore",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]),
        .target(
            name: "CairnTools",
            dependencies: ["CairnCore", "CairnFormat", "CairnFlink", "CairnStore", "CairnS3", .product(name: "Yams", package: "Yams")]),
        .executableTarget(
            name: "cairn",
            dependencies: [
                "CairnTools", "CairnFormat", "CairnFlink", "CairnCore", "CairnStore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),
        .executableTarget(
            name: "cairn-bench", dependencies: ["CairnStore", "CairnFlink", "CairnFormat", "CairnCore"], path: "Benchmarks/CairnBench"),
        .testTarget(name: "CairnCoreTests", dependencies: ["CairnCore"]),
        .testTarget(name: "CairnFormatTests", dependencies: ["CairnFormat", "CairnCore"]),
        .testTarget(name: "CairnFlinkTests", dependencies: ["CairnFlink", "CairnFormat", "CairnCore"]),
        .testTarget(name: "CairnStoreTests", dependencies: ["CairnStore"], exclude: ["aws-sig-v4-test-suite"]),
        // Real S3 servers and a fault-injecting proxy for tests (scripts/s3-test-server.py, scripts/fault-proxy.py).
        .target(name: "CairnTestSupport", dependencies: ["CairnS3", "CairnStore"], path: "Tests/CairnTestSupport"),
        .testTarget(name: "CairnS3Tests", dependencies: ["CairnS3", "CairnStore", "CairnCore", "CairnTestSupport"]),
        .testTarget(name: "CairnToolsTests", dependencies: ["CairnTools", "CairnFlink", "CairnFormat", "CairnCore"]),
        .testTarget(name: "CairnCLITests", dependencies: ["CairnFormat", "CairnCore", "CairnTestSupport", "CairnS3"]),
    ],
    swiftLanguageModes: [.v6]
)
