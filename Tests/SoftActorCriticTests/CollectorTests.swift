import Foundation
import Testing
@testable import SoftActorCritic
import SACEnvironments
import SACTestSupport

/// The trainer's collection on scripted members: a member that is lost for good is dropped while the run
/// goes on, and below the minimum the run stops with a checkpoint; nothing stored is lost either way.
@Suite(.serialized) struct CollectorTests {
    private func configurations(steps: Int) -> (SACConfiguration, TrainerConfiguration) {
        (.small(width: 16), .short(steps: steps, learningStarts: 50, evaluationEpisodes: 1))
    }

    private func group(minimum: Int) throws -> (VectorEnvironmentGroup, ScriptedMember) {
        let steady = ScriptedMember(copies: 2, address: "scripted://steady", script: .init(stepSeconds: 0.001))
        let gone = ScriptedMember(copies: 1, address: "scripted://gone", script: .init(loseConnectionAtStep: 20, refusedReconnects: .max))
        var options = VectorEnvironmentGroup.Options()
        options.collection = .firstReady
        options.reconnectAttempts = 1
        options.minimumMembers = minimum
        return (try VectorEnvironmentGroup([steady, gone], options: options), gone)
    }

    @Test func aDroppedMemberLeavesTheRunGoingAndItsStepsStored() throws {
        let (agent, trainer) = configurations(steps: 600)
        let (training, gone) = try group(minimum: 1)
        let run = try Trainer(
            agentConfiguration: agent, configuration: trainer, environment: training,
            evaluationEnvironment: ScriptedMember(copies: 1, stepsElsewhere: false), runDirectory: nil)
        var warnings: [String] = []
        run.onWarning = { warnings.append($0) }
        let summary = try run.run()
        // A collection stores whole steps of a member: the last may pass the total by a copy.
        #expect(summary.status == .completed && (600...601).contains(summary.envSteps) && summary.transitionsStored == summary.envSteps)
        #expect(summary.servers?.map(\.state) == [.ok, .dropped])
        #expect(summary.servers?[1].envSteps == 19 && gone.counts.withLock { $0.steps } == 20)
        #expect(warnings.contains { $0.hasPrefix("lost scripted://gone") } && warnings.contains { $0.hasPrefix("dropped scripted://gone") })
    }

    @Test func belowTheMinimumTheRunStopsWithACheckpoint() throws {
        let (agent, trainer) = configurations(steps: 600)
        let (training, _) = try group(minimum: 2)
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sac-collector-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let run = try Trainer(
            agentConfiguration: agent, configuration: trainer, environment: training,
            evaluationEnvironment: ScriptedMember(copies: 1, stepsElsewhere: false), runDirectory: directory)
        do {
            try run.run()
            Issue.record("the run went on with one member of two required")
        } catch let SACError.serversLost(remaining, minimum, lost) {
            #expect(remaining == 1 && minimum == 2 && lost.map(\.address) == ["scripted://gone"])
        }
        #expect(run.buffer.totalAdded > 0 && FileManager.default.fileExists(atPath: directory + "/checkpoint.sacc"))
        let summary = try String(contentsOfFile: directory + "/summary.json", encoding: .utf8)
        #expect(summary.contains("\"transitions_stored\" : \(run.buffer.totalAdded)") && summary.contains("failed"))
    }
}
