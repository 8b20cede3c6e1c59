import Foundation
import Testing
import SACBridge
import SACEnvironments
import SoftActorCritic

/// SAC trains end to end against Gymnasium's own Pendulum-v1 behind the Python server: the run finishes
/// and stores every transition.
@Suite(.serialized) struct RemoteTrainingTests {
    @Test func sacTrainsAgainstThePythonGymnasiumServer() throws {
        let server = try PythonServerProcess(environment: "Pendulum-v1")
        var agent = SACConfiguration()
        agent.hiddenSizes = [32, 32]
        agent.batchSize = 32
        var trainer = TrainerConfiguration()
        trainer.totalSteps = 600
        trainer.learningStarts = 200
        trainer.evaluationInterval = 0
        trainer.evaluationEpisodes = 2
        let run = try Trainer(agentConfiguration: agent, configuration: trainer,
                              environment: try RemoteEnvironment(address: server.endpoint),
                              evaluationEnvironment: try RemoteEnvironment(address: server.endpoint), runDirectory: nil)
        let summary = try run.run()
        #expect(summary.env == "Pendulum-v1" && summary.envSteps == 600 && summary.transitionsStored == 600)
        #expect(summary.gradientUpdates == 400 && summary.episodes == 3)
        #expect(summary.evalReturnMean != nil)
    }

    /// The same against four Gymnasium copies per request (`serve --num-envs 4`).
    @Test func sacTrainsOnFourGymnasiumCopiesPerRequest() throws {
        let server = try PythonServerProcess(environment: "Pendulum-v1", numEnvs: 4)
        var agent = SACConfiguration()
        agent.hiddenSizes = [32, 32]
        agent.batchSize = 32
        var trainer = TrainerConfiguration()
        trainer.totalSteps = 800
        trainer.learningStarts = 200
        trainer.evaluationInterval = 0
        trainer.evaluationEpisodes = 4
        let run = try Trainer(agentConfiguration: agent, configuration: trainer,
                              environment: try RemoteVectorEnvironment(address: server.endpoint, numEnvs: 4),
                              evaluationEnvironment: try RemoteVectorEnvironment(address: server.endpoint), runDirectory: nil)
        let summary = try run.run()
        #expect(summary.numEnvs == 4 && summary.envSteps == 800 && summary.transitionsStored == 800)
        #expect(summary.gradientUpdates == 600 && summary.episodes == 4)
        #expect(summary.evalReturnMean != nil)
    }
}
