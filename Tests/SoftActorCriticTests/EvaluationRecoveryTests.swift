import Foundation
import Testing
@testable import SoftActorCritic
import SACEnvironments
import SACTestSupport

/// The evaluation environment is reconnected as a training member is: by its group, with back-off; the
/// evaluation then starts over, and one that stays lost ends the run with a checkpoint.
@Suite(.serialized) struct EvaluationRecoveryTests {
    private func trainer(evaluation: ScriptedMember, attempts: Int, directory: String? = nil) throws -> Trainer {
        var agent = SACConfiguration()
        agent.hiddenSizes = [16, 16]
        agent.batchSize = 16
        var configuration = TrainerConfiguration()
        configuration.totalSteps = 200
        configuration.learningStarts = 50
        configuration.evaluationInterval = 100
        configuration.evaluationEpisodes = 2
        var options = VectorEnvironmentGroup.Options()
        options.reconnectAttempts = attempts
        let training = try VectorEnvironmentGroup([ScriptedMember(copies: 1, address: "scripted://training")], options: options)
        return try Trainer(
            agentConfiguration: agent, configuration: configuration, environment: training,
            evaluationEnvironment: evaluation, runDirectory: directory)
    }

    @Test func aLostEvaluationEnvironmentIsReconnectedAndTheEvaluationStartsOver() throws {
        let evaluation = ScriptedMember(
            copies: 1, address: "scripted://evaluation", script: .init(loseConnectionAtStep: 15, refusedReconnects: 1))
        let run = try trainer(evaluation: evaluation, attempts: 3)
        var warnings: [String] = []
        run.onWarning = { warnings.append($0) }
        let summary = try run.run()
        #expect(summary.status == .completed && summary.reconnects == 1 && summary.evalReturnMean != nil)
        #expect(warnings.count == 1 && warnings[0].hasPrefix("lost scripted://evaluation") && warnings[0].contains("attempt 2"))
        // Two episodes of ten steps at step 100 (the 15th step lost, both replayed), two at the end.
        #expect(evaluation.counts.withLock { $0.steps } == 15 + 20 + 20)
    }

    @Test func anEvaluationEnvironmentThatStaysLostEndsTheRunWithACheckpoint() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sac-eval-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let evaluation = ScriptedMember(
            copies: 1, address: "scripted://evaluation", script: .init(loseConnectionAtStep: 5, refusedReconnects: .max))
        let run = try trainer(evaluation: evaluation, attempts: 2, directory: directory)
        do {
            try run.run()
            Issue.record("the run finished without its evaluation environment")
        } catch let SACError.environmentUnreachable(address, attempts, _, _) {
            #expect(address == "scripted://evaluation" && attempts == 2)
        }
        #expect(FileManager.default.fileExists(atPath: directory + "/checkpoint.sacc") && run.buffer.totalAdded >= 100)
    }
}
