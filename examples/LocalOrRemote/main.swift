// Example 4: the same code against a local and a remote environment. The only line that differs is
// the one that makes the environment; here the remote one is the Swift server on an in-process
// ZeroMQ endpoint, but `tcp://host:port` of any envbridge server (e.g. python3 -m gym_bridge serve) is
// used the same way.
//
//   swift run LocalOrRemoteExample
import SACBridge
import SACEnvironments
import Foundation

/// Rolls out a fixed open-loop torque sequence and returns the rewards. It sees only `any Environment`.
func rollout(_ environment: inout any Environment) throws -> [Double] {
    var rewards: [Double] = []
    for t in 0..<200 {
        let result = try environment.step([Float(2 * sin(Double(t) / 10))])
        rewards.append(result.reward)
        if result.isLast { break }
    }
    return rewards
}

// Local: a Swift port of Gymnasium's Pendulum-v1 in this process, started at θ = 1 rad, at rest.
var pendulum = TimeLimit(Pendulum(), maxEpisodeSteps: 200)
_ = try pendulum.reset(toState: [1.0, 0.0])
var local: any Environment = pendulum
let localRewards = try rollout(&local)

// Remote: the same environment served over ZeroMQ by an `EnvironmentServer` on its own thread.
let server = try BackgroundEnvironmentServer(environment: "pendulum", endpoint: "inproc://pendulum-example")
let remoteEnvironment = try RemoteEnvironment(address: server.endpoint)
_ = try remoteEnvironment.reset(toState: [1.0, 0.0])
var remote: any Environment = remoteEnvironment
let remoteRewards = try rollout(&remote)

let largest = zip(localRewards, remoteRewards).map { abs($0 - $1) }.max() ?? .infinity
print("local return \(localRewards.reduce(0, +)), remote return \(remoteRewards.reduce(0, +)), largest reward difference \(largest)")
guard localRewards.count == remoteRewards.count, largest < 1e-5 else {
    print("local and remote environments disagree")
    exit(1)
}
print("local and remote environments agree step for step")
exit(0)
