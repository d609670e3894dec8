// swift-tools-version: 6.1
// ordo-one/benchmark suites for Floe's hot paths (time and allocations), separate from the main
// package so that its build and CI stay lean. Run from this directory:
//   swift package benchmark            (all suites)
//   swift package benchmark --target HotPaths --filter "Parquet.*"
import PackageDescription

let package = Package(
    name: "floe-benchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(path: ".."),
        .package(url: "https://github.com/ordo-one/benchmark.git", from: "1.38.1", traits: ["MallocInterposer"]),
    ],
    targets: [
        .executableTarget(
            name: "HotPaths",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "FloeKit", package: "main"),
            ],
            path: "HotPaths",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]),
    ],
    swiftLanguageModes: [.v6]
)
