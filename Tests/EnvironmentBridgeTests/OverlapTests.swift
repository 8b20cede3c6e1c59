import Foundation
import Testing
import EnvironmentBridge
import Environments
import SoftActorCritic

/// With a slow simulator, the trainer runs each step's updates while the simulator steps: a step then
/// costs about the larger of the two times, not their sum.
@Suite(.serialized) struct OverlapTests {
    private func secondsPerStep(overlap: Bool, server: BackgroundSwiftServer) throws -> Double {
        var agent = SACConfiguration()
        agent.hiddenSizes = [256, 256]      // about as slow per update (debug build) as the simulator's 20 ms
        agent.batchSize = 128
        var trainer = TrainerConfiguration()
        trainer.totalSteps = 70
        trainer.learningStarts = 10
        trainer.evaluationInterval = 0
        trainer.evaluationEpisodes = 1
        trainer.overlapUpdatesWithSteps = overlap
        let run = try Trainer(agentConfiguration: agent, configuration: trainer,
                              environment: try RemoteEnvironment(address: server.endpoint),
                              evaluationEnvironment: TimeLimit(Pendulum(), maxEpisodeSteps: 200), runDirectory: nil)
        var started: Date?
        var stepsAtStart = 0, last = 0
        var finished = Date()
        run.onProgress = { progress in
            if progress.step > 10, started == nil { started = Date(); stepsAtStart = progress.step }
            if !progress.isFinal { last = progress.step; finished = Date() }
        }
        let summary = try run.run()
        #expect(summary.transitionsStored == 70)
        guard let started, last > stepsAtStart else { return .nan }
        return finished.timeIntervalSince(started) / Double(last - stepsAtStart)
    }

    @Test(.timeLimit(.minutes(2))) func updatesOverlapTheSimulatorsStep() throws {
        let server = try BackgroundSwiftServer(endpoint: Endpoints.tcp) {
            try EnvironmentServer { DelayedEnvironment(TimeLimit(Pendulum(), maxEpisodeSteps: 200), stepSeconds: 0.02) }
        }
        let sequential = try secondsPerStep(overlap: false, server: server)
        let overlapped = try secondsPerStep(overlap: true, server: server)
        // Sequential ≈ 20 ms + the update; overlapped ≈ max of the two: well below the sum.
        #expect(overlapped < 0.8 * sequential, "overlapped \(overlapped * 1e3) ms per step vs sequential \(sequential * 1e3) ms")
    }
}
