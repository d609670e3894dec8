// swift-tools-version: 6.1
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
]

let package = Package(
    name: "floe",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "floe", targets: ["floe"]),
        // The lower modules, for the benchmark package in Benchmarks/.
        .library(name: "FloeKit", targets: ["Parquet", "Buffer", "Iceberg", "Collector", "FloeBench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "3.12.3"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.4.0"),
        // Hummingbird's own HTTP parts (NIOHTTPTypes), for the one channel handler Floe adds (HTTPProtocolHandler).
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.24.0"),
    ],
    targets: [
        // System libraries.
        .systemLibrary(name: "CSQLite", path: "Sources/CSQLite", pkgConfig: "sqlite3",
                       providers: [.apt(["libsqlite3-dev"])]),
        .systemLibrary(name: "CZstd", path: "Sources/CZstd", pkgConfig: "libzstd",
                       providers: [.apt(["libzstd-dev"])]),
        .systemLibrary(name: "CSnappy", path: "Sources/CSnappy",
                       providers: [.apt(["libsnappy-dev"])]),
        .systemLibrary(name: "CZlib", path: "Sources/CZlib", pkgConfig: "zlib",
                       providers: [.apt(["zlib1g-dev"])]),
        .systemLibrary(name: "CMalloc", path: "Sources/CMalloc"),
        .systemLibrary(name: "CLinux", path: "Sources/CLinux"),

        // Modules, in data-flow order.
        .target(name: "FloeSupport", swiftSettings: swiftSettings),
        .target(name: "SQLite", dependencies: ["CSQLite"], swiftSettings: swiftSettings),
        .target(name: "Parquet", dependencies: ["FloeSupport", "CZstd", "CSnappy", "CZlib"], swiftSettings: swiftSettings),
        .target(name: "Buffer", dependencies: [
            "SQLite", "CSQLite", "FloeSupport",
            .product(name: "Logging", package: "swift-log"),
        ], swiftSettings: swiftSettings),
        .target(name: "Iceberg", dependencies: [
            "SQLite", "FloeSupport", "CZlib",
            .target(name: "CLinux", condition: .when(platforms: [.linux])),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
        ], swiftSettings: swiftSettings),
        .target(name: "Collector", dependencies: [
            "Buffer", "Parquet", "Iceberg", "FloeSupport", "CZlib", "CZstd",
            .target(name: "CMalloc", condition: .when(platforms: [.linux])),
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "Metrics", package: "swift-metrics"),
            .product(name: "Prometheus", package: "swift-prometheus"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
            .product(name: "NIOHTTPTypesHTTP1", package: "swift-nio-extras"),
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
            .product(name: "Crypto", package: "swift-crypto"),
        ], swiftSettings: swiftSettings),
        // `floe bench`: the benchmarks, kept out of the product modules (they reach the modules'
        // internals through `package` declarations).
        .target(name: "FloeBench", dependencies: [
            "Collector", "Buffer", "Parquet", "Iceberg", "FloeSupport", "CZlib",
            .product(name: "Logging", package: "swift-log"),
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
        ], swiftSettings: swiftSettings),
        .executableTarget(name: "floe", dependencies: [
            "Collector", "FloeBench", "FloeSupport",
            .target(name: "CMalloc", condition: .when(platforms: [.linux])),
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Logging", package: "swift-log"),
        ], swiftSettings: swiftSettings),

        // Test drivers run by the pytest interop suite.
        .executableTarget(name: "rest-interop", dependencies: [
            "Iceberg",
            .product(name: "Logging", package: "swift-log"),
        ], path: "Tests/Interop/drivers/rest-interop", swiftSettings: swiftSettings),

        .executableTarget(name: "floe-s3-interop", dependencies: [
            "Iceberg",
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
            .product(name: "Logging", package: "swift-log"),
        ], path: "Tests/Interop/drivers/s3-interop", swiftSettings: swiftSettings),

        // Test doubles shared by the unit tests: an in-memory FileIO and a catalog that fails on cue.
        .target(name: "IcebergTestSupport", dependencies: ["Iceberg"], path: "Tests/Support/IcebergTestSupport",
                swiftSettings: swiftSettings),

        // Unit tests.
        .testTarget(name: "ParquetTests", dependencies: ["Parquet"], exclude: ["Fixtures"], swiftSettings: swiftSettings),
        .testTarget(name: "SQLiteTests", dependencies: ["SQLite"], swiftSettings: swiftSettings),
        .testTarget(name: "BufferTests", dependencies: ["Buffer", "SQLite"], swiftSettings: swiftSettings),
        .testTarget(name: "IcebergTests", dependencies: [
            "Iceberg", "IcebergTestSupport", "SQLite",
            .product(name: "Logging", package: "swift-log"),
        ], exclude: ["Fixtures"], swiftSettings: swiftSettings),
        .testTarget(name: "CollectorTests", dependencies: [
            "Collector", "Buffer", "Iceberg", "IcebergTestSupport", "SQLite", "CZlib", "CZstd",
            .product(name: "HummingbirdTesting", package: "hummingbird"),
            .product(name: "Prometheus", package: "swift-prometheus"),
            .product(name: "HTTPTypes", package: "swift-http-types"),
        ], swiftSettings: swiftSettings),
        .testTarget(name: "FloeBenchTests", dependencies: ["FloeBench"], swiftSettings: swiftSettings),
    ],
    swiftLanguageModes: [.v6]
)
