// swift-tools-version:6.0
import PackageDescription

// Every module is named SAC… (C modules CSAC…), so none clashes in a dependent's graph; the agent's own
// module is SoftActorCritic. Layers, bottom to top (an arrow never points up):
//   CSACOpenBLAS, CSACXSMM,       C libraries, module maps only
//   CSACZeroMQ
//   CSACVectorKernels             element-wise kernels in C for the CPU's widest vectors (AVX-512), bf16 rounding
//   SACRandomness                 seeded generators shared by everything above
//   SACNeuralNetworks             matrices, dense layers (float32 or bf16 products), MLPs, Adam, Polyak averaging, file format
//   SACEnvironments               the Environment protocol, vector environments, built-in environments
//   SACZeroMQ                     Swift sockets over libzmq
//   SACBridgeProtocol             the envbridge wire format: generated protobuf code and the codec
//   SACBridge                     RemoteEnvironment and the environment server (knows environments, not SAC)
//   SoftActorCritic               the agent, replay buffer and trainer (knows environments, not sockets)
//   SACPolicyExport               a trained policy as ONNX, a C header or a NumPy archive
//   SACLearningCurves             SVG learning curves from metrics.csv
//   SACCommand                    the `sac` command-line tool
//   SACDevelopmentTools           `sac-dev`: the benchmarks and the protocol fuzzer
let package = Package(
    name: "SwiftSAC",
    products: [
        .library(name: "SoftActorCritic", targets: ["SoftActorCritic"]),
        .library(name: "SACEnvironments", targets: ["SACEnvironments"]),
        .library(name: "SACBridge", targets: ["SACBridge", "SACBridgeProtocol", "SACZeroMQ"]),
        .library(name: "SACNeuralNetworks", targets: ["SACNeuralNetworks", "SACRandomness"]),
        .library(name: "SACPolicyExport", targets: ["SACPolicyExport"]),
        .library(name: "SACLearningCurves", targets: ["SACLearningCurves"]),
        .executable(name: "sac", targets: ["SACCommand"]),
        .executable(name: "sac-dev", targets: ["SACDevelopmentTools"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-protobuf", from: "1.39.0"),
        // Documentation only: `swift package generate-documentation --target SoftActorCritic` (scripts/docs).
        .package(url: "https://github.com/swiftlang/swift-docc-plugin", from: "1.5.0"),
    ],
    targets: [
        .systemLibrary(
            name: "CSACOpenBLAS",
            pkgConfig: "openblas",
            providers: [.apt(["libopenblas-dev"])]
        ),
        // libxsmm, for the bfloat16 products (MatrixPrecision.bfloat16).
        .systemLibrary(
            name: "CSACXSMM",
            providers: [.apt(["libxsmm-dev"])]
        ),
        .systemLibrary(
            name: "CSACZeroMQ",
            providers: [.apt(["libzmq3-dev"])]
        ),
        .target(name: "SACRandomness"),
        // Element-wise kernels in the CPU's widest vectors (Swift compiles for baseline x86-64 only).
        .target(name: "CSACVectorKernels"),
        .target(name: "SACNeuralNetworks", dependencies: ["CSACOpenBLAS", "CSACXSMM", "CSACVectorKernels", "SACRandomness"]),
        .target(name: "SACEnvironments", dependencies: ["SACRandomness"]),
        .target(name: "SACZeroMQ", dependencies: ["CSACZeroMQ"]),
        .target(name: "SACLearningCurves"),
        .target(
            name: "SACBridgeProtocol",
            dependencies: ["SACEnvironments", .product(name: "SwiftProtobuf", package: "swift-protobuf")]
        ),
        .target(name: "SACBridge", dependencies: ["SACBridgeProtocol", "SACEnvironments", "SACZeroMQ"]),
        .target(name: "SoftActorCritic", dependencies: ["SACNeuralNetworks", "SACEnvironments", "SACRandomness"]),
        .target(
            name: "SACPolicyExport",
            dependencies: [
                "SoftActorCritic", "SACNeuralNetworks",
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            ],
            exclude: ["onnx.proto"]
        ),
        .executableTarget(
            name: "SACCommand",
            dependencies: [
                "SoftActorCritic", "SACPolicyExport", "SACEnvironments", "SACNeuralNetworks", "SACBridge", "SACZeroMQ",
                "SACLearningCurves",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .executableTarget(
            name: "SACDevelopmentTools",
            dependencies: [
                "SoftActorCritic", "SACEnvironments", "SACNeuralNetworks", "SACBridge", "SACBridgeProtocol", "SACZeroMQ",
                "SACRandomness",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .executableTarget(
            name: "TrainPendulumExample", dependencies: ["SoftActorCritic", "SACEnvironments"], path: "examples/TrainPendulum"),
        .executableTarget(name: "LocalOrRemoteExample", dependencies: ["SACBridge", "SACEnvironments"], path: "examples/LocalOrRemote"),
        .testTarget(name: "SACRandomnessTests", dependencies: ["SACRandomness"], exclude: ["ReferenceData"]),
        .testTarget(
            name: "SACNeuralNetworksTests", dependencies: ["SACNeuralNetworks", "SACRandomness", "CSACVectorKernels", "SACTestSupport"]),
        .testTarget(name: "SACEnvironmentsTests", dependencies: ["SACEnvironments", "SACTestSupport"], exclude: ["ReferenceData"]),
        .testTarget(name: "SACZeroMQTests", dependencies: ["SACZeroMQ"]),
        // Test support shared by the test targets: scripted group members, server launchers, endpoints,
        // finite differences, small configurations (package access: not part of any product).
        .target(
            name: "SACTestSupport", dependencies: ["SACEnvironments", "SACBridge", "SACZeroMQ", "SoftActorCritic"],
            path: "Tests/SACTestSupport"),
        // Test support: counts heap allocations, to show that an update allocates nothing.
        .target(name: "SACAllocationCounter", path: "Tests/SACAllocationCounter"),
        .testTarget(
            name: "SoftActorCriticTests",
            dependencies: [
                "SoftActorCritic", "SACNeuralNetworks", "SACEnvironments", "SACRandomness", "SACAllocationCounter", "SACTestSupport",
            ]
        ),
        .testTarget(name: "SACCommandTests", dependencies: ["SACCommand", "SoftActorCritic", "SACBridge", "SACNeuralNetworks"]),
        .testTarget(name: "SACDevelopmentToolsTests", dependencies: ["SACDevelopmentTools"]),
        .testTarget(name: "SACBridgeProtocolTests", dependencies: ["SACBridgeProtocol", "SACRandomness"]),
        .testTarget(
            name: "SACPolicyExportTests",
            dependencies: ["SACPolicyExport", "SoftActorCritic", "SACNeuralNetworks", "SACRandomness", "SACTestSupport"],
            exclude: ["check_exported_policy.py"]
        ),
        .testTarget(name: "SACLearningCurvesTests", dependencies: ["SACLearningCurves"]),
        .testTarget(
            name: "SACBridgeTests",
            dependencies: [
                "SACBridge", "SACBridgeProtocol", "SACEnvironments", "SACZeroMQ", "SoftActorCritic", "SACTestSupport",
                "SACAllocationCounter",
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)
