// Example 5: SwiftSAC used from another package, through its library products only.
//
//   cd examples/DependentPackage && swift run DependentExample [steps]
import Foundation
import SACBridge
import SACEnvironments
import SoftActorCritic

let steps = CommandLine.arguments.dropFirst().first.flatMap { Int($0) } ?? 2_000

// Train with the default configurations, in one call.
let summary = try Trainer(steps: steps, seed: 1) { try EnvironmentRegistry.make("Pendulum-v1") }.run()
print(
    "in process: \(summary.envSteps) steps, \(summary.gradientUpdates) updates, evaluation return \(summary.evalReturnMean ?? .nan), \(summary.status)"
)

// The same environment from a server, here on a thread of this process; any envbridge server's address
// (`tcp://host:port`) is used the same way.
let server = try BackgroundEnvironmentServer(environment: "Pendulum-v1", endpoint: "tcp://127.0.0.1:*")
let remote = try Trainer(steps: min(steps, 1_000), seed: 1) { try RemoteEnvironment(address: server.endpoint) }.run()
print("remote (\(server.endpoint)): \(remote.envSteps) steps, evaluation return \(remote.evalReturnMean ?? .nan), \(remote.status)")
guard summary.status == .completed, remote.status == .completed else {
    print("a run did not complete")
    exit(1)
}
