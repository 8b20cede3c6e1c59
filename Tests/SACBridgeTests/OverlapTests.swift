import SACTestSupport
import Foundation
import Testing
import SACBridge
import SACEnvironments
import SoftActorCritic

/// With a slow simulator, the trainer runs each step's updates while the simulator steps: a step then
/// costs about the larger of the two times, not their sum.
@Suite(.serialized) struct OverlapTests {
    private func secondsPerStep(overlap: Bool, server: BackgroundEnvironmentServer) throws -> Double {
        var agent = SACConfiguration()
        agent.batchSize = 128 // as in secondsPerUpdate()
        var trainer = TrainerConfiguration()
        trainer.totalSteps = 70
        trainer.learningStarts = 10
        trainer.evaluationInterval = 0
        trainer.evaluationEpisodes = 1
        trainer.overlapUpdatesWithSteps = overlap
        let run = try Trainer(
            agentConfiguration: agent, configuration: trainer,
            environment: try RemoteEnvironment(address: server.endpoint),
            evaluationEnvironment: TimeLimit(Pendulum(), maxEpisodeSteps: 200), runDirectory: nil)
        var started: Date?
        var stepsAtStart = 0, last = 0
        var finished = Date()
        var updateSecondsBeforeLearning = 0.0, updateSeconds = 0.0
        run.onProgress = { progress in
            if progress.step > 10, started == nil { started = Date(); stepsAtStart = progress.step }
            if !progress.isFinal { last = progress.step; finished = Date() }
            if progress.gradientUpdates == 0 { updateSecondsBeforeLearning = progress.updateSeconds }
            updateSeconds = progress.updateSeconds
        }
        let began = Date()
        let summary = try run.run()
        #expect(summary.transitionsStored == 70)
        // The trainer times its updates: none before learning starts, then some of the run's wall time.
        #expect(
            updateSecondsBeforeLearning == 0 && updateSeconds > 0 && updateSeconds < Date().timeIntervalSince(began), "\(updateSeconds) s")
        guard let started, last > stepsAtStart else { return .nan }
        return finished.timeIntervalSince(started) / Double(last - stepsAtStart)
    }

    /// Seconds one update of the test's agent takes on this machine now (a shared machine can be ten
    /// times slower than an idle one), so the simulator can be made as slow as the updates.
    private func secondsPerUpdate() throws -> Double {
        var configuration = SACConfiguration()
        configuration.batchSize = 128
        let agent = try SACAgent(observationCount: 3, actionCount: 1, configuration: configuration)
        let batch = ReplayBatch(size: 128, observationCount: 3, actionCount: 1)
        agent.update(batch: batch)
        let started = Date()
        for _ in 0..<5 { agent.update(batch: batch) }
        return Date().timeIntervalSince(started) / 5
    }

    @Test(.timeLimit(.minutes(2))) func updatesOverlapTheSimulatorsStep() throws {
        let delay = min(max(try secondsPerUpdate(), 0.005), 0.3)
        let server = try BackgroundEnvironmentServer(endpoint: Endpoints.tcp) {
            try EnvironmentServer { DelayedEnvironment(TimeLimit(Pendulum(), maxEpisodeSteps: 200), stepSeconds: delay) }
        }
        let sequential = try secondsPerStep(overlap: false, server: server)
        let overlapped = try secondsPerStep(overlap: true, server: server)
        // Sequential ≈ the simulator's step + the update; overlapped ≈ the larger of the two: well below the sum.
        #expect(overlapped < 0.8 * sequential, "overlapped \(overlapped * 1e3) ms per step vs sequential \(sequential * 1e3) ms")
    }
}
