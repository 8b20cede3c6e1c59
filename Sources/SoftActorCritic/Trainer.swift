import Environments
import Foundation
import Randomness

/// Drives an ``Environment`` around a ``SoftActorCritic`` agent: random warm-up, then at every step act,
/// store and run the scheduled gradient updates; periodic deterministic evaluation on a second
/// environment instance; metrics and a summary in a run directory.
///
/// Episode boundaries follow Gymnasium: a `terminated` transition is stored as terminal (no bootstrap), a
/// `truncated` one as non-terminal with its true final observation, and either way the environment is
/// reset. The same seeds and BLAS thread count give the same run bit for bit.
public final class Trainer {
    /// The agent being trained.
    public let agent: SoftActorCritic
    /// The replay buffer.
    public let buffer: ReplayBuffer
    /// Trainer settings.
    public let configuration: TrainerConfiguration
    /// Where `metrics.csv`, `summary.json` and `policy.sacp` go; `nil` writes nothing.
    public let runDirectory: String?
    /// Called about four times a second and at the end.
    public var onProgress: ((TrainingProgress) -> Void)?

    private var environment: any Environment
    private var evaluationEnvironment: any Environment
    private let scaling: ActionScaling
    private let batch: ReplayBatch
    private var warmupGenerator: Xoshiro256StarStar
    private var metricsLog: MetricsLog?

    /// Prepares a run; `evaluationEnvironment` must be a separate instance of the same environment.
    public init(agentConfiguration: SACConfiguration, configuration: TrainerConfiguration,
                environment: any Environment, evaluationEnvironment: any Environment, runDirectory: String?) throws {
        try configuration.validate()
        guard environment.observationSpace.shape.count == 1, environment.actionSpace.shape.count == 1 else {
            throw SACError.spaceMismatch("SAC needs flat (1-D) observation and action spaces; \(environment.id) has \(environment.observationSpace.shape) and \(environment.actionSpace.shape)")
        }
        scaling = try ActionScaling(environment.actionSpace)
        let o = environment.observationSpace.count, a = environment.actionSpace.count
        agent = try SoftActorCritic(observationCount: o, actionCount: a, configuration: agentConfiguration)
        buffer = try ReplayBuffer(capacity: configuration.replayCapacity, observationCount: o, actionCount: a)
        batch = ReplayBatch(size: agentConfiguration.batchSize, observationCount: o, actionCount: a)
        self.configuration = configuration
        self.environment = environment
        self.evaluationEnvironment = evaluationEnvironment
        self.runDirectory = runDirectory
        warmupGenerator = Xoshiro256StarStar(seed: configuration.seed &+ 0x5AC)
        if let runDirectory {
            do {
                try FileManager.default.createDirectory(atPath: runDirectory, withIntermediateDirectories: true)
            } catch {
                throw SACError.io(path: runDirectory, reason: "cannot create the run directory: \(error.localizedDescription)")
            }
            metricsLog = try MetricsLog(path: runDirectory + "/metrics.csv")
        }
    }

    /// Trains for `configuration.totalSteps` steps, then evaluates and writes the summary and policy.
    /// On an error the metrics so far and a summary with `status = "failed: …"` are still written.
    @discardableResult
    public func run() throws -> TrainingSummary {
        let clock = ContinuousClock()
        let start = clock.now
        var state = RunState()
        do {
            try train(&state, clock: clock, start: start)
            let evaluation = try evaluate(atStep: state.step, state: &state)
            state.finalEvaluation = evaluation
        } catch {
            let summary = makeSummary(state, seconds: (clock.now - start).seconds, status: "failed: \(error)")
            try? write(summary)
            throw error
        }
        let summary = makeSummary(state, seconds: (clock.now - start).seconds, status: "completed")
        try write(summary)
        report(state, start: start, clock: clock, isFinal: true)
        return summary
    }

    /// Mutable counters of one run.
    struct RunState {
        var step = 0
        var episodes = 0
        var updateCredit = 0.0
        var lastMetrics: UpdateMetrics?
        var lastEpisodeReturn: Double?
        var lastEvaluationReturn: Double?
        var finalEvaluation: EvaluationResult?
        var updatesAtLastRow = 0
        var lastRowTime: ContinuousClock.Instant?
        var lastReport: ContinuousClock.Instant?
    }

    private func train(_ state: inout RunState, clock: ContinuousClock, start: ContinuousClock.Instant) throws {
        var observation = try environment.reset(seed: configuration.seed)
        try checkFinite(observation, reward: 0, step: 0)
        var episodeReturn = 0.0, episodeLength = 0
        state.lastRowTime = start
        while state.step < configuration.totalSteps {
            let action = state.step < configuration.learningStarts
                ? (0..<agent.actionCount).map { _ in Float(warmupGenerator.nextUniform(in: -1, 1)) }
                : agent.act(observation, deterministic: false)
            guard action.allSatisfy(\.isFinite) else { throw SACError.diverged("the policy produced action \(action) at step \(state.step)") }
            let result = try environment.step(scaling.toEnvironment(action))
            state.step += 1
            try checkFinite(result.observation, reward: result.reward, step: state.step)
            buffer.add(observation: observation, action: action, reward: Float(result.reward),
                       nextObservation: result.observation, terminated: result.terminated)
            episodeReturn += result.reward
            episodeLength += 1
            if result.isLast {
                state.episodes += 1
                state.lastEpisodeReturn = episodeReturn
                appendRow(kind: "episode", state: &state, value: episodeReturn, length: Double(episodeLength), std: nil, clock: clock)
                episodeReturn = 0
                episodeLength = 0
                observation = try environment.reset(seed: nil)
                try checkFinite(observation, reward: 0, step: state.step)
            } else {
                observation = result.observation
            }
            if state.step > configuration.learningStarts {
                state.updateCredit += configuration.updatesPerStep
                while state.updateCredit >= 1 {
                    buffer.sample(into: batch, using: &agent.generator)
                    let metrics = agent.update(batch: batch)
                    guard metrics.criticLoss.isFinite, metrics.actorLoss.isFinite else {
                        throw SACError.diverged("losses became non-finite at update \(agent.updateCount) (critic \(metrics.criticLoss), actor \(metrics.actorLoss))")
                    }
                    state.lastMetrics = metrics
                    state.updateCredit -= 1
                }
            }
            if configuration.evaluationInterval > 0, state.step % configuration.evaluationInterval == 0, state.step < configuration.totalSteps {
                _ = try evaluate(atStep: state.step, state: &state)
            }
            if let last = state.lastReport, (clock.now - last) < .milliseconds(250) { continue }
            state.lastReport = clock.now
            report(state, start: start, clock: clock, isFinal: false)
        }
    }

    private func evaluate(atStep step: Int, state: inout RunState) throws -> EvaluationResult {
        let evaluator = Evaluator(actor: agent.actor, scaling: scaling)
        let result = try evaluator.run(episodes: configuration.evaluationEpisodes, in: &evaluationEnvironment)
        state.lastEvaluationReturn = result.mean
        appendRow(kind: "eval", state: &state, value: result.mean, length: result.meanLength, std: result.standardDeviation, clock: ContinuousClock())
        return result
    }

    private func appendRow(kind: String, state: inout RunState, value: Double, length: Double, std: Double?, clock: ContinuousClock) {
        let now = clock.now
        let seconds = state.lastRowTime.map { (now - $0).seconds } ?? 0
        let rate = seconds > 0 ? Double(agent.updateCount - state.updatesAtLastRow) / seconds : 0
        metricsLog?.append(kind: kind, step: state.step, episodeReturn: value, episodeLength: length, evaluationStd: std,
                           metrics: state.lastMetrics, updatesPerSecond: rate)
        state.updatesAtLastRow = agent.updateCount
        state.lastRowTime = now
    }

    private func report(_ state: RunState, start: ContinuousClock.Instant, clock: ContinuousClock, isFinal: Bool) {
        guard let onProgress else { return }
        let elapsed = max((clock.now - start).seconds, 1e-9)
        let rate = Double(state.step) / elapsed
        onProgress(TrainingProgress(
            step: state.step, totalSteps: configuration.totalSteps, stepsPerSecond: rate, gradientUpdates: agent.updateCount,
            lastEpisodeReturn: state.lastEpisodeReturn, lastEvaluationReturn: state.lastEvaluationReturn, alpha: Double(agent.alpha),
            secondsRemaining: rate > 0 ? Double(configuration.totalSteps - state.step) / rate : 0, isFinal: isFinal))
    }

    private func checkFinite(_ observation: [Float], reward: Double, step: Int) throws {
        if let index = observation.firstIndex(where: { !$0.isFinite }) {
            throw SACError.nonFiniteTransition(step: step, detail: "observation[\(index)] = \(observation[index])")
        }
        if !reward.isFinite { throw SACError.nonFiniteTransition(step: step, detail: "reward = \(reward)") }
    }

    private func makeSummary(_ state: RunState, seconds: Double, status: String) -> TrainingSummary {
        TrainingSummary(
            env: environment.id, variant: agent.configuration.variant.rawValue, seed: configuration.seed,
            envSteps: state.step, gradientUpdates: agent.updateCount, wallSeconds: seconds,
            updatesPerSecond: seconds > 0 ? Double(agent.updateCount) / seconds : 0,
            evalReturnMean: state.finalEvaluation?.mean, evalReturnStd: state.finalEvaluation?.standardDeviation,
            transitionsStored: buffer.totalAdded, episodes: state.episodes, finalAlpha: Double(agent.alpha), status: status)
    }

    /// The trained policy, with the action bounds of the environment.
    public var policy: SavedPolicy {
        SavedPolicy(environmentID: environment.id, variant: agent.configuration.variant.rawValue, actor: agent.actor, scaling: scaling)
    }

    private func write(_ summary: TrainingSummary) throws {
        guard let runDirectory else { return }
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let path = runDirectory + "/summary.json"
        do {
            try encoder.encode(summary).write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            throw SACError.io(path: path, reason: error.localizedDescription)
        }
        try policy.write(to: runDirectory + "/policy.sacp")
    }
}

extension Duration {
    /// The duration in seconds as a `Double`.
    var seconds: Double {
        let (s, attoseconds) = components
        return Double(s) + Double(attoseconds) * 1e-18
    }
}
