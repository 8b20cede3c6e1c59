import ArgumentParser
import Environments
import NeuralNetworks

/// Options every command that builds an environment shares.
struct EnvironmentOptions: ParsableArguments {
    @Option(name: .long, help: "Environment: \(EnvironmentRegistry.entries.map { "\($0.id) (\($0.aliases.joined(separator: ", ")))" }.joined(separator: ", ")).")
    var env: String = "pendulum"

    @Option(name: .long, help: "Seed of the run (networks, exploration, environment resets).")
    var seed: UInt64 = 0

    @Option(name: .long, help: "OpenBLAS threads (default: OpenBLAS's choice, one per core).")
    var threads: Int?

    func validate() throws {
        guard EnvironmentRegistry.entry(named: env) != nil else {
            throw ValidationError("unknown environment '\(env)'; choose one of: \(EnvironmentRegistry.entries.map(\.id).joined(separator: ", "))")
        }
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1, got \(threads)") }
    }

    /// Applies the thread setting and returns a fresh environment instance seeded with `seed`.
    func makeEnvironment(seed: UInt64) throws -> any Environment {
        if let threads { BLAS.setThreadCount(threads) }
        return try EnvironmentRegistry.make(env, seed: seed)
    }
}

extension SACVariantArgument: ExpressibleByArgument {}
