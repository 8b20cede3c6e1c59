import Foundation
import Testing
import SACTestSupport
import SACBridge
import SACEnvironments
import SoftActorCritic

/// SAC trains end to end against Gymnasium's own Pendulum-v1 behind the Python server: the run finishes
/// and stores every transition.
@Suite(.serialized, .enabled(if: PythonModules.gymBridgeProblem == nil, Comment(rawValue: PythonModules.gymBridgeComment)))
struct RemoteTrainingTests {
    @Test func sacTrainsAgainstThePythonGymnasiumServer() throws {
        let server = try ServerProcess(environment: "Pendulum-v1")
        let agent = SACConfiguration.small(width: 32)
        let trainer = TrainerConfiguration.short(steps: 600, learningStarts: 200, evaluationEpisodes: 2)
        let run = try Trainer(
            agentConfiguration: agent, configuration: trainer,
            environment: try RemoteEnvironment(address: server.endpoint),
            evaluationEnvironment: try RemoteEnvironment(address: server.endpoint), runDirectory: nil)
        let summary = try run.run()
        #expect(summary.env == "Pendulum-v1" && summary.envSteps == 600 && summary.transitionsStored == 600)
        #expect(summary.gradientUpdates == 400 && summary.episodes == 3)
        #expect(summary.evalReturnMean != nil)
    }

    /// The same against four Gymnasium copies per request (`serve --num-envs 4`).
    @Test func sacTrainsOnFourGymnasiumCopiesPerRequest() throws {
        let server = try ServerProcess(environment: "Pendulum-v1", numEnvs: 4)
        let agent = SACConfiguration.small(width: 32)
        let trainer = TrainerConfiguration.short(steps: 800, learningStarts: 200, evaluationEpisodes: 4)
        let run = try Trainer(
            agentConfiguration: agent, configuration: trainer,
            environment: try RemoteVectorEnvironment(address: server.endpoint, numEnvs: 4),
            evaluationEnvironment: try RemoteVectorEnvironment(address: server.endpoint), runDirectory: nil)
        let summary = try run.run()
        #expect(summary.numEnvs == 4 && summary.envSteps == 800 && summary.transitionsStored == 800)
        #expect(summary.gradientUpdates == 600 && summary.episodes == 4)
        #expect(summary.evalReturnMean != nil)
    }
}
