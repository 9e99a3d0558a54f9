// swift-tools-version:6.0
import PackageDescription

// Layout (docs/architecture.md draws it; each module imports only the ones listed for it):
//   CICU, CZlib, COpenBLAS   plain-C shims over system ICU, zlib, OpenBLAS
//   CKernels      cpuid and the matrix-product engines (OpenBLAS, oneDNN)
//   NMTTensor     Float32 matrices, BLAS wrappers, SIMD math, seeded RNG       ← COpenBLAS, CKernels
//   NMTText       tokenizer, vocabulary, special ids, corpus reading, atomic files ← CICU, CZlib
//   NMTLayers     parameter arena, safetensors, the layers, recurrent cells and the one
//                 sequence loop                                                ← NMTTensor
//   NMTModel      the models: Seq2Seq (encoder, decoder), the fill model       ← NMTLayers, NMTText
//   NMTDecode     beam search over a step-scorer protocol                      ← nothing of ours
//   NMTMetrics    BLEU and chrF as sacreBLEU computes them                     ← nothing of ours
//   NMTStore      model directories: one versioned config, one loader keyed by task ← NMTModel
//   NMTInference  Translator, scorers, Filler, n-gram baselines, attention SVG ← NMTStore, NMTDecode, NMTMetrics
//   NMTTrain      batching, the training loop, Adam, checkpoints, run records ← NMTStore, NMTMetrics
//   CMPI          plain-C shim over Open MPI (mpi.h in its .c only; flags from COpenMPI's pkg-config)
//   NMTDistributed  data-parallel training: NMTTrain's Collective on MPI       ← NMTTrain, CMPI
//   NMTCLI        what the executables share: stderr, broken pipes, one error style
//   NMTServe      nmt-serve's APIs, dynamic batching, limits, page, config file (Hummingbird, Yams) ← NMTInference
// nmt-translate and nmt-fill never link NMTTrain.
// The numeric kernels are optimized even in debug builds, so that the debug-mode test suite
// (gradient checks, the toy-task training test) runs in seconds; release drops the checks.
let numericSettings: [SwiftSetting] = [
    .unsafeFlags(["-Ounchecked"], .when(configuration: .release)),
    .unsafeFlags(["-O"], .when(configuration: .debug)),
]

let package = Package(
    name: "swift-nmt",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "nmt-vocab", targets: ["nmt-vocab"]),
        .executable(name: "nmt-train", targets: ["nmt-train"]),
        .executable(name: "nmt-translate", targets: ["nmt-translate"]),
        .executable(name: "nmt-fill", targets: ["nmt-fill"]),
        .executable(name: "nmt-lm", targets: ["nmt-lm"]),
        .executable(name: "nmt-serve", targets: ["nmt-serve"]),
        .library(name: "NMTInference", targets: ["NMTInference"]),
        .library(name: "NMTTrain", targets: ["NMTTrain"]),
        .library(name: "NMTText", targets: ["NMTText"]),
        .library(name: "NMTTensor", targets: ["NMTTensor"]),
        .library(name: "NMTLayers", targets: ["NMTLayers"]),
        .library(name: "NMTModel", targets: ["NMTModel"]),
        .library(name: "NMTStore", targets: ["NMTStore"]),
        .library(name: "NMTMetrics", targets: ["NMTMetrics"]),
        .library(name: "NMTDecode", targets: ["NMTDecode"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/jpsim/Yams", from: "5.0.1"),
    ],
    targets: [
        .target(
            name: "CICU",
            linkerSettings: [.linkedLibrary("icuuc"), .linkedLibrary("icui18n")]
        ),
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        .systemLibrary(name: "COpenBLAS", pkgConfig: "openblas", providers: [.apt(["libopenblas-dev"])]),
        // Open MPI's flags (pkg-config ompi-c) for the plain-C shim CMPI, which alone includes mpi.h.
        .systemLibrary(name: "COpenMPI", pkgConfig: "ompi-c", providers: [.apt(["libopenmpi-dev"])]),
        .target(name: "CMPI", dependencies: ["COpenMPI"]),
        // The CPU's features (cpuid) and the two matrix-product engines, OpenBLAS and oneDNN
        // (Debian's libdnnl-dev, whose OpenMP team is libgomp's).
        .target(
            name: "CKernels",
            cSettings: [.unsafeFlags(["-O2"])],
            linkerSettings: [.linkedLibrary("dnnl"), .linkedLibrary("openblas"), .linkedLibrary("gomp")]
        ),
        .target(name: "NMTTensor", dependencies: ["COpenBLAS", "CKernels"], swiftSettings: numericSettings),
        .target(name: "NMTText", dependencies: ["CICU", "CZlib"]),
        .target(name: "NMTLayers", dependencies: ["NMTTensor"], swiftSettings: numericSettings),
        .target(name: "NMTModel", dependencies: ["NMTLayers", "NMTText"], swiftSettings: numericSettings),
        .target(name: "NMTMetrics"),
        .target(name: "NMTDecode"),
        .target(name: "NMTStore", dependencies: ["NMTModel"]),
        .target(name: "NMTInference", dependencies: ["NMTStore", "NMTDecode", "NMTMetrics"]),
        .target(name: "NMTTrain", dependencies: ["NMTStore", "NMTMetrics"]),
        .target(name: "NMTDistributed", dependencies: ["NMTTrain", "CMPI"]),
        .target(name: "NMTCLI", dependencies: ["NMTText", .product(name: "ArgumentParser", package: "swift-argument-parser"),
                                            .product(name: "Yams", package: "Yams"), .product(name: "Logging", package: "swift-log")]),
        .executableTarget(
            name: "nmt-train",
            dependencies: ["NMTTrain", "NMTDistributed", "NMTInference", "NMTCLI", .product(name: "ArgumentParser", package: "swift-argument-parser"),
                           .product(name: "Logging", package: "swift-log")]
        ),
        .executableTarget(
            name: "nmt-translate",
            dependencies: ["NMTInference", "NMTCLI", .product(name: "ArgumentParser", package: "swift-argument-parser")]
        ),
        .executableTarget(
            name: "nmt-fill",
            dependencies: ["NMTInference", "NMTCLI", .product(name: "ArgumentParser", package: "swift-argument-parser")]
        ),
        .executableTarget(
            name: "nmt-lm",
            dependencies: ["NMTInference", "NMTCLI", .product(name: "ArgumentParser", package: "swift-argument-parser")]
        ),
        .executableTarget(
            name: "nmt-vocab",
            dependencies: ["NMTText", "NMTCLI", .product(name: "ArgumentParser", package: "swift-argument-parser")]
        ),
        .target(name: "NMTServe", dependencies: [
            "NMTInference", "NMTCLI",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "CoreMetrics", package: "swift-metrics"),
            .product(name: "Yams", package: "Yams"),
        ]),
        .executableTarget(
            name: "nmt-serve",
            dependencies: ["NMTServe", "NMTCLI",
                           .product(name: "ArgumentParser", package: "swift-argument-parser"),
                           .product(name: "Hummingbird", package: "hummingbird"),
                           .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                           .product(name: "Logging", package: "swift-log"),
                           .product(name: "Metrics", package: "swift-metrics"),
                           .product(name: "Prometheus", package: "swift-prometheus")]
        ),
        .executableTarget(name: "nmt-bench", dependencies: ["NMTModel", "NMTTrain",
                                                        .product(name: "ArgumentParser", package: "swift-argument-parser")]),
        .target(name: "NMTTestSupport", dependencies: ["NMTLayers"], path: "Tests/NMTTestSupport"),
        .testTarget(name: "NMTTextTests", dependencies: ["NMTText", "NMTTestSupport"], exclude: ["Fixtures"]),
        .testTarget(name: "NMTTensorTests", dependencies: ["NMTTensor", "NMTTestSupport"]),
        .testTarget(name: "NMTLayersTests", dependencies: ["NMTLayers", "NMTTestSupport"]),
        .testTarget(name: "NMTModelTests", dependencies: ["NMTModel", "NMTTrain", "NMTTestSupport"]),
        .testTarget(name: "NMTStoreTests", dependencies: ["NMTStore", "NMTTestSupport"], exclude: ["Fixtures"]),
        .testTarget(name: "NMTInferenceTests", dependencies: ["NMTInference", "NMTTrain", "NMTTestSupport"]),
        .testTarget(name: "NMTTrainTests", dependencies: ["NMTTrain", "NMTInference", "NMTTestSupport"]),
        .testTarget(name: "NMTMetricsTests", dependencies: ["NMTMetrics"], resources: [.copy("Fixtures")]),
        .testTarget(name: "NMTDecodeTests", dependencies: ["NMTDecode"]),
        // End-to-end tests run the built executables on small fixtures.
        .testTarget(name: "CLITests", dependencies: ["nmt-vocab", "nmt-translate", "nmt-fill", "nmt-lm", "nmt-train", "nmt-serve", "NMTTestSupport"]),
        .testTarget(name: "ServeTests", dependencies: ["NMTServe", "NMTInference", "NMTCLI"]),
    ]
)
