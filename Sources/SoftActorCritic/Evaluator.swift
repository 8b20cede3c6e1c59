import SACEnvironments
import SACNeuralNetworks

/// Runs deterministic evaluation episodes: the action is `tanh(μ_φ(s))`, rescaled to the environment.
public struct Evaluator {
    /// First seed of evaluation episodes; episode i resets with `seedBase + i`, as the peers' scripts do.
    public static let seedBase: UInt64 = 10_000
    /// Simulator failures one evaluation tolerates (each discards its episode) before it gives up.
    public static let maximumFailures = 3

    private let actor: SquashedGaussianActor
    private let scaling: ActionScaling
    private let workspace: MultilayerPerceptron.Workspace

    /// An evaluator for `actor` acting in an environment with the given action scaling.
    public init(actor: SquashedGaussianActor, scaling: ActionScaling) {
        self.actor = actor
        self.scaling = scaling
        // Batch size 1 is always valid.
        self.workspace = try! actor.network.makeWorkspace(batchSize: 1)
    }

    /// The deterministic environment action for one observation.
    public func action(for observation: [Float]) -> [Float] {
        _ = observation.withUnsafeBufferPointer { workspace.inputBuffer.update(fromContentsOf: $0) }
        return scaling.toEnvironment(actor.deterministicAction(workspace))
    }

    /// Plays `episodes` full episodes in `environment` and returns their returns and lengths; episode i
    /// resets with seed `seedBase + i`.
    public func run(episodes: Int, in environment: inout any Environment) throws -> EvaluationResult {
        let vector = EnvironmentVector(environment)
        defer { environment = vector.copies[0] }
        return try run(episodes: episodes, in: vector)
    }

    /// Plays `episodes` full episodes on the copies of `environment`. One copy: episode i resets with seed
    /// `seedBase + i`. N copies: copy i starts
    /// with seed `seedBase + i` and plays `(episodes + i) / N` episodes back to back, as Stable-Baselines3's
    /// `evaluate_policy` shares episodes among vectorised environments; results are in order of completion.
    ///
    /// An episode in which the simulator fails (`VectorStep.failures`) is discarded: one copy
    /// replays it from its seed, N copies play on. More than ``maximumFailures`` failures in one
    /// evaluation throw ``SACError/evaluationFailed(failures:lastFailure:)``.
    public func run(episodes: Int, in environment: any VectorEnvironment) throws -> EvaluationResult {
        guard environment.observationSpace.count == actor.observationCount else {
            throw SACError.spaceMismatch(
                "policy takes \(actor.observationCount) observation features, \(environment.id) gives \(environment.observationSpace.count)"
            )
        }
        var result = EvaluationResult(returns: [], lengths: [])
        var failures = 0
        func noteFailure(_ failure: any Error) throws {
            failures += 1
            if failures > Self.maximumFailures { throw SACError.evaluationFailed(failures: failures, lastFailure: "\(failure)") }
        }
        let copies = environment.numEnvs
        let width = environment.actionSpace.count
        if copies == 1 {
            var episode = 0
            episodes: while episode < episodes {
                var observation = try environment.reset(seeds: [Self.seedBase + UInt64(episode)]).values
                var total = 0.0, length = 0
                while true {
                    let step = try environment.step(FloatRows(width: width, values: action(for: observation)))
                    if let failure = step.failures[0] {
                        try noteFailure(failure)
                        continue episodes
                    }
                    total += step.rewards[0]
                    length += 1
                    if step.isLast(0) { break }
                    observation = step.observations.values
                }
                result.returns.append(total)
                result.lengths.append(length)
                episode += 1
            }
            return result
        }
        let targets = (0..<copies).map { (episodes + $0) / copies }
        var finished = Array(repeating: 0, count: copies)
        var totals = Array(repeating: 0.0, count: copies), lengths = Array(repeating: 0, count: copies)
        var observations = try environment.reset(seeds: (0..<copies).map { Self.seedBase + UInt64($0) })
        while zip(finished, targets).contains(where: { $0 < $1 }) {
            let actions = (0..<copies).flatMap { action(for: Array(observations[$0])) }
            let step = try environment.step(FloatRows(width: width, values: actions))
            for i in 0..<copies {
                if let failure = step.failures[i] {
                    try noteFailure(failure)
                    totals[i] = 0
                    lengths[i] = 0
                    continue
                }
                totals[i] += step.rewards[i]
                lengths[i] += 1
                if step.isLast(i) {
                    if finished[i] < targets[i] {
                        result.returns.append(totals[i])
                        result.lengths.append(lengths[i])
                    }
                    finished[i] += 1
                    totals[i] = 0
                    lengths[i] = 0
                }
            }
            observations = step.observations
        }
        return result
    }
}
