// swift-tools-version:6.0
import PackageDescription

// Layout (see README.md and docs/):
//   CICU        plain-C shim over system ICU (the ICU headers are seen only by its .c file,
//               so they never clash with Foundation's own ICU)
//   CZlib       system zlib, for reading .gz corpora
//   COpenBLAS   system OpenBLAS (cblas)
//   NMTTensor   Float32 matrices, BLAS wrappers, SIMD math, seeded RNG (only importer of COpenBLAS)
//   NMTText     tokenizer, detokenizer, vocabulary, corpus reading (only importer of CICU, CZlib)
//   NMTModel    layers with forward/backward, parameter arena, Adam, the translation model
//   NMTTrain    batching, the training loop, checkpoints and resume (text meets tensors here)
//   NMTMetrics  BLEU and chrF as sacreBLEU computes them
//   NMTDecode   beam search over a step-scorer protocol; knows nothing of the model
// The numeric kernels are optimized even in debug builds, so that the debug-mode test suite
// (gradient checks, the toy-task training test) runs in seconds; release drops the checks.
let numericSettings: [SwiftSetting] = [
    .unsafeFlags(["-Ounchecked"], .when(configuration: .release)),
    .unsafeFlags(["-O"], .when(configuration: .debug)),
]

let package = Package(
    name: "swift-nmt",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "nmt-vocab", targets: ["nmt-vocab"]),
        .executable(name: "nmt-train", targets: ["nmt-train"]),
        .executable(name: "nmt-translate", targets: ["nmt-translate"]),
        .executable(name: "nmt-fill", targets: ["nmt-fill"]),
        .library(name: "NMTText", targets: ["NMTText"]),
        .library(name: "NMTTensor", targets: ["NMTTensor"]),
        .library(name: "NMTModel", targets: ["NMTModel"]),
        .library(name: "NMTMetrics", targets: ["NMTMetrics"]),
        .library(name: "NMTDecode", targets: ["NMTDecode"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    ],
    targets: [
        .target(
            name: "CICU",
            linkerSettings: [.linkedLibrary("icuuc"), .linkedLibrary("icui18n")]
        ),
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        .systemLibrary(name: "COpenBLAS", pkgConfig: "openblas", providers: [.apt(["libopenblas-dev"])]),
        .target(
            name: "NMTTensor",
            dependencies: ["COpenBLAS"],
            swiftSettings: numericSettings
        ),
        .target(name: "NMTText", dependencies: ["CICU", "CZlib"]),
        .target(
            name: "NMTModel",
            dependencies: ["NMTTensor"],
            swiftSettings: numericSettings
        ),
        .target(name: "NMTTrain", dependencies: ["NMTModel", "NMTText", "NMTMetrics", "NMTDecode"]),
        .target(name: "NMTMetrics"),
        .target(name: "NMTDecode"),
        .executableTarget(
            name: "nmt-train",
            dependencies: ["NMTTrain", .product(name: "ArgumentParser", package: "swift-argument-parser")]
        ),
        .executableTarget(
            name: "nmt-translate",
            dependencies: ["NMTTrain", .product(name: "ArgumentParser", package: "swift-argument-parser")]
        ),
        .executableTarget(
            name: "nmt-fill",
            dependencies: ["NMTTrain", .product(name: "ArgumentParser", package: "swift-argument-parser")]
        ),
        .executableTarget(
            name: "nmt-vocab",
            dependencies: ["NMTText", .product(name: "ArgumentParser", package: "swift-argument-parser")]
        ),
        .executableTarget(name: "nmt-bench", dependencies: ["NMTModel", "NMTTensor"]),
        .target(name: "NMTTestSupport", dependencies: ["NMTTensor"], path: "Tests/NMTTestSupport"),
        .testTarget(name: "NMTTextTests", dependencies: ["NMTText", "NMTTestSupport"]),
        .testTarget(name: "NMTTensorTests", dependencies: ["NMTTensor", "NMTTestSupport"]),
        .testTarget(name: "NMTModelTests", dependencies: ["NMTModel", "NMTTestSupport"]),
        .testTarget(name: "NMTTrainTests", dependencies: ["NMTTrain", "NMTTestSupport"]),
        .testTarget(name: "NMTMetricsTests", dependencies: ["NMTMetrics"], resources: [.copy("Fixtures")]),
        .testTarget(name: "NMTDecodeTests", dependencies: ["NMTDecode"]),
        // End-to-end tests run the built executables on small fixtures.
        .testTarget(name: "CLITests", dependencies: ["nmt-vocab", "nmt-translate", "nmt-fill", "nmt-train", "NMTTestSupport"]),
    ]
)
