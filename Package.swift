// swift-tools-version:6.0
import PackageDescription

// Layers, bottom to top (an arrow never points up):
//   COpenBLAS, CZeroMQ            C libraries, module maps only
//   CVectorKernels                element-wise kernels in C for the CPU's widest vectors (AVX-512)
//   Randomness                    seeded generators shared by everything above
//   NeuralNetworks, Environments  the network core; the Environment protocol and its toy environments
//   ZeroMQ                        Swift sockets over libzmq
//   BridgeProtocol                the envbridge wire format: generated protobuf code and the codec
//   EnvironmentBridge             RemoteEnvironment and the environment server (knows environments, not SAC)
//   SoftActorCritic               the agent, replay buffer and trainer (knows environments, not sockets)
//   LearningCurves                SVG learning curves from metrics.csv
//   SACCommand                    the `sac` command-line tool
let package = Package(
    name: "SwiftSAC",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "sac", targets: ["SACCommand"]),
        .library(name: "SoftActorCritic", targets: ["SoftActorCritic"]),
        .library(name: "Environments", targets: ["Environments"]),
        .library(name: "NeuralNetworks", targets: ["NeuralNetworks"]),
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
            name: "COpenBLAS",
            pkgConfig: "openblas",
            providers: [.apt(["libopenblas-dev"])]
        ),
        .systemLibrary(
            name: "CZeroMQ",
            providers: [.apt(["libzmq3-dev"])]
        ),
        .target(name: "Randomness"),
        // Element-wise kernels in the CPU's widest vectors (Swift compiles for baseline x86-64 only).
        .target(name: "CVectorKernels"),
        .target(name: "NeuralNetworks", dependencies: ["COpenBLAS", "CVectorKernels", "Randomness"]),
        .target(name: "Environments", dependencies: ["Randomness"]),
        .target(name: "ZeroMQ", dependencies: ["CZeroMQ"]),
        .target(name: "LearningCurves"),
        .target(
            name: "BridgeProtocol",
            dependencies: ["Environments", .product(name: "SwiftProtobuf", package: "swift-protobuf")]
        ),
        .target(name: "EnvironmentBridge", dependencies: ["BridgeProtocol", "Environments", "ZeroMQ"]),
        .target(
            name: "SoftActorCritic",
            dependencies: [
                "NeuralNetworks", "Environments", "Randomness",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .executableTarget(
            name: "SACCommand",
            dependencies: [
                "SoftActorCritic", "Environments", "NeuralNetworks", "EnvironmentBridge", "ZeroMQ", "LearningCurves",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .executableTarget(name: "TrainPendulumExample", dependencies: ["SoftActorCritic", "Environments"], path: "examples/TrainPendulum"),
        .executableTarget(name: "LocalOrRemoteExample", dependencies: ["EnvironmentBridge", "Environments"], path: "examples/LocalOrRemote"),
        .testTarget(name: "RandomnessTests", dependencies: ["Randomness"]),
        .testTarget(name: "NeuralNetworksTests", dependencies: ["NeuralNetworks", "Randomness"]),
        .testTarget(name: "EnvironmentsTests", dependencies: ["Environments"], exclude: ["ReferenceData"]),
        .testTarget(name: "ZeroMQTests", dependencies: ["ZeroMQ"]),
        // Test support: counts heap allocations, to show that an update allocates nothing.
        .target(name: "AllocationCounter", path: "Tests/AllocationCounter"),
        .testTarget(name: "SoftActorCriticTests", dependencies: ["SoftActorCritic", "NeuralNetworks", "Environments", "Randomness", "AllocationCounter"]),
        .testTarget(name: "SACCommandTests", dependencies: ["SACCommand", "SoftActorCritic"]),
        .testTarget(name: "BridgeProtocolTests", dependencies: ["BridgeProtocol", "Randomness"]),
        .testTarget(name: "LearningCurvesTests", dependencies: ["LearningCurves"]),
        .testTarget(
            name: "EnvironmentBridgeTests",
            dependencies: ["EnvironmentBridge", "BridgeProtocol", "Environments", "ZeroMQ", "SoftActorCritic"]
        ),
    ],
    swiftLanguageModes: [.v6]
)
