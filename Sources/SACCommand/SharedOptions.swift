import ArgumentParser
import Foundation
import SACBridge
import SACEnvironments
import SACNeuralNetworks
import SoftActorCritic
import SACZeroMQ

/// Options every command that builds an environment shares.
struct EnvironmentOptions: ParsableArguments {
    @Option(
        name: .customLong("env"), parsing: .singleValue,
        help: ArgumentHelp(
            "Environment: \(EnvironmentRegistry.entries.map { "\($0.id) (\($0.aliases.joined(separator: ", ")))" }.joined(separator: ", ")), or the ZeroMQ address of an envbridge server (tcp://127.0.0.1:5555, ipc:///tmp/sim.sock). Repeat it with addresses to train on several servers at once, each with its own --num-envs (see --collect; default: pendulum).",
            valueName: "env"))
    var envs: [String] = []

    @Option(
        help:
            "A file of envbridge server addresses, one per line (# comments), each optionally followed by the path of that server's CURVE public key; added to --env."
    )
    var envFile: String?

    @Option(name: .long, help: "Milliseconds to wait for a remote environment's reply.")
    var timeout: Int = 10_000

    @Option(name: .long, help: "The remote server's CURVE public key (its .pub file, or the key itself).")
    var curveServerKey: String?

    @Option(name: .long, help: "This client's CURVE secret key file (sac keygen); its public key must be on the server's allow-list.")
    var curveSecretKey: String?

    @Option(name: .long, help: "Seed of the run (networks, exploration, environment resets).")
    var seed: UInt64 = 0

    @Option(
        name: .long,
        help:
            "Threads for gradient updates: 1, or 2 to run the two critics side by side (default: 2 on a machine with 2 or more cores). Every product runs on one OpenBLAS thread either way, so a run is the same bit for bit whatever this is."
    )
    var threads: Int?

    /// One environment the run steps: a built-in name, or a server's address with its own CURVE key.
    struct Source {
        var env: String
        var curveServerKeyFile: String?
        /// Whether this is a server's address rather than a built-in environment.
        var isRemote: Bool { env.contains("://") }
    }

    /// The environments of `--env` and `--env-file`, in that order; `pendulum` when neither is given.
    func sources() throws -> [Source] {
        var sources = envs.map { Source(env: $0) }
        if let envFile {
            guard let text = try? String(contentsOfFile: envFile, encoding: .utf8) else {
                throw ValidationError("cannot read the env file \(envFile)")
            }
            let lines = text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
                .filter { !$0.isEmpty && !$0.hasPrefix("#") }
            guard !lines.isEmpty else { throw ValidationError("the env file \(envFile) names no server (one address per line)") }
            for line in lines {
                let fields = line.split(whereSeparator: \.isWhitespace).map(String.init)
                guard fields.count <= 2, fields[0].contains("://") else {
                    throw ValidationError("\(envFile): '\(line)' is not an address optionally followed by a CURVE key file")
                }
                sources.append(Source(env: fields[0], curveServerKeyFile: fields.count == 2 ? fields[1] : nil))
            }
        }
        return sources.isEmpty ? [Source(env: "pendulum")] : sources
    }

    /// `--env` as a user would repeat it to continue a run on `sources`.
    static func commandLine(_ sources: [Source]) -> String {
        sources.map { "--env \($0.env)" }.joined(separator: " ")
    }

    func validate() throws {
        let sources = try sources()
        if sources.count > 1 {
            for source in sources where !source.isRemote {
                throw ValidationError(
                    "'\(source.env)' is not a server address; several environments must all be envbridge servers (tcp://…, ipc://…)")
            }
            var seen: Set<String> = []
            for source in sources where !seen.insert(source.env).inserted {
                throw ValidationError("\(source.env) is given twice; give each server once")
            }
        } else if !sources[0].isRemote, EnvironmentRegistry.entry(named: sources[0].env) == nil {
            throw ValidationError(
                "unknown environment '\(sources[0].env)'; choose one of: \(EnvironmentRegistry.entries.map(\.id).joined(separator: ", ")), or a ZeroMQ address such as tcp://127.0.0.1:5555"
            )
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

    /// Returns `count` copies of `sources` (from ``sources()``) stepped together: built-in environments
    /// seeded `seed`, `seed + 1`, …, or a new batched session with the remote server, which must step
    /// `count` environments per request (`nil`: as many as the server offers). With several servers, one
    /// session with each, grouped with `groupOptions` (each server steps its own number of copies); a
    /// server that cannot be reached is left out with `warn` while at least
    /// `VectorEnvironmentGroup.Options.minimumMembers` are reached, and is an error naming it otherwise.
    func makeVectorEnvironment(
        _ sources: [Source], seed: UInt64, count: Int?, groupOptions: VectorEnvironmentGroup.Options = .init(),
        warn: (String) -> Void = { _ in }
    ) throws -> any VectorEnvironment {
        let first = sources[0]
        guard first.isRemote else {
            return try EnvironmentVector((0..<(count ?? 1)).map { try EnvironmentRegistry.make(first.env, seed: seed &+ UInt64($0)) })
        }
        guard sources.count > 1 else {
            let remote = try RemoteVectorEnvironment(address: first.env, numEnvs: count, options: try remoteOptions(first))
            return try VectorEnvironmentGroup([remote], options: groupOptions)
        }
        var members: [RemoteVectorEnvironment] = [], unreachable: [String] = []
        for source in sources {
            do {
                members.append(try RemoteVectorEnvironment(address: source.env, options: try remoteOptions(source)))
            } catch let error as RemoteEnvironmentError where error.isConnectionLoss {
                unreachable.append("\(error)")
            }
        }
        guard members.count >= groupOptions.minimumMembers, !members.isEmpty else {
            throw ValidationError(
                """
                \(unreachable.count) of \(sources.count) servers cannot be reached, leaving \(members.count), fewer than --min-servers \(groupOptions.minimumMembers):
                \(unreachable.joined(separator: "\n"))
                """)
        }
        for message in unreachable { warn("left out \(message); the run goes on with \(members.count) of \(sources.count) servers") }
        return try VectorEnvironmentGroup(members, options: groupOptions)
    }

    /// A session of its own with the first server `environment` steps (or one built-in environment), for
    /// evaluation episodes.
    func makeEvaluationEnvironment(_ sources: [Source], seed: UInt64, besides environment: any VectorEnvironment) throws
        -> any VectorEnvironment
    {
        guard sources[0].isRemote else { return try makeVectorEnvironment(sources, seed: seed, count: 1) }
        let address = (environment as? VectorEnvironmentGroup)?.members[0].address ?? sources[0].env
        let source = sources.first { $0.env == address } ?? sources[0]
        return try RemoteVectorEnvironment(address: source.env, options: try remoteOptions(source))
    }

    private func remoteOptions(_ source: Source) throws -> RemoteEnvironmentClient.Options {
        var options = RemoteEnvironmentClient.Options()
        options.timeoutMilliseconds = timeout
        if let key = source.curveServerKeyFile ?? curveServerKey { options.curveServerKey = try CurveKeyFiles.key(key) }
        if let curveSecretKey { options.curveKeyPair = try CurveKeyPair(secretKey: try CurveKeyFiles.key(curveSecretKey)) }
        return options
    }
}

/// `--variant twin-q|value-network`, by the variant's raw value.
extension SACVariant: ExpressibleByArgument {}
extension MatrixPrecision: ExpressibleByArgument {}
