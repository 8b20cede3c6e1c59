import ArgumentParser
import Foundation
import SACBridge
import SACEnvironments
import SACNeuralNetworks
import SoftActorCritic
import SACZeroMQ

/// Options every command that builds an environment shares.
struct EnvironmentOptions: ParsableArguments {
    @Option(name: .long, help: "Environment: \(EnvironmentRegistry.entries.map { "\($0.id) (\($0.aliases.joined(separator: ", ")))" }.joined(separator: ", ")), or the ZeroMQ address of an envbridge server (tcp://127.0.0.1:5555, ipc:///tmp/sim.sock).")
    var env: String = "pendulum"

    @Option(name: .long, help: "Milliseconds to wait for a remote environment's reply.")
    var timeout: Int = 10_000

    @Option(name: .long, help: "The remote server's CURVE public key (its .pub file, or the key itself).")
    var curveServerKey: String?

    @Option(name: .long, help: "This client's CURVE secret key file (sac keygen); its public key must be on the server's allow-list.")
    var curveSecretKey: String?

    @Option(name: .long, help: "Seed of the run (networks, exploration, environment resets).")
    var seed: UInt64 = 0

    @Option(name: .long, help: "Threads for gradient updates: 1, or 2 to run the two critics side by side (default: 2 on a machine with 2 or more cores). Every product runs on one OpenBLAS thread either way, so a run is the same bit for bit whatever this is.")
    var threads: Int?

    /// Whether `--env` names a remote server rather than a built-in environment.
    var isRemote: Bool { env.contains("://") }

    func validate() throws {
        guard isRemote || EnvironmentRegistry.entry(named: env) != nil else {
            throw ValidationError("unknown environment '\(env)'; choose one of: \(EnvironmentRegistry.entries.map(\.id).joined(separator: ", ")), or a ZeroMQ address such as tcp://127.0.0.1:5555")
        }
        guard timeout >= 1 else { throw ValidationError("--timeout must be at least 1 ms, got \(timeout)") }
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1, got \(threads)") }
    }

    /// The agent's update threads from `--threads` (see its help), with OpenBLAS set to one thread: two
    /// single-threaded products side by side beat OpenBLAS's threading of one at SAC's sizes (`sac-dev bench
    /// updates`), and collapse far less when another process wants the cores.
    func applyThreads(to agent: SACAgent) {
        BLAS.setThreadCount(1)
        agent.updateThreads = min(2, threads ?? ProcessInfo.processInfo.activeProcessorCount)
    }

    /// Returns `count` copies stepped together: built-in environments
    /// seeded `seed`, `seed + 1`, …, or a new batched session with the remote server at `--env`, which must
    /// step `count` environments per request (`nil`: as many as the server offers).
    func makeVectorEnvironment(seed: UInt64, count: Int?) throws -> any VectorEnvironment {
        guard isRemote else {
            return try EnvironmentVector((0..<(count ?? 1)).map { try EnvironmentRegistry.make(env, seed: seed &+ UInt64($0)) })
        }
        return try RemoteVectorEnvironment(address: env, numEnvs: count, options: try remoteOptions())
    }

    private func remoteOptions() throws -> RemoteEnvironmentClient.Options {
        var options = RemoteEnvironmentClient.Options()
        options.timeoutMilliseconds = timeout
        if let curveServerKey { options.curveServerKey = try CurveKeyFiles.key(curveServerKey) }
        if let curveSecretKey { options.curveKeyPair = try CurveKeyPair(secretKey: try CurveKeyFiles.key(curveSecretKey)) }
        return options
    }
}

/// `--variant twin-q|value-network`, by the variant's raw value.
extension SACVariant: ExpressibleByArgument {}
