import Environments
import NeuralNetworks

/// Runs deterministic evaluation episodes: the action is `tanh(μ_φ(s))`, rescaled to the environment.
public struct Evaluator {
    /// First seed of evaluation episodes; episode i resets with `seedBase + i`, as the peers' scripts do.
    public static let seedBase: UInt64 = 10_000

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
    public func run(episodes: Int, in environment: any VectorEnvironment) throws -> EvaluationResult {
        guard environment.observationSpace.count == actor.observationCount else {
            throw SACError.spaceMismatch("policy takes \(actor.observationCount) observation features, \(environment.id) gives \(environment.observationSpace.count)")
        }
        var result = EvaluationResult(returns: [], lengths: [])
        let copies = environment.count
        if copies == 1 {
            for episode in 0..<episodes {
                var observation = try environment.reset(seeds: [Self.seedBase + UInt64(episode)])[0]
                var total = 0.0, length = 0
                while true {
                    let step = try environment.step([action(for: observation)])[0]
                    total += step.transition.reward
                    length += 1
                    if step.transition.isLast { break }
                    observation = step.nextObservation
                }
                result.returns.append(total)
                result.lengths.append(length)
            }
            return result
        }
        let targets = (0..<copies).map { (episodes + $0) / copies }
        var finished = Array(repeating: 0, count: copies)
        var totals = Array(repeating: 0.0, count: copies), lengths = Array(repeating: 0, count: copies)
        var observations = try environment.reset(seeds: (0..<copies).map { Self.seedBase + UInt64($0) })
        while zip(finished, targets).contains(where: { $0 < $1 }) {
            let steps = try environment.step(observations.map(action(for:)))
            for (i, step) in steps.enumerated() {
                totals[i] += step.transition.reward
                lengths[i] += 1
                if step.transition.isLast {
                    if finished[i] < targets[i] {
                        result.returns.append(totals[i])
                        result.lengths.append(lengths[i])
                    }
                    finished[i] += 1
                    totals[i] = 0
                    lengths[i] = 0
                }
                observations[i] = step.nextObservation
            }
        }
        return result
    }
}
