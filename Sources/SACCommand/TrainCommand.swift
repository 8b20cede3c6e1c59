import ArgumentParser
import SACEnvironments
import Foundation
import SACLearningCurves
import Logging
import SACNeuralNetworks
import SoftActorCritic

extension TrainerConfiguration.NonFinitePolicy: ExpressibleByArgument {}
extension VectorEnvironmentGroup.Collection: ExpressibleByArgument {}

/// `sac train`: trains an agent and writes a run directory.
struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train an SAC agent; writes metrics.csv, summary.json and policy.sacp into the run directory.")

    @OptionGroup var environment: EnvironmentOptions

    @Option(
        help: ArgumentHelp(
            "SAC variant: twin-q (twin Q + automatic temperature), value-network (the 2018 paper's V_ψ), or crossq (batch-renormalised critics without targets: fewer samples per skill).",
            valueName: "twin-q|value-network|crossq"))
    var variant: SACVariant = .twinQ

    @Option(help: "Environment steps to train for (default 20000; with --resume, the new total, default the original one).")
    var steps: Int?

    @Option(help: "Run directory (default: runs/<env>-<variant>-seed<seed>).")
    var runDir: String?

    @Option(
        help:
            "Copies of the environment stepped together (a remote server must step as many per request: its --num-envs; default 1 in process, the server's number remotely). Steps and the update schedule count every copy's steps."
    )
    var numEnvs: Int?

    @Option(help: "Gradient updates per environment step; fractional (0.25) or above 1 (4).")
    var updatesPerStep: Double = 1

    @Option(help: "Episodes of the final deterministic evaluation (and of each periodic one).")
    var evalEpisodes: Int = 10

    @Option(help: "Environment steps between periodic evaluations; 0 evaluates only at the end.")
    var evalEvery: Int = 5_000

    @Option(help: "Uniformly random steps before learning starts.")
    var learningStarts: Int = 1_000

    @Option(help: "Transitions per gradient update.")
    var batchSize: Int = 256

    @Option(help: "Hidden layer widths of every network (the actor's, and the critics' unless --critic-hidden), comma-separated.")
    var hidden: String = "256,256"

    @Option(help: "Hidden layer widths of the Q networks, comma-separated (default: --hidden; crossq: 256,256).")
    var criticHidden: String?

    @Option(help: "Adam learning rate of every network and of log α (default 3e-4; crossq 1e-3).")
    var learningRate: Float?

    @Option(
        help: ArgumentHelp(
            "Number format of the updates' matrix products: float32 (bit-for-bit reproducible), or bf16 — the hidden layers' products with bfloat16 inputs and float32 accumulation, faster where the CPU has AVX512_BF16 (float32 elsewhere, with a log line).",
            valueName: "float32|bf16"))
    var precision: MatrixPrecision = .float32

    @Option(help: "Discount factor γ.")
    var gamma: Float = 0.99

    @Option(help: "Polyak coefficient τ of the target networks.")
    var tau: Float = 0.005

    @Option(help: "Fixed temperature α (default: automatic for twin-q, 0.2 for value-network).")
    var alpha: Float?

    @Option(help: "Replay buffer capacity in transitions.")
    var bufferSize: Int = 1_000_000

    @Option(help: "Environment steps between checkpoints in the run directory (0: only at the end and on Ctrl-C).")
    var checkpointEvery: Int = 0

    @Option(help: "Continue the run checkpointed in this run directory, with its configuration (give the same --env).")
    var resume: String?

    @Option(help: "On a NaN or infinite observation or reward: fail (stop with a checkpoint) or skip-episode.")
    var onNonfinite: TrainerConfiguration.NonFinitePolicy = .fail

    @Option(
        help:
            "Reconnection attempts, with back-off (0.25 s doubling up to 8 s), after a remote environment is lost; past them a server is dropped (see --min-servers)."
    )
    var reconnectAttempts: Int = 5

    @Option(
        help: ArgumentHelp(
            "With several servers: sync takes every server's results at every step (reproducible bit for bit from the seeds with deterministic simulators; a step waits for the slowest server); first-ready takes whichever servers have answered as soon as one has, and sends those their next actions at once (a slow or hung server never stalls the others; not reproducible bit for bit).",
            valueName: "sync|first-ready"))
    var collect: VectorEnvironmentGroup.Collection = .sync

    @Option(
        help:
            "With several servers: how many must remain. A server unreachable at the start is left out, and one lost for good during the run dropped, while at least this many remain; below that the run stops (with a checkpoint)."
    )
    var minServers: Int = 1

    @Flag(help: "Print only warnings and the final result.")
    var quiet = false

    /// Checks what only the command line can get wrong here; everything else is checked once, by the
    /// configurations' own `validate()`.
    func validate() throws {
        if resume != nil, runDir != nil { throw ValidationError("--resume continues in its own run directory; do not also give --run-dir") }
        guard hiddenSizes != nil else {
            throw ValidationError("--hidden must be comma-separated positive integers such as 256,256, got '\(hidden)'")
        }
        if let criticHidden, Self.widths(criticHidden) == nil {
            throw ValidationError("--critic-hidden must be comma-separated positive integers such as 512,512, got '\(criticHidden)'")
        }
        if let numEnvs, numEnvs < 1 { throw ValidationError("--num-envs must be at least 1, got \(numEnvs)") }
        let servers = try environment.sources().count
        if numEnvs != nil, servers > 1 {
            throw ValidationError("with several servers each steps its own number of copies (their --num-envs); leave out --num-envs")
        }
        guard (1...servers).contains(minServers) else {
            throw ValidationError("--min-servers must be between 1 and the number of servers (\(servers)), got \(minServers)")
        }
        let (agent, trainer) = configurations
        do {
            try agent.validate()
            try trainer.validate()
        } catch {
            throw ValidationError("\(error)")
        }
    }

    private var hiddenSizes: [Int]? { Self.widths(hidden) }

    /// Comma-separated positive widths, or `nil`.
    private static func widths(_ text: String) -> [Int]? { SACConfiguration.widths(parsing: text) }

    /// The agent's and the trainer's configurations as the options give them.
    private var configurations: (agent: SACConfiguration, trainer: TrainerConfiguration) {
        var agent = variant == .crossQ ? SACConfiguration.crossQ() : SACConfiguration()
        agent.variant = variant
        agent.hiddenSizes = hiddenSizes ?? agent.hiddenSizes
        agent.criticHiddenSizes = criticHidden.flatMap(Self.widths)
        agent.batchSize = batchSize
        agent.learningRate = learningRate ?? agent.learningRate
        agent.precision = precision
        agent.gamma = gamma
        agent.tau = tau
        agent.alpha = alpha
        agent.seed = environment.seed
        var trainer = TrainerConfiguration()
        trainer.totalSteps = steps ?? trainer.totalSteps
        trainer.learningStarts = learningStarts
        trainer.updatesPerStep = updatesPerStep
        trainer.replayCapacity = bufferSize
        trainer.evaluationInterval = evalEvery
        trainer.evaluationEpisodes = evalEpisodes
        trainer.seed = environment.seed
        trainer.checkpointInterval = checkpointEvery
        trainer.onNonFinite = onNonfinite
        return (agent, trainer)
    }

    func run() throws {
        let logger = Logs.logger("sac.train", quiet: quiet)
        let (agent, trainer) = configurations

        let sources = try environment.sources()
        var groupOptions = VectorEnvironmentGroup.Options()
        groupOptions.collection = collect
        groupOptions.minimumMembers = minServers
        groupOptions.reconnectAttempts = reconnectAttempts
        let env = try environment.makeVectorEnvironment(sources, seed: environment.seed, count: numEnvs, groupOptions: groupOptions) {
            logger.warning("\($0)")
        }
        // Evaluation episodes are seeded one by one (Evaluator.seedBase + i); remotely, a session of its own.
        let evaluationEnv = try environment.makeEvaluationEnvironment(sources, seed: environment.seed &+ 1, besides: env)
        let directory = resume ?? runDir ?? "runs/\(Self.pathComponent(env.id))-\(variant.rawValue)-seed\(environment.seed)"
        let run: Trainer
        if let resume {
            run = try Trainer.resume(runDirectory: resume, environment: env, evaluationEnvironment: evaluationEnv, totalSteps: steps)
            logger.info(
                "resuming \(run.agent.configuration.variant.rawValue) on \(env.id) at update \(run.agent.updateCount) toward \(run.configuration.totalSteps) steps; run directory \(directory)"
            )
        } else {
            run = try Trainer(
                agentConfiguration: agent, configuration: trainer, environment: env,
                evaluationEnvironment: evaluationEnv, runDirectory: directory)
            logger.info(
                "training \(variant.rawValue) on \(env.id)\(env.numEnvs > 1 ? " ×\(env.numEnvs)" : "") for \(trainer.totalSteps) steps, seed \(environment.seed); run directory \(directory)"
            )
        }
        environment.applyThreads(to: run.agent)
        switch BLAS.kernel.choice {
        case .openBLAS: break
        case .replacedFallback: logger.info("matrix products: OpenBLAS \(BLAS.kernel)")
        case .keptFallback: logger.warning("matrix products: OpenBLAS \(BLAS.kernel); they run several times slower than they could")
        }
        if run.agent.configuration.effectivePrecision != run.agent.precision {
            logger.warning(
                "bf16 products are not available here (\(MatrixPrecision.bfloat16Unavailability ?? "unknown reason")); the updates run in float32"
            )
        } else if run.agent.precision == .bfloat16 {
            logger.info("matrix products: bf16 inputs, float32 accumulation (libxsmm) for the hidden layers")
        }
        let display = ProgressLine(enabled: !quiet)
        run.onProgress = { display.show($0) }
        run.onWarning = { message in
            display.interrupt()
            logger.warning("\(message)")
        }
        StopSignal.install()
        run.shouldStop = { StopSignal.received }
        let summary: TrainingSummary
        do {
            summary = try run.run()
        } catch {
            display.finish()
            writeLearningCurve(directory: directory, title: "\(env.id) \(run.agent.configuration.variant.rawValue)", logger: logger)
            let resume = "sac train --resume \(directory) \(EnvironmentOptions.commandLine(sources))"
            switch error {
            case SACError.environmentUnreachable:
                throw CommandFailure("\(error)\ncontinue with: \(resume)")
            case SACError.serversLost:
                throw CommandFailure("\(error)\ncontinue with: \(resume) (or with a lower --min-servers)")
            default:
                throw error
            }
        }
        display.finish()
        writeLearningCurve(
            directory: directory, title: "\(env.id) \(run.agent.configuration.variant.rawValue) seed \(run.configuration.seed)",
            logger: logger)
        if summary.status == .interrupted {
            print(
                "interrupted at step \(summary.envSteps); checkpoint written. Continue with: sac train --resume \(directory) \(EnvironmentOptions.commandLine(sources))"
            )
            return
        }
        let mean = summary.evalReturnMean.map { String(format: "%.1f", $0) } ?? "n/a"
        let std = summary.evalReturnStd.map { String(format: "%.1f", $0) } ?? "n/a"
        print(
            """
            \(summary.env) \(summary.variant) seed \(summary.seed): eval return \(mean) ± \(std) over \(run.configuration.evaluationEpisodes) episodes \
            after \(summary.envSteps) steps, \(summary.gradientUpdates) updates in \(String(format: "%.1f", summary.wallSeconds)) s \
            (\(String(format: "%.1f", summary.updatesPerSecond)) updates/s)
            results: \(directory)/summary.json, metrics.csv, learning-curve.svg, policy.sacp, checkpoint.sacc\(summary.reconnects > 0 ? " (\(summary.reconnects) reconnects)" : "")
            """)
    }

    /// `id` (an environment id, possibly a server's) as one safe file-name component: letters, digits, `.`,
    /// `_` and `-` kept, anything else (`/`, spaces, control characters) a `-`, no leading dot, at most 64
    /// characters. `ALE/Pong-v5` becomes `ALE-Pong-v5`, `../../x` becomes `-.-..-x`.
    static func pathComponent(_ id: String) -> String {
        let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-")
        var component = String(id.prefix(64).map { allowed.contains($0) ? $0 : "-" })
        while component.hasPrefix(".") { component = "-" + component.dropFirst() }
        return component.isEmpty ? "env" : component
    }

    /// `learning-curve.svg` from the run's metrics; a failure here is reported, never fatal.
    private func writeLearningCurve(directory: String, title: String, logger: Logger) {
        do {
            let svg = try LearningCurveChart(title: title).render(run: RunMetrics(runDirectory: directory))
            try svg.write(toFile: directory + "/learning-curve.svg", atomically: true, encoding: .utf8)
        } catch {
            logger.warning("no learning curve: \(error)")
        }
    }
}
