import Foundation

/// What a run reports: progress while it trains, the summary and the policy when it ends.
extension Trainer {
    /// The trained policy, with the action bounds of the environment.
    public var policy: SavedPolicy {
        let group = collector.group
        return SavedPolicy(
            environmentID: group.id, variant: agent.configuration.variant.rawValue, actor: agent.actor, scaling: scaling,
            observationShape: group.observationSpace.shape, actionShape: group.actionSpace.shape)
    }

    /// Seconds the run has trained, over every process that continued it.
    var elapsedSeconds: Double { state.elapsedSecondsBefore + (clock.now - started).seconds }

    /// Calls ``onProgress`` with where the run stands; rates count this process only, so a resumed run's
    /// speed and time remaining are not diluted by earlier ones.
    func report(isFinal: Bool) {
        guard let onProgress else { return }
        let rate = Double(state.step - stepsAtStart) / max((clock.now - started).seconds, 1e-9)
        let servers = collector.serverCounts
        onProgress(
            TrainingProgress(
                step: state.step, totalSteps: configuration.totalSteps, stepsPerSecond: rate, gradientUpdates: agent.updateCount,
                updateSeconds: updateSeconds, lastEpisodeReturn: state.lastEpisodeReturn, lastEvaluationReturn: state.lastEvaluationReturn,
                alpha: Double(agent.alpha), secondsRemaining: rate > 0 ? Double(configuration.totalSteps - state.step) / rate : 0,
                isFinal: isFinal, servers: servers.servers, serversUp: servers.up))
    }

    func makeSummary(status: TrainingStatus) -> TrainingSummary {
        let seconds = elapsedSeconds
        return TrainingSummary(
            env: collector.group.id, variant: agent.configuration.variant.rawValue, seed: configuration.seed,
            envSteps: state.step, numEnvs: collector.group.numEnvs, gradientUpdates: agent.updateCount, wallSeconds: seconds,
            updatesPerSecond: seconds > 0 ? Double(agent.updateCount) / seconds : 0, precision: agent.precision.rawValue,
            evalReturnMean: state.finalEvaluation?.mean, evalReturnStd: state.finalEvaluation?.standardDeviation,
            transitionsStored: buffer.totalAdded, episodes: state.episodes, finalAlpha: Double(agent.alpha),
            reconnects: state.reconnects, skippedEpisodes: state.skippedEpisodes, status: status, servers: collector.servers)
    }

    /// Writes the summary and the policy into the run directory, if there is one.
    func finish(_ summary: TrainingSummary) throws {
        try directory?.write(summary, policy: policy)
    }

    /// Appends a `metrics.csv` row with the latest update's figures.
    func appendRow(kind: String, value: Double, length: Double, std: Double?) {
        directory?.appendMetrics(
            kind: kind, step: state.step, value: value, length: length, std: std, metrics: state.lastMetrics,
            updates: agent.updateCount)
    }
}
