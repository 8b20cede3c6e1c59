import Foundation
import SACEnvironments

/// Drives an `Environment` (or N copies of one, a `VectorEnvironment`) around a ``SACAgent``:
/// random warm-up, then at every step act, store and run the scheduled gradient updates; periodic
/// deterministic evaluation on a second environment instance; metrics, a summary, the policy and
/// checkpoints in a run directory.
///
/// With N copies every vector step stores N transitions, and steps, the update schedule
/// (`updatesPerStep` per transition), warm-up, evaluation and checkpoint intervals all count
/// environment steps, as Stable-Baselines3 counts `num_timesteps`.
///
/// Episode boundaries follow Gymnasium: a `terminated` transition is stored as terminal (no bootstrap), a
/// `truncated` one as non-terminal with its true final observation. The same seeds and BLAS thread count
/// give the same run bit for bit, also across a checkpoint and a `resume`.
///
/// One pass of the loop: every ready member of the environment's `VectorEnvironmentGroup` is sent its
/// actions, the updates owed run while remote members step, and what the group collected (every
/// member's results, or the first to answer: its `VectorEnvironmentGroup.Collection`) is stored. The
/// update schedule counts stored transitions. What the simulators report — failed copies, non-finite
/// values, lost, rejoined and dropped servers — is sorted out by the run's collector before it reaches
/// the loop. A run that cannot go on writes a checkpoint before it throws, so nothing collected is lost.
public final class Trainer {
    /// The agent being trained.
    public let agent: SACAgent
    /// The replay buffer.
    public let buffer: ReplayBuffer
    /// Trainer settings.
    public let configuration: TrainerConfiguration
    /// Where `metrics.csv`, `summary.json`, `policy.sacp` and checkpoints go; `nil` writes nothing.
    public var runDirectory: String? { directory?.path }
    /// Called about four times a second and at the end.
    public var onProgress: ((TrainingProgress) -> Void)?
    /// Called with recoveries and other events a user should know of.
    public var onWarning: ((String) -> Void)?
    /// Polled before every step; returning true stops the run with a checkpoint (e.g. on SIGINT).
    public var shouldStop: (() -> Bool)?

    /// The training environment's members and every copy's episode in flight.
    let collector: Collector
    /// The evaluation environment, as a group of its own with the training group's options.
    let evaluationGroup: VectorEnvironmentGroup
    let scaling: ActionScaling
    private let batch: ReplayBatch
    var state: TrainerState
    let directory: RunDirectory?
    let clock = ContinuousClock()
    var started: ContinuousClock.Instant
    /// Reported through ``onWarning`` when the run starts: the checkpoint fallback, if one was used.
    var resumeWarning: String?
    /// Steps already taken when this process's ``run()`` started (non-zero after a resume).
    var stepsAtStart = 0
    /// Seconds this process has spent in gradient updates (``TrainingProgress/updateSeconds``).
    var updateSeconds = 0.0

    init(
        agentConfiguration: SACConfiguration, configuration: TrainerConfiguration, environment: any VectorEnvironment,
        evaluationEnvironment: any VectorEnvironment, runDirectory: String?, appendingMetrics: Bool
    ) throws {
        try configuration.validate()
        // Boxes of any shape are flattened row-major (their bounds and values already are), as SB3's MlpPolicy
        // flattens them: an observation of shape [2, 2] is 4 features, a scalar action [] one.
        guard environment.observationSpace.count >= 1, environment.actionSpace.count >= 1 else {
            throw SACError.spaceMismatch(
                "SAC needs at least one observation feature and one action; \(environment.id) has spaces of shapes \(environment.observationSpace.shape) and \(environment.actionSpace.shape)"
            )
        }
        guard evaluationEnvironment.observationSpace == environment.observationSpace,
            evaluationEnvironment.actionSpace == environment.actionSpace
        else {
            throw SACError.spaceMismatch(
                "the evaluation environment \(evaluationEnvironment.id) has other spaces than the training environment \(environment.id)")
        }
        scaling = try ActionScaling(environment.actionSpace)
        let o = environment.observationSpace.count, a = environment.actionSpace.count
        agent = try SACAgent(observationCount: o, actionCount: a, configuration: agentConfiguration)
        buffer = try ReplayBuffer(capacity: configuration.replayCapacity, observationCount: o, actionCount: a)
        batch = ReplayBatch(size: agentConfiguration.batchSize, observationCount: o, actionCount: a)
        self.configuration = configuration
        let group = try environment as? VectorEnvironmentGroup ?? VectorEnvironmentGroup([environment])
        collector = Collector(group: group, scaling: scaling, seed: configuration.seed, onNonFinite: configuration.onNonFinite)
        evaluationGroup =
            try evaluationEnvironment as? VectorEnvironmentGroup ?? VectorEnvironmentGroup([evaluationEnvironment], options: group.options)
        state = TrainerState(seed: configuration.seed)
        started = clock.now
        directory = try runDirectory.map { try RunDirectory(path: $0, appendingMetrics: appendingMetrics) }
    }

    /// Trains until `configuration.totalSteps` steps, then evaluates and writes summary, policy and a
    /// checkpoint. Returns early, with status ``TrainingStatus/interrupted`` and a checkpoint, when ``shouldStop`` says so.
    @discardableResult
    public func run() throws -> TrainingSummary {
        if let resumeWarning { onWarning?(resumeWarning) }
        started = clock.now
        stepsAtStart = state.step
        directory?.startClock(updates: agent.updateCount)
        let status: TrainingStatus
        do {
            let finished: Bool
            do { finished = try train() } catch is StopRequested { finished = false }
            if finished { state.finalEvaluation = try evaluate() }
            status = finished ? .completed : .interrupted
        } catch {
            if case SACError.diverged = error {} else { try? writeCheckpoint() }
            try? finish(makeSummary(status: .failed(reason: "\(error)")))
            throw error
        }
        try writeCheckpoint()
        let summary = makeSummary(status: status)
        try finish(summary)
        report(isFinal: true)
        return summary
    }

    /// Writes `checkpoint.sacc` (keeping the previous one as `checkpoint.prev.sacc`). No-op without a run directory.
    public func writeCheckpoint() throws {
        guard let directory else { return }
        let snapshot = collector.snapshot()
        var episodes = collector.episodes
        episodes.needsReset = snapshot == nil
        try directory.writeCheckpoint(
            TrainingCheckpoint.encode(
                agent: agent, trainer: configuration, buffer: buffer, state: state, episodes: episodes,
                elapsedSeconds: elapsedSeconds, environmentSnapshot: snapshot))
    }

    // MARK: The loop

    /// Returns false when stopped by ``shouldStop``. One pass per collection: send every ready member its
    /// actions (or its reset), run the updates owed (while remote members step), collect, store; then
    /// evaluate, checkpoint and report when their intervals come round.
    private func train() throws -> Bool {
        if collector.prepareNewEpisodes(seeded: state.step == 0 && state.episodes == 0) {
            try collector.send(actions: chooseActions)
            while collector.isStartingEpisodes {
                let events = try collector.collect(after: state.step)
                try store(events)
                if events.isEmpty, collector.isStartingEpisodes, shouldStop?() == true { return false }
            }
        }
        let overlap = configuration.overlapUpdatesWithSteps && collector.group.stepsElsewhere
        var lastReport: ContinuousClock.Instant?
        while state.step < configuration.totalSteps {
            if shouldStop?() == true { return false }
            try collector.send(actions: chooseActions)
            if overlap { try runOwedUpdates() }
            let stepBefore = state.step
            try store(collector.collect(after: state.step))
            if !overlap { try runOwedUpdates() }
            if crossed(configuration.evaluationInterval, from: stepBefore), state.step < configuration.totalSteps { _ = try evaluate() }
            if crossed(configuration.checkpointInterval, from: stepBefore) { try writeCheckpoint() }
            if let lastReport, clock.now - lastReport < .milliseconds(250) { continue }
            lastReport = clock.now
            report(isFinal: false)
        }
        try runOwedUpdates()
        return true
    }

    /// One action per row of `observations`, in (−1, 1)ᴬ: uniformly random during warm-up, then sampled
    /// from the policy for all of them at once.
    private func chooseActions(for observations: FloatRows) throws -> FloatRows {
        let a = agent.actionCount
        let actions: FloatRows
        if state.step < configuration.learningStarts {
            var values: [Float] = []
            values.reserveCapacity(observations.count * a)
            for _ in 0..<(observations.count * a) { values.append(Float(state.warmupGenerator.nextUniform(in: -1, 1))) }
            actions = FloatRows(width: a, values: values)
        } else {
            actions = agent.act(observations)
        }
        if let index = actions.values.firstIndex(where: { !$0.isFinite }) {
            throw SACError.diverged("the policy produced action \(Array(actions[index / a])) at step \(state.step)")
        }
        return actions
    }

    /// Stores the collected transitions, crediting `updatesPerStep` gradient updates for each past the
    /// warm-up; logs finished episodes; reports what a user should know; throws what stops the run.
    private func store(_ events: [Collector.Event]) throws {
        for event in events {
            switch event {
            case let .transition(_, observation, action, reward, nextObservation, terminated):
                state.step += 1
                buffer.add(
                    observation: observation, action: action, reward: Float(reward), nextObservation: nextObservation,
                    terminated: terminated)
                if state.step > configuration.learningStarts { state.updateCredit += configuration.updatesPerStep }
            case let .episodeEnded(_, value, length):
                state.episodes += 1
                state.lastEpisodeReturn = value
                appendRow(kind: "episode", value: value, length: Double(length), std: nil)
            case .episodeAbandoned:
                state.skippedEpisodes += 1
                onWarning?(event.description)
            case .rejoined:
                state.reconnects += 1
                onWarning?(event.description)
            case .lost, .dropped:
                onWarning?(event.description)
            case let .stop(error):
                throw error
            }
        }
    }

    /// Whether the steps since `stepBefore` reached a multiple of `interval` (0: never).
    private func crossed(_ interval: Int, from stepBefore: Int) -> Bool {
        interval > 0 && state.step / interval > stepBefore / interval
    }

    /// Runs the gradient updates credited so far.
    private func runOwedUpdates() throws {
        guard state.updateCredit >= 1 else { return }
        let began = clock.now
        defer { updateSeconds += (clock.now - began).seconds }
        while state.updateCredit >= 1 {
            buffer.sample(into: batch, using: &agent.generator)
            let metrics = agent.update(batch: batch)
            guard metrics.criticLoss.isFinite, metrics.actorLoss.isFinite else {
                throw SACError.diverged(
                    "losses became non-finite at update \(agent.updateCount) (critic \(metrics.criticLoss), actor \(metrics.actorLoss))")
            }
            state.lastMetrics = metrics
            state.updateCredit -= 1
        }
    }
}

/// Thrown inside the loop when ``Trainer/shouldStop`` asks to stop while the trainer waits.
struct StopRequested: Error {}
