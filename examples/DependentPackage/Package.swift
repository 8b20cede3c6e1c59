// swift-tools-version:6.0
// A package that depends on SwiftSAC as a user's would, by path here (by URL and version in yours):
//   .package(url: "https://…/SwiftSAC.git", from: "…")
import PackageDescription

let package = Package(
    name: "DependentPackage",
    dependencies: [
        .package(name: "SwiftSAC", path: "../..")
    ],
    targets: [
        .executableTarget(
            name: "DependentExample",
            dependencies: [
                .product(name: "SoftActorCritic", package: "SwiftSAC"),
                .product(name: "SACEnvironments", package: "SwiftSAC"),
                .product(name: "SACBridge", package: "SwiftSAC"),
            ]
        )
    ],
    swiftLanguageModes: [.v6]
)
