import SACEnvironments
import SACNeuralNetworks

/// Preparing a run: new, or resumed from a run directory's checkpoint.
extension Trainer {
    /// Prepares a run with the default configurations (``SACConfiguration`` and ``TrainerConfiguration``:
    /// the twin-q variant with automatic temperature, SB3's and CleanRL's hyperparameters) on the
    /// environment `makeEnvironment` returns; it is called twice, for the training and the evaluation
    /// instance. `seed` seeds the agent and the environment, as `sac train --seed` does.
    ///
    /// ```swift
    /// let summary = try Trainer(steps: 20_000) { try EnvironmentRegistry.make("Pendulum-v1") }.run()
    /// ```
    public convenience init(
        steps: Int = TrainerConfiguration().totalSteps, seed: UInt64 = 0, runDirectory: String? = nil,
        environment makeEnvironment: () throws -> any Environment
    ) throws {
        var agentConfiguration = SACConfiguration()
        agentConfiguration.seed = seed
        var configuration = TrainerConfiguration()
        configuration.totalSteps = steps
        configuration.seed = seed
        try self.init(
            agentConfiguration: agentConfiguration, configuration: configuration, environment: try makeEnvironment(),
            evaluationEnvironment: try makeEnvironment(), runDirectory: runDirectory)
    }

    /// Prepares a new run; `evaluationEnvironment` must be a separate instance of the same environment.
    public convenience init(
        agentConfiguration: SACConfiguration, configuration: TrainerConfiguration,
        environment: any Environment, evaluationEnvironment: any Environment, runDirectory: String?
    ) throws {
        try self.init(
            agentConfiguration: agentConfiguration, configuration: configuration, environment: EnvironmentVector(environment),
            evaluationEnvironment: EnvironmentVector(evaluationEnvironment), runDirectory: runDirectory, appendingMetrics: false)
    }

    /// Prepares a new run on N copies stepped together (`EnvironmentVector` of local copies, a batched
    /// remote session, or a `VectorEnvironmentGroup` of several); `evaluationEnvironment` is a separate
    /// instance with any number of copies.
    public convenience init(
        agentConfiguration: SACConfiguration, configuration: TrainerConfiguration,
        environment: any VectorEnvironment, evaluationEnvironment: any VectorEnvironment, runDirectory: String?
    ) throws {
        try self.init(
            agentConfiguration: agentConfiguration, configuration: configuration, environment: environment,
            evaluationEnvironment: evaluationEnvironment, runDirectory: runDirectory, appendingMetrics: false)
    }

    /// Continues the run checkpointed in `runDirectory`, with its configuration, until `totalSteps`
    /// (default: the original total). Environments that support snapshots continue mid-episode; others
    /// (remote ones) start a new episode.
    public static func resume(
        runDirectory: String, environment: any Environment, evaluationEnvironment: any Environment,
        totalSteps: Int? = nil
    ) throws -> Trainer {
        try resume(
            runDirectory: runDirectory, environment: EnvironmentVector(environment),
            evaluationEnvironment: EnvironmentVector(evaluationEnvironment), totalSteps: totalSteps)
    }

    /// Continues a run on N copies as the single-environment `resume` does; the environment must have as
    /// many copies as the checkpointed run had.
    public static func resume(
        runDirectory: String, environment: any VectorEnvironment, evaluationEnvironment: any VectorEnvironment,
        totalSteps: Int? = nil
    ) throws -> Trainer {
        let (contents, path, warning) = try TrainingCheckpoint.load(directory: runDirectory)
        guard contents.observationCount == environment.observationSpace.count, contents.actionCount == environment.actionSpace.count else {
            throw SACError.invalidCheckpoint(
                path: path,
                reason:
                    "it was written for \(contents.observationCount) observation features and \(contents.actionCount) actions; \(environment.id) has \(environment.observationSpace.count) and \(environment.actionSpace.count)"
            )
        }
        var configuration = contents.trainerConfiguration
        if let totalSteps { configuration.totalSteps = totalSteps }
        let trainer = try Trainer(
            agentConfiguration: contents.agentConfiguration, configuration: configuration, environment: environment,
            evaluationEnvironment: evaluationEnvironment, runDirectory: runDirectory, appendingMetrics: true)
        do {
            let hasSnapshot = try TrainingCheckpoint.restore(
                contents, agent: trainer.agent, buffer: trainer.buffer, state: &trainer.state,
                episodes: &trainer.collector.episodes, environment: trainer.collector.group)
            if !hasSnapshot { trainer.collector.episodes.needsReset = true }
        } catch let error as BinaryFormatError {
            throw SACError.invalidCheckpoint(path: path, reason: error.description)
        } catch TrainingCheckpoint.Mismatch.copies(let stored) {
            throw SACError.invalidCheckpoint(
                path: path,
                reason:
                    "the run stepped \(stored) copies of the environment at once; \(environment.id) here has \(environment.numEnvs): give it as many copies"
            )
        }
        trainer.resumeWarning = warning
        return trainer
    }
}
