import SACEnvironments
import Foundation
import SACNeuralNetworks
import SACRandomness

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
/// The environment is driven as a `VectorEnvironmentGroup` (one is made around any other environment):
/// each step sends every ready member its actions, runs the updates owed while remote members step, and
/// takes the results the group's `VectorEnvironmentGroup.Collection` says (every member's, or the
/// first to answer). The update schedule counts stored transitions.
///
/// A remote member that is lost (a crash, a hang, a restart) is reconnected with back-off on its own
/// thread while the others go on stepping; its copies' episodes end as truncated at their last stored
/// transition and nothing is fabricated. A member that stays lost is dropped; below the group's
/// `VectorEnvironmentGroup.Options.minimumMembers` the run stops. A run that cannot go on writes a
/// checkpoint before it throws, so nothing collected is lost.
public final class Trainer {
    /// The agent being trained.
    public let agent: SACAgent
    /// The replay buffer.
    public let buffer: ReplayBuffer
    /// Trainer settings.
    public let configuration: TrainerConfiguration
    /// Where `metrics.csv`, `summary.json`, `policy.sacp` and checkpoints go; `nil` writes nothing.
    public let runDirectory: String?
    /// Called about four times a second and at the end.
    public var onProgress: ((TrainingProgress) -> Void)?
    /// Called with recoveries and other events a user should know of.
    public var onWarning: ((String) -> Void)?
    /// Polled before every step; returning true stops the run with a checkpoint (e.g. on SIGINT).
    public var shouldStop: (() -> Bool)?

    /// The training environment, as a group of one or more members.
    private let group: VectorEnvironmentGroup
    private let evaluationEnvironment: any VectorEnvironment
    private let scaling: ActionScaling
    private let batch: ReplayBatch
    private var state: TrainerState
    private var metricsLog: MetricsLog?
    private let clock = ContinuousClock()
    private var started: ContinuousClock.Instant

    /// Prepares a run with the default configurations (``SACConfiguration`` and ``TrainerConfiguration``:
    /// the twin-q variant with automatic temperature, SB3's and CleanRL's hyperparameters) on the
    /// environment `makeEnvironment` returns; it is called twice, for the training and the evaluation
    /// instance. `seed` seeds the agent and the environment, as `sac train --seed` does.
    ///
    /// ```swift
    /// let summary = try Trainer(steps: 20_000) { try EnvironmentRegistry.make("Pendulum-v1") }.run()
    /// ```
    public convenience init(steps: Int = TrainerConfiguration().totalSteps, seed: UInt64 = 0, runDirectory: String? = nil,
                            environment makeEnvironment: () throws -> any Environment) throws {
        var agentConfiguration = SACConfiguration()
        agentConfiguration.seed = seed
        var configuration = TrainerConfiguration()
        configuration.totalSteps = steps
        configuration.seed = seed
        try self.init(agentConfiguration: agentConfiguration, configuration: configuration, environment: try makeEnvironment(),
                      evaluationEnvironment: try makeEnvironment(), runDirectory: runDirectory)
    }

    /// Prepares a new run; `evaluationEnvironment` must be a separate instance of the same environment.
    public convenience init(agentConfiguration: SACConfiguration, configuration: TrainerConfiguration,
                            environment: any Environment, evaluationEnvironment: any Environment, runDirectory: String?) throws {
        try self.init(agentConfiguration: agentConfiguration, configuration: configuration, environment: EnvironmentVector(environment),
                      evaluationEnvironment: EnvironmentVector(evaluationEnvironment), runDirectory: runDirectory, appendMetrics: false)
    }

    /// Prepares a new run on N copies stepped together (`EnvironmentVector` of local copies, or a batched
    /// remote session); `evaluationEnvironment` is a separate instance with any number of copies.
    public convenience init(agentConfiguration: SACConfiguration, configuration: TrainerConfiguration,
                            environment: any VectorEnvironment, evaluationEnvironment: any VectorEnvironment, runDirectory: String?) throws {
        try self.init(agentConfiguration: agentConfiguration, configuration: configuration, environment: environment,
                      evaluationEnvironment: evaluationEnvironment, runDirectory: runDirectory, appendMetrics: false)
    }

    private init(agentConfiguration: SACConfiguration, configuration: TrainerConfiguration, environment: any VectorEnvironment,
                 evaluationEnvironment: any VectorEnvironment, runDirectory: String?, appendMetrics: Bool) throws {
        try configuration.validate()
        // Boxes of any shape are flattened row-major (their bounds and values already are), as SB3's MlpPolicy
        // flattens them: an observation of shape [2, 2] is 4 features, a scalar action [] one.
        guard environment.observationSpace.count >= 1, environment.actionSpace.count >= 1 else {
            throw SACError.spaceMismatch("SAC needs at least one observation feature and one action; \(environment.id) has spaces of shapes \(environment.observationSpace.shape) and \(environment.actionSpace.shape)")
        }
        guard evaluationEnvironment.observationSpace == environment.observationSpace, evaluationEnvironment.actionSpace == environment.actionSpace else {
            throw SACError.spaceMismatch("the evaluation environment \(evaluationEnvironment.id) has other spaces than the training environment \(environment.id)")
        }
        scaling = try ActionScaling(environment.actionSpace)
        let o = environment.observationSpace.count, a = environment.actionSpace.count
        agent = try SACAgent(observationCount: o, actionCount: a, configuration: agentConfiguration)
        buffer = try ReplayBuffer(capacity: configuration.replayCapacity, observationCount: o, actionCount: a)
        batch = ReplayBatch(size: agentConfiguration.batchSize, observationCount: o, actionCount: a)
        self.configuration = configuration
        if let given = environment as? VectorEnvironmentGroup {
            group = given
        } else {
            var options = VectorEnvironmentGroup.Options()
            options.reconnectAttempts = configuration.reconnectAttempts
            group = try VectorEnvironmentGroup([environment], options: options)
        }
        memberNeedsReset = Array(repeating: false, count: group.members.count)
        memberActions = Array(repeating: [], count: group.members.count)
        storedPerMember = Array(repeating: 0, count: group.members.count)
        copiesToReset = Array(repeating: [], count: group.members.count)
        self.evaluationEnvironment = evaluationEnvironment
        self.runDirectory = runDirectory
        state = TrainerState(seed: configuration.seed)
        started = clock.now
        if let runDirectory {
            do {
                try FileManager.default.createDirectory(atPath: runDirectory, withIntermediateDirectories: true)
            } catch {
                throw SACError.io(path: runDirectory, reason: "cannot create the run directory: \(error.localizedDescription)")
            }
            metricsLog = try MetricsLog(path: runDirectory + "/metrics.csv", append: appendMetrics)
        }
    }

    /// Continues the run checkpointed in `runDirectory`, with its configuration, until `totalSteps`
    /// (default: the original total). Environments that support snapshots continue mid-episode; others
    /// (remote ones) start a new episode.
    public static func resume(runDirectory: String, environment: any Environment, evaluationEnvironment: any Environment,
                              totalSteps: Int? = nil) throws -> Trainer {
        try resume(runDirectory: runDirectory, environment: EnvironmentVector(environment),
                   evaluationEnvironment: EnvironmentVector(evaluationEnvironment), totalSteps: totalSteps)
    }

    /// Continues a run on N copies as the single-environment `resume` does; the environment must have as
    /// many copies as the checkpointed run had.
    public static func resume(runDirectory: String, environment: any VectorEnvironment, evaluationEnvironment: any VectorEnvironment,
                              totalSteps: Int? = nil) throws -> Trainer {
        let (contents, path, warning) = try TrainingCheckpoint.load(directory: runDirectory)
        guard contents.observationCount == environment.observationSpace.count, contents.actionCount == environment.actionSpace.count else {
            throw SACError.invalidCheckpoint(path: path, reason: "it was written for \(contents.observationCount) observation features and \(contents.actionCount) actions; \(environment.id) has \(environment.observationSpace.count) and \(environment.actionSpace.count)")
        }
        var configuration = contents.trainerConfiguration
        if let totalSteps { configuration.totalSteps = totalSteps }
        let trainer = try Trainer(agentConfiguration: contents.agentConfiguration, configuration: configuration, environment: environment,
                                  evaluationEnvironment: evaluationEnvironment, runDirectory: runDirectory, appendMetrics: true)
        do {
            let hasSnapshot = try TrainingCheckpoint.restore(contents, agent: trainer.agent, buffer: trainer.buffer, state: &trainer.state,
                                                             environment: trainer.group)
            if !hasSnapshot { trainer.state.needsReset = true }
        } catch let error as BinaryFormatError {
            throw SACError.invalidCheckpoint(path: path, reason: error.description)
        } catch TrainingCheckpoint.Mismatch.copies(let stored) {
            throw SACError.invalidCheckpoint(path: path, reason: "the run stepped \(stored) copies of the environment at once; \(environment.id) here has \(environment.numEnvs) (give the same --num-envs)")
        }
        trainer.resumeWarning = warning
        return trainer
    }

    /// Reported through ``onWarning`` when the run starts: the checkpoint fallback, if one was used.
    private var resumeWarning: String?
    /// Steps already taken when this process's ``run()`` started (non-zero after a resume).
    private var stepsAtStart = 0
    /// Seconds this process has spent in gradient updates (``TrainingProgress/updateSeconds``).
    private var updateSeconds = 0.0
    /// Per member of the group: its copies need a reset before their next step; the actions of its step
    /// in flight; transitions stored from it by this process.
    private var memberNeedsReset: [Bool], memberActions: [[[Float]]], storedPerMember: [Int]
    /// Per member: copies (among its own) to restart alone before its next step, where it can.
    private var copiesToReset: [[Int]]
    /// Members dropped after their reconnection attempts ran out.
    private var droppedServers: [SACError.LostServer] = []

    /// Trains until `configuration.totalSteps` steps, then evaluates and writes summary, policy and a
    /// checkpoint. Returns early, with status ``TrainingStatus/interrupted`` and a checkpoint, when ``shouldStop`` says so.
    @discardableResult
    public func run() throws -> TrainingSummary {
        if let resumeWarning { onWarning?(resumeWarning) }
        started = clock.now
        stepsAtStart = state.step
        state.lastRowTime = started
        do {
            let finished: Bool
            do { finished = try train() } catch is StopRequested { finished = false }
            if !finished {
                try writeCheckpoint()
                let summary = makeSummary(status: .interrupted)
                try write(summary)
                report(isFinal: true)
                return summary
            }
            state.finalEvaluation = try evaluate()
        } catch {
            if case SACError.diverged = error {} else { try? writeCheckpoint() }
            try? write(makeSummary(status: .failed(reason: "\(error)")))
            throw error
        }
        try writeCheckpoint()
        let summary = makeSummary(status: .completed)
        try write(summary)
        report(isFinal: true)
        return summary
    }

    /// Writes `checkpoint.sacc` (keeping the previous one as `checkpoint.prev.sacc`). No-op without a run directory.
    public func writeCheckpoint() throws {
        guard let runDirectory else { return }
        let snapshot = state.needsReset || memberNeedsReset.contains(true) ? nil : group.snapshot()
        var saved = state
        saved.needsReset = snapshot == nil
        let bytes = TrainingCheckpoint.encode(agent: agent, trainer: configuration, buffer: buffer, state: saved,
                                              elapsedSeconds: elapsedSeconds, environmentSnapshot: snapshot)
        try AtomicFile.write(bytes, to: runDirectory + "/" + TrainingCheckpoint.fileName,
                             keepPrevious: runDirectory + "/" + TrainingCheckpoint.previousFileName)
    }

    // MARK: The loop

    /// Returns false when stopped by ``shouldStop``. One pass per collection: send every ready member its
    /// actions (or its reset), run the updates owed (while remote members step), collect, store; then
    /// evaluate, checkpoint and report when their intervals come round.
    private func train() throws -> Bool {
        if state.needsReset {
            memberNeedsReset = Array(repeating: true, count: group.members.count)
            state.observations = Array(repeating: [], count: group.numEnvs)
            state.episodeReturns = Array(repeating: 0, count: group.numEnvs)
            state.episodeLengths = Array(repeating: 0, count: group.numEnvs)
            state.needsReset = false
            // Synchronous collection starts every copy's episode before the first step, as one environment would.
            if group.options.collection == .sync {
                try beginRequests()
                while memberNeedsReset.indices.contains(where: { memberNeedsReset[$0] && group.state(ofMember: $0) != .dropped }) {
                    let events = try group.collect(timeout: .milliseconds(250))
                    if events.isEmpty, shouldStop?() == true { return false }
                    for event in events { try handle(event) }
                }
            }
        }
        let overlap = configuration.overlapUpdatesWithSteps && group.stepsConcurrently
        while state.step < configuration.totalSteps {
            if shouldStop?() == true { return false }
            try beginRequests()
            if overlap { try runOwedUpdates() }
            let stepBefore = state.step
            for event in try group.collect(timeout: .milliseconds(250)) { try handle(event) }
            if !overlap { try runOwedUpdates() }
            try evaluateAndCheckpoint(after: stepBefore)
            if let last = state.lastReport, (clock.now - last) < .milliseconds(250) { continue }
            state.lastReport = clock.now
            report(isFinal: false)
        }
        try runOwedUpdates()
        return true
    }

    /// Sends every ready member its next request: a reset when its copies need one (seeded `seed + i` for
    /// copy i at the start of a run, as Stable-Baselines3 seeds its vectorised environments; continuing
    /// their random streams later), otherwise one action per copy, chosen for all stepping members at once.
    private func beginRequests() throws {
        var stepping: [Int] = []
        for k in group.members.indices where group.state(ofMember: k) == .ready {
            let copies = group.ranges[k]
            if memberNeedsReset[k] {
                let isFirst = state.step == 0 && state.episodes == 0
                try group.beginReset(member: k, seeds: isFirst ? copies.map { configuration.seed &+ UInt64($0) } : [])
            } else if !copiesToReset[k].isEmpty {
                try group.beginReset(member: k, copies: copiesToReset[k], seeds: [])
            } else {
                stepping.append(k)
            }
        }
        guard !stepping.isEmpty else { return }
        var actions = try chooseActions(for: stepping.flatMap { group.ranges[$0] })[...]
        for k in stepping {
            memberActions[k] = Array(actions.prefix(group.ranges[k].count))
            actions = actions.dropFirst(group.ranges[k].count)
            try group.beginStep(member: k, actions: memberActions[k].map(scaling.toEnvironment))
        }
    }

    /// Applies what the group reports of one member.
    private func handle(_ event: VectorEnvironmentGroup.Event) throws {
        switch event {
        case let .stepped(k, results):
            try store(results, member: k)
        case let .reset(k, observations):
            try startEpisodes(member: k, observations: observations)
        case let .copiesReset(k, copies, observations):
            try startEpisodes(member: k, copies: copies, observations: observations)
        case let .lost(k, error):
            endEpisodes(member: k)
            onWarning?("lost \(group.name(ofMember: k)) (\(error)); its episodes in flight end as truncated\(group.members.count > 1 ? " and the other servers go on stepping" : "") while it is reconnected")
        case let .rejoined(k, observations, attempts, seconds):
            state.reconnects += 1
            onWarning?("reconnected \(group.name(ofMember: k)) after \(String(format: "%.1f", seconds)) s (attempt \(attempts)); its copies start new episodes")
            try startEpisodes(member: k, observations: observations)
        case let .dropped(k, lastError, attempts, seconds):
            let address = group.name(ofMember: k)
            droppedServers.append(SACError.LostServer(address: address, attempts: attempts, waitedSeconds: seconds, lastError: lastError))
            guard group.members.count > 1 else {
                try? writeCheckpoint()
                throw SACError.environmentUnreachable(address: address, attempts: attempts, waitedSeconds: seconds, lastError: lastError)
            }
            let remaining = group.activeMembers, minimum = group.options.minimumMembers
            guard remaining >= minimum else {
                try? writeCheckpoint()
                throw SACError.serversLost(remaining: remaining, minimum: minimum, lost: droppedServers)
            }
            onWarning?("dropped \(address) after \(attempts) reconnection attempts over \(String(format: "%.1f", seconds)) s (last error: \(lastError)); \(remaining) of \(group.members.count) servers go on")
        }
    }

    /// One action per copy in `copies`, in (−1, 1)ᴬ: uniformly random during warm-up, then sampled from the
    /// policy for all of them at once.
    private func chooseActions(for copies: [Int]) throws -> [[Float]] {
        let actions = state.step < configuration.learningStarts
            ? copies.map { _ in (0..<agent.actionCount).map { _ in Float(state.warmupGenerator.nextUniform(in: -1, 1)) } }
            : agent.act(copies.map { state.observations[$0] })
        if let action = actions.first(where: { !$0.allSatisfy(\.isFinite) }) {
            throw SACError.diverged("the policy produced action \(action) at step \(state.step)")
        }
        return actions
    }

    /// Stores each of member k's copies' transitions, or abandons a copy's episode when its simulator
    /// failed (the server restarted that copy) or returned non-finite values (then the member's copies
    /// restart); closes ended episodes and credits the updates owed.
    private func store(_ results: [VectorStepResult], member k: Int) throws {
        let copies = group.ranges[k], actions = memberActions[k]
        let stepBefore = state.step
        var abandoned: [Int] = []
        for (j, result) in results.enumerated() {
            let i = copies.lowerBound + j
            let transition = result.transition
            let which = "environment step \(state.step + 1)\(group.numEnvs > 1 ? " (copy \(i))" : "")"
            if let failure = result.failure {
                // The simulator restarted this copy alone; the others' transitions are kept.
                onWarning?("\(which) failed in the simulator (\(failure)); its episode was abandoned and nothing stored for that step")
                abandonEpisode(copy: i)
                state.observations[i] = result.nextObservation
                if let problem = nonFiniteValue(result.nextObservation, reward: 0) {
                    throw SACError.nonFiniteTransition(step: state.step, detail: "restart of copy \(i) returned \(problem)")
                }
                continue
            }
            if let problem = nonFiniteValue(transition.observation, reward: transition.reward) {
                guard configuration.onNonFinite == .skipEpisode else {
                    throw SACError.nonFiniteTransition(step: state.step + 1, detail: group.numEnvs > 1 ? "copy \(i): \(problem)" : problem)
                }
                onWarning?("\(which) returned \(problem); the episode was abandoned and nothing stored for that step")
                abandonEpisode(copy: i)
                abandoned.append(j)
                continue
            }
            state.step += 1
            storedPerMember[k] += 1
            buffer.add(observation: state.observations[i], action: actions[j], reward: Float(transition.reward),
                       nextObservation: transition.observation, terminated: transition.terminated)
            state.episodeReturns[i] += transition.reward
            state.episodeLengths[i] += 1
            state.observations[i] = result.nextObservation
            if transition.isLast { endEpisode(copy: i) }
            if let start = result.resetObservation, let problem = nonFiniteValue(start, reward: 0) {
                throw SACError.nonFiniteTransition(step: state.step, detail: "reset returned \(problem)")
            }
        }
        creditUpdates(forSteps: stepBefore + 1, count: state.step - stepBefore)
        // A copy's bad step leaves it mid-episode in a state nobody trusts: it restarts, alone where the
        // member can restart one copy (an envbridge 1.1 server, local copies), otherwise with the member's others.
        if !abandoned.isEmpty {
            if group.members[k].resetsCopiesAlone {
                copiesToReset[k] = abandoned
            } else {
                endEpisodes(member: k)
                memberNeedsReset[k] = true
            }
        }
    }

    /// Evaluates and checkpoints when the steps since `stepBefore` crossed their intervals.
    private func evaluateAndCheckpoint(after stepBefore: Int) throws {
        if crossed(configuration.evaluationInterval, from: stepBefore), state.step < configuration.totalSteps {
            _ = try evaluate()
        }
        if crossed(configuration.checkpointInterval, from: stepBefore) { try writeCheckpoint() }
    }

    /// Whether the steps since `stepBefore` reached a multiple of `interval` (0: never).
    private func crossed(_ interval: Int, from stepBefore: Int) -> Bool {
        interval > 0 && state.step / interval > stepBefore / interval
    }

    /// Starts new episodes in member k's copies `copies` (indices among its own) from their first observations.
    private func startEpisodes(member k: Int, copies: [Int], observations: [[Float]]) throws {
        for observation in observations {
            if let problem = nonFiniteValue(observation, reward: 0) {
                throw SACError.nonFiniteTransition(step: state.step, detail: "reset returned \(problem)")
            }
        }
        for (j, observation) in zip(copies, observations) {
            let i = group.ranges[k].lowerBound + j
            state.observations[i] = observation
            state.episodeReturns[i] = 0
            state.episodeLengths[i] = 0
        }
        copiesToReset[k] = []
    }

    /// Starts new episodes in every copy of member k from their first observations.
    private func startEpisodes(member k: Int, observations: [[Float]]) throws {
        try startEpisodes(member: k, copies: Array(0..<group.ranges[k].count), observations: observations)
        memberNeedsReset[k] = false
    }

    /// Closes copy `i`'s finished episode; the copy has already started its next one.
    private func endEpisode(copy i: Int) {
        if state.episodeLengths[i] > 0 {
            state.episodes += 1
            state.lastEpisodeReturn = state.episodeReturns[i]
            appendRow(kind: "episode", value: state.episodeReturns[i], length: Double(state.episodeLengths[i]), std: nil)
        }
        state.episodeReturns[i] = 0
        state.episodeLengths[i] = 0
    }

    /// Counts copy `i`'s episode as skipped and forgets it, so that it is not also closed later as a
    /// finished episode with a partial return.
    private func abandonEpisode(copy i: Int) {
        state.skippedEpisodes += 1
        state.episodeReturns[i] = 0
        state.episodeLengths[i] = 0
    }

    /// Closes the episodes in flight in member k's copies (truncated by a lost connection, or abandoned).
    private func endEpisodes(member k: Int) {
        for i in group.ranges[k] { endEpisode(copy: i) }
    }

    /// Credits the gradient updates owed for `count` stored transitions numbered from `first` (1-based).
    private func creditUpdates(forSteps first: Int, count: Int) {
        for step in first..<(first + count) where step > configuration.learningStarts {
            state.updateCredit += configuration.updatesPerStep
        }
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
                throw SACError.diverged("losses became non-finite at update \(agent.updateCount) (critic \(metrics.criticLoss), actor \(metrics.actorLoss))")
            }
            state.lastMetrics = metrics
            state.updateCredit -= 1
        }
    }

    /// Reconnects the lost evaluation environment with exponential back-off, or rethrows errors that are not
    /// connection losses. Past the attempt budget: checkpoint, then ``SACError/environmentUnreachable(address:attempts:waitedSeconds:lastError:)``.
    private func recover(from error: any Error, environment: any VectorEnvironment) throws {
        guard environment.isConnectionLoss(error) else { throw error }
        let address = environment.address ?? environment.id
        let outcome = try ReconnectionBackOff.run(attempts: configuration.reconnectAttempts, lostBecause: error, wait: { delay in
            // A stop request (Ctrl-C) ends the waiting: the run checkpoints and stops as interrupted.
            if shouldStop?() == true { throw StopRequested() }
            Thread.sleep(forTimeInterval: delay)
            return true
        }) { try environment.reconnect() }
        switch outcome {
        case let .succeeded(_, attempt, seconds):
            state.reconnects += 1
            onWarning?("lost \(address) (\(error)); reconnected after \(String(format: "%.1f", seconds)) s (attempt \(attempt)); the episodes in flight end as truncated")
        case let .gaveUp(lastError, seconds):
            try? writeCheckpoint()
            throw SACError.environmentUnreachable(address: address, attempts: configuration.reconnectAttempts, waitedSeconds: seconds, lastError: lastError)
        case .stopped:
            throw StopRequested()
        }
    }

    private func evaluate() throws -> EvaluationResult {
        let evaluator = Evaluator(actor: agent.actor, scaling: scaling)
        var result: EvaluationResult
        while true {
            do {
                result = try evaluator.run(episodes: configuration.evaluationEpisodes, in: evaluationEnvironment)
                break
            } catch {
                try recover(from: error, environment: evaluationEnvironment)
            }
        }
        state.lastEvaluationReturn = result.mean
        appendRow(kind: "eval", value: result.mean, length: result.meanLength, std: result.standardDeviation)
        return result
    }

    // MARK: Output

    private var elapsedSeconds: Double { state.elapsedSecondsBefore + (clock.now - started).seconds }

    private func nonFiniteValue(_ observation: [Float], reward: Double) -> String? {
        if let index = observation.firstIndex(where: { !$0.isFinite }) { return "observation[\(index)] = \(observation[index])" }
        return reward.isFinite ? nil : "reward = \(reward)"
    }

    private func appendRow(kind: String, value: Double, length: Double, std: Double?) {
        let now = clock.now
        let seconds = state.lastRowTime.map { (now - $0).seconds } ?? 0
        let rate = seconds > 0 ? Double(agent.updateCount - state.updatesAtLastRow) / seconds : 0
        metricsLog?.append(kind: kind, step: state.step, episodeReturn: value, episodeLength: length, evaluationStd: std,
                           metrics: state.lastMetrics, updatesPerSecond: rate)
        state.updatesAtLastRow = agent.updateCount
        state.lastRowTime = now
    }

    private func report(isFinal: Bool) {
        guard let onProgress else { return }
        // Rates of this process only, so a resumed run's speed and ETA are not diluted by earlier ones.
        let rate = Double(state.step - stepsAtStart) / max((clock.now - started).seconds, 1e-9)
        onProgress(TrainingProgress(
            step: state.step, totalSteps: configuration.totalSteps, stepsPerSecond: rate, gradientUpdates: agent.updateCount,
            updateSeconds: updateSeconds, lastEpisodeReturn: state.lastEpisodeReturn, lastEvaluationReturn: state.lastEvaluationReturn, alpha: Double(agent.alpha),
            secondsRemaining: rate > 0 ? Double(configuration.totalSteps - state.step) / rate : 0, isFinal: isFinal,
            servers: group.members.count { $0.address != nil },
            serversUp: group.members.indices.count { group.members[$0].address != nil && [.ready, .busy].contains(group.state(ofMember: $0)) }))
    }

    /// Each remote member's counts for the summary; `nil` when every member is in process.
    private var servers: [ServerSummary]? {
        let remote = zip(group.statistics, storedPerMember).filter { $0.0.address != nil }
        guard !remote.isEmpty else { return nil }
        return remote.map { statistics, stored in
            ServerSummary(address: statistics.address ?? "", copies: statistics.copies, envSteps: stored, reconnects: statistics.reconnects,
                          roundTripMs: statistics.replies > 0 ? 1e3 * statistics.roundTripSeconds / Double(statistics.replies) : nil,
                          serverStepMs: statistics.reportedStepSeconds.flatMap { statistics.replies > 0 ? 1e3 * $0 / Double(statistics.replies) : nil },
                          state: statistics.isDropped ? .dropped : .ok)
        }
    }

    private func makeSummary(status: TrainingStatus) -> TrainingSummary {
        let seconds = elapsedSeconds
        return TrainingSummary(
            env: group.id, variant: agent.configuration.variant.rawValue, seed: configuration.seed,
            envSteps: state.step, numEnvs: group.numEnvs, gradientUpdates: agent.updateCount, wallSeconds: seconds,
            updatesPerSecond: seconds > 0 ? Double(agent.updateCount) / seconds : 0, precision: agent.precision.rawValue,
            evalReturnMean: state.finalEvaluation?.mean, evalReturnStd: state.finalEvaluation?.standardDeviation,
            transitionsStored: buffer.totalAdded, episodes: state.episodes, finalAlpha: Double(agent.alpha),
            reconnects: state.reconnects, skippedEpisodes: state.skippedEpisodes, status: status, servers: servers)
    }

    /// The trained policy, with the action bounds of the environment.
    public var policy: SavedPolicy {
        SavedPolicy(environmentID: group.id, variant: agent.configuration.variant.rawValue, actor: agent.actor, scaling: scaling,
                    observationShape: group.observationSpace.shape, actionShape: group.actionSpace.shape)
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

/// Thrown inside the loop when ``Trainer/shouldStop`` asks to stop while the trainer waits.
private struct StopRequested: Error {}

