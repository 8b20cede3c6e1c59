import Foundation
import Testing
import EnvironmentBridge
import Environments
import SoftActorCritic

/// A batched session (the server's `--num-envs N`) against N local copies, and SAC trained through it.
@Suite(.serialized) struct RemoteVectorEnvironmentTests {
    private func server(copies: Int) throws -> BackgroundSwiftServer {
        var options = EnvironmentServer.Options()
        options.environmentsPerSession = copies
        return try BackgroundSwiftServer(endpoint: Endpoints.inproc(), options: options)
    }

    /// Same seeds, same actions: the remote copies (one round trip per step) and local copies agree on
    /// every transition, across the automatic restart at Pendulum's 200-step limit.
    @Test func remoteCopiesAgreeWithLocalCopiesStepForStep() throws {
        let background = try server(copies: 3)
        let remote = try RemoteVectorEnvironment(address: background.endpoint, expectedCount: 3)
        let local = try EnvironmentVector((0..<3).map { _ in try EnvironmentRegistry.make("pendulum") })
        #expect(remote.count == 3 && remote.observationSpace == local.observationSpace && remote.stepsConcurrently)
        let seeds: [UInt64?] = [5, 6, 7]
        #expect(try remote.reset(seeds: seeds) == (try local.reset(seeds: seeds)))
        var restarts = 0
        for t in 0..<210 {
            let actions = (0..<3).map { i in [Float(((t * 5 + i) % 7) - 3) / 1.5] }
            let mine = try local.step(actions)
            let theirs = try remote.step(actions)
            #expect(theirs.map(\.transition.observation) == mine.map(\.transition.observation))
            #expect(theirs.map(\.transition.reward) == mine.map(\.transition.reward))
            #expect(theirs.map(\.transition.truncated) == mine.map(\.transition.truncated))
            #expect(theirs.map(\.resetObservation) == mine.map(\.resetObservation))
            restarts += theirs.filter { $0.resetObservation != nil }.count
        }
        #expect(restarts == 3)
        #expect(throws: EnvironmentError.copyCountMismatch(expected: 3, got: 2)) { try remote.beginStep([[0], [0]]) }
    }

    @Test func aServerWithAnotherNumberOfCopiesIsRefusedWithAHint() throws {
        let background = try server(copies: 2)
        do {
            _ = try RemoteVectorEnvironment(address: background.endpoint, expectedCount: 4)
            Issue.record("a 2-copy session was accepted as 4")
        } catch let error as RemoteEnvironmentError {
            #expect("\(error)".contains("--num-envs 4"))
        }
    }

    /// SAC on four remote copies: steps count every copy's transitions, the update schedule follows them,
    /// and the evaluation shares its episodes among the evaluation session's copies.
    @Test func sacTrainsOnABatchedRemoteSession() throws {
        let background = try server(copies: 4)
        var agent = SACConfiguration()
        agent.hiddenSizes = [16, 16]
        agent.batchSize = 16
        var trainer = TrainerConfiguration()
        trainer.totalSteps = 1_000
        trainer.learningStarts = 200
        trainer.updatesPerStep = 0.5
        trainer.evaluationInterval = 0
        trainer.evaluationEpisodes = 3
        let run = try Trainer(agentConfiguration: agent, configuration: trainer,
                              environment: try RemoteVectorEnvironment(address: background.endpoint),
                              evaluationEnvironment: try RemoteVectorEnvironment(address: background.endpoint), runDirectory: nil)
        let summary = try run.run()
        #expect(summary.numEnvs == 4 && summary.envSteps == 1_000 && summary.transitionsStored == 1_000)
        #expect(summary.gradientUpdates == 400)   // (1000 − 200) × 0.5
        #expect(summary.episodes == 4)            // 250 steps per copy: one 200-step episode each
        #expect(summary.evalReturnMean != nil)
        let evaluator = Evaluator(actor: run.agent.actor, scaling: try ActionScaling(Pendulum().actionSpace))
        let evaluation = try evaluator.run(episodes: 5, in: try RemoteVectorEnvironment(address: background.endpoint))
        #expect(evaluation.returns.count == 5 && evaluation.lengths == Array(repeating: 200, count: 5))
    }
}
