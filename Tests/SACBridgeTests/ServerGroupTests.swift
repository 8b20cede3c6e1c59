import SACTestSupport
import Foundation
import SACBridge
import SACEnvironments
import SoftActorCritic
import Testing

/// One learner, several servers: a `VectorEnvironmentGroup` of remote sessions.
@Suite struct ServerGroupTests {
    private func server(copies: Int, endpoint: String = Endpoints.inproc()) throws -> BackgroundEnvironmentServer {
        var options = EnvironmentServer.Options()
        options.numEnvs = copies
        return try BackgroundEnvironmentServer(endpoint: endpoint, options: options)
    }

    private func run(_ environment: any VectorEnvironment) throws -> (TrainingSummary, [Float]) {
        var trainer = TrainerConfiguration.short(steps: 800, learningStarts: 200, evaluationEpisodes: 2)
        trainer.seed = 3
        // Overlapped, a remote run's updates run while the next step is computed; in process, before it is chosen.
        trainer.overlapUpdatesWithSteps = false
        var agent = SACConfiguration.small(width: 16)
        agent.seed = 3
        let run = try Trainer(
            agentConfiguration: agent, configuration: trainer, environment: environment,
            evaluationEnvironment: EnvironmentVector(try EnvironmentRegistry.make("pendulum")), runDirectory: nil)
        let summary = try run.run()
        return (summary, run.agent.actor.network.parameters)
    }

    /// Synchronous collection from two servers of two copies each trains exactly as four copies in this
    /// process: the same transitions, updates and final parameters, bit for bit (updates after each step
    /// in both runs).
    @Test func twoServersTrainBitForBitAsTheSameCopiesInProcess() throws {
        let (a, b) = (try server(copies: 2), try server(copies: 2))
        let group = try VectorEnvironmentGroup([
            try RemoteVectorEnvironment(address: a.endpoint),
            try RemoteVectorEnvironment(address: b.endpoint),
        ])
        let local = try EnvironmentVector((0..<4).map { _ in try EnvironmentRegistry.make("pendulum") })
        let (remoteSummary, remoteParameters) = try run(group)
        let (localSummary, localParameters) = try run(local)
        #expect(remoteSummary.numEnvs == 4 && remoteSummary.envSteps == 800 && remoteSummary.transitionsStored == 800)
        #expect(remoteSummary.episodes == localSummary.episodes && remoteSummary.gradientUpdates == localSummary.gradientUpdates)
        #expect(remoteSummary.evalReturnMean == localSummary.evalReturnMean)
        #expect(remoteParameters == localParameters)
    }

    @Test func theSameServerTwiceIsAnErrorNamingIt() throws {
        let a = try server(copies: 1, endpoint: Endpoints.tcp)
        do {
            _ = try VectorEnvironmentGroup([
                try RemoteVectorEnvironment(address: a.endpoint), try RemoteVectorEnvironment(address: a.endpoint),
            ])
            Issue.record("\(a.endpoint) was grouped twice")
        } catch {
            #expect("\(error)".contains(a.endpoint))
        }
    }
}
