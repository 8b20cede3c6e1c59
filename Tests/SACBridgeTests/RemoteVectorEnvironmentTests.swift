import SACTestSupport
import Foundation
import Testing
import SACBridge
import SACEnvironments
import SoftActorCritic

/// A batched session (the server's `--num-envs N`) against N local copies, and SAC trained through it.
@Suite(.serialized) struct RemoteVectorEnvironmentTests {
    private func server(copies: Int) throws -> BackgroundEnvironmentServer {
        var options = EnvironmentServer.Options()
        options.numEnvs = copies
        return try BackgroundEnvironmentServer(endpoint: Endpoints.inproc(), options: options)
    }

    /// Same seeds, same actions: the remote copies (one round trip per step) and local copies agree on
    /// every transition, across the automatic restart at Pendulum's 200-step limit.
    @Test func remoteCopiesAgreeWithLocalCopiesStepForStep() throws {
        let background = try server(copies: 3)
        let remote = try RemoteVectorEnvironment(address: background.endpoint, numEnvs: 3)
        let local = try EnvironmentVector((0..<3).map { _ in try EnvironmentRegistry.make("pendulum") })
        #expect(remote.numEnvs == 3 && remote.observationSpace == local.observationSpace && remote.stepsElsewhere)
        let seeds: [UInt64?] = [5, 6, 7]
        #expect(try remote.reset(seeds: seeds) == (try local.reset(seeds: seeds)))
        var restarts = 0
        for t in 0..<210 {
            let actions = FloatRows(width: 1, rows: (0..<3).map { i in [Float(((t * 5 + i) % 7) - 3) / 1.5] })
            let mine = try local.step(actions)
            let theirs = try remote.step(actions)
            #expect(theirs.observations == mine.observations && theirs.finalObservations == mine.finalObservations)
            #expect(theirs.rewards == mine.rewards && theirs.truncated == mine.truncated && theirs.terminated == mine.terminated)
            restarts += theirs.finalObservations.count
        }
        #expect(restarts == 3)
        #expect(throws: EnvironmentError.copyCountMismatch(expected: 3, got: 2)) { _ = try remote.step([[0], [0]]) }
    }

    /// Protocol 1.1: one remote copy restarts alone, seeded, and the others go on exactly as local copies
    /// that were never interrupted; against a server that announces 1.0 the client never asks for it.
    @Test func oneCopyRestartsAloneWhileTheOthersGoOn() throws {
        let background = try server(copies: 3)
        let remote = try RemoteVectorEnvironment(address: background.endpoint)
        let local = try EnvironmentVector((0..<3).map { _ in try EnvironmentRegistry.make("pendulum") })
        #expect(remote.resetsCopiesAlone && local.resetsCopiesAlone)
        #expect(throws: EnvironmentError.resetNeeded(id: "Pendulum-v1")) { try remote.reset(copies: [1], seeds: [9]) }
        _ = try remote.reset(seeds: [1, 2, 3])
        _ = try local.reset(seeds: [1, 2, 3])
        let actions: FloatRows = [[0.5], [-1], [1.5]]
        for _ in 0..<5 { _ = try remote.step(actions); _ = try local.step(actions) }
        let restarted = try remote.reset(copies: [1], seeds: [9])
        var fresh = try EnvironmentRegistry.make("pendulum")
        #expect(restarted.values == (try fresh.reset(seed: 9)))
        let after = try remote.step(actions), untouched = try local.step(actions)
        #expect(after.transition(0) == untouched.transition(0) && after.transition(2) == untouched.transition(2))
        #expect(after.transition(1) != untouched.transition(1))
        #expect(try local.reset(copies: [1], seeds: [9]) == restarted)
        for bad in [[3], [1, 1], [2, 0]] {
            #expect(throws: EnvironmentError.self) { try remote.reset(copies: bad, seeds: []) }
        }

        var old = EnvironmentServer.Options()
        old.numEnvs = 3
        old.protocolMinor = 0
        let oldServer = try BackgroundEnvironmentServer(endpoint: Endpoints.inproc(), options: old)
        let client = try RemoteVectorEnvironment(address: oldServer.endpoint)
        _ = try client.reset(seeds: [])
        #expect(!client.resetsCopiesAlone)
        do {
            _ = try client.reset(copies: [1], seeds: [])
            Issue.record("a 1.0 server was asked to reset one copy")
        } catch let EnvironmentError.cannotResetCopiesAlone(detail) {
            #expect(detail.contains("1.0"))
        }
        #expect(try client.step(actions).count == 3)
    }

    @Test func aServerWithAnotherNumberOfCopiesIsRefusedWithAHint() throws {
        let background = try server(copies: 2)
        do {
            _ = try RemoteVectorEnvironment(address: background.endpoint, numEnvs: 4)
            Issue.record("a 2-copy session was accepted as 4")
        } catch let error as RemoteEnvironmentError {
            #expect("\(error)".contains("--num-envs 4"))
        }
    }

    /// SAC on four remote copies: steps count every copy's transitions, the update schedule follows them,
    /// and the evaluation shares its episodes among the evaluation session's copies.
    @Test func sacTrainsOnABatchedRemoteSession() throws {
        let background = try server(copies: 4)
        let agent = SACConfiguration.small(width: 16)
        var trainer = TrainerConfiguration.short(steps: 1_000, learningStarts: 200, evaluationEpisodes: 3)
        trainer.updatesPerStep = 0.5
        let run = try Trainer(
            agentConfiguration: agent, configuration: trainer,
            environment: try RemoteVectorEnvironment(address: background.endpoint),
            evaluationEnvironment: try RemoteVectorEnvironment(address: background.endpoint), runDirectory: nil)
        let summary = try run.run()
        #expect(summary.numEnvs == 4 && summary.envSteps == 1_000 && summary.transitionsStored == 1_000)
        #expect(summary.gradientUpdates == 400) // (1000 − 200) × 0.5
        #expect(summary.episodes == 4) // 250 steps per copy: one 200-step episode each
        #expect(summary.evalReturnMean != nil)
        let evaluator = Evaluator(actor: run.agent.actor, scaling: try ActionScaling(Pendulum().actionSpace))
        let evaluation = try evaluator.run(episodes: 5, in: try RemoteVectorEnvironment(address: background.endpoint))
        #expect(evaluation.returns.count == 5 && evaluation.lengths == Array(repeating: 200, count: 5))
    }

    /// A server of `copies` copies whose copy `flaky` fails on every `failEvery`-th step.
    private func flakyServer(copies: Int, flaky: Int, failEvery: Int, resetFailsAfterFailure: Bool = false) throws
        -> BackgroundEnvironmentServer
    {
        var options = EnvironmentServer.Options()
        options.numEnvs = copies
        let serverOptions = options
        return try BackgroundEnvironmentServer(endpoint: Endpoints.inproc()) {
            var made = 0
            return try EnvironmentServer(options: serverOptions) {
                made += 1
                // The server makes one probe environment, then each session's copies in order.
                let copy = (made - 2) % copies
                return FlakyEnvironment(failEvery: copy == flaky ? failEvery : 1_000_000, resetFailsAfterFailure: resetFailsAfterFailure)
            }
        }
    }

    /// One copy's simulator fails: that copy's result says so and restarts, the others step on.
    @Test func aFailingCopyIsReportedAloneWhileTheOthersStep() throws {
        let background = try flakyServer(copies: 3, flaky: 1, failEvery: 4)
        let remote = try RemoteVectorEnvironment(address: background.endpoint, numEnvs: 3)
        _ = try remote.reset(seeds: [1, 2, 3])
        var failures = 0
        for t in 1...12 {
            let step = try remote.step([[0.5], [0.5], [0.5]])
            #expect(step.failures[0] == nil && step.failures[2] == nil)
            #expect(step.rewards[0] != 0 && step.rewards[2] != 0)
            if let failure = step.failures[1] {
                guard case RemoteEnvironmentError.environmentFailure(_, index: 1, let error) = failure else {
                    Issue.record("copy 1 failed with \(failure), not an environment failure")
                    continue
                }
                #expect(t % 4 == 0 && error.code == .environmentFailure && error.message.contains("blow-up"))
                #expect(step.rewards[1] == 0 && !step.isLast(1))
                #expect(step.finalObservations[1] == nil && step.observations[1].count == 3)
                failures += 1
            }
        }
        #expect(failures == 3)
    }

    /// A copy that cannot be restarted fails again on the next step: then the step is an error.
    @Test func aCopyThatCannotRestartEndsTheStepWithAnError() throws {
        let background = try flakyServer(copies: 2, flaky: 0, failEvery: 2, resetFailsAfterFailure: true)
        let remote = try RemoteVectorEnvironment(address: background.endpoint, numEnvs: 2)
        _ = try remote.reset(seeds: [1, 2])
        #expect(try remote.step([[0], [0]]).failures.isEmpty)
        #expect(try remote.step([[0], [0]]).failures[0] != nil)
        do {
            _ = try remote.step([[0], [0]])
            Issue.record("a copy that could not restart stepped on")
        } catch let error as RemoteEnvironmentError {
            guard case let .environmentFailure(_, index, _) = error else { Issue.record("unexpected \(error)"); return }
            #expect(index == 0)
        }
    }

    /// One remote copy behind `EnvironmentVector` (how the trainer holds a single remote environment):
    /// a failed step is restarted with a reset request and the episode goes on from there.
    @Test func aSingleRemoteCopyIsRestartedAfterAFailure() throws {
        let background = try flakyServer(copies: 1, flaky: 0, failEvery: 3)
        let vector = EnvironmentVector(try RemoteEnvironment(address: background.endpoint))
        _ = try vector.reset(seeds: [4])
        var failed: [Int] = []
        for t in 1...7 {
            let step = try vector.step([[0.2]])
            if step.failures[0] != nil { failed.append(t) } else { #expect(step.rewards[0] != 0) }
        }
        #expect(failed == [3, 6])
    }

    /// Training on a batched session with a flaky copy: the run completes, every failed step abandons
    /// that copy's episode, and every stored transition is a real step.
    @Test func sacTrainsThroughACopysFailures() throws {
        let background = try flakyServer(copies: 2, flaky: 1, failEvery: 50)
        let agent = SACConfiguration.small(width: 16)
        let trainer = TrainerConfiguration.short(steps: 600, learningStarts: 100, evaluationEpisodes: 1)
        var warnings: [String] = []
        let evaluationServer = try BackgroundEnvironmentServer(endpoint: Endpoints.inproc())
        let run = try Trainer(
            agentConfiguration: agent, configuration: trainer,
            environment: try RemoteVectorEnvironment(address: background.endpoint),
            evaluationEnvironment: try RemoteVectorEnvironment(address: evaluationServer.endpoint),
            runDirectory: nil)
        run.onWarning = { warnings.append($0) }
        let summary = try run.run()
        // Copy 1 fails on its 50th, 100th, … step; 600 stored transitions take about 306 requests.
        #expect(summary.status == .completed && summary.envSteps == 600 && summary.transitionsStored == 600)
        #expect(summary.skippedEpisodes == 6 && warnings.filter { $0.contains("failed in the simulator") }.count == 6)
    }
}
