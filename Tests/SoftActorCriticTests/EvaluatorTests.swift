import Testing
import SACEnvironments
@testable import SoftActorCritic

/// Evaluation episodes in which the simulator fails are discarded and replaced, up to a limit.
@Suite struct EvaluatorTests {
    private func evaluator() throws -> Evaluator {
        let (agent, _) = try smallAgentAndBatch(variant: .twinQ)
        return Evaluator(actor: agent.actor, scaling: try ActionScaling(Pendulum().actionSpace))
    }

    /// One copy replays a failed episode from its seed, so the result equals a run without the failure.
    @Test func oneCopyReplaysAFailedEpisode() throws {
        let evaluator = try evaluator()
        let clean = try evaluator.run(episodes: 3, in: EnvironmentVector(ShortPendulum(failingSteps: [])))
        let flaky = try evaluator.run(episodes: 3, in: EnvironmentVector(ShortPendulum(failingSteps: [5, 31])))
        #expect(flaky == clean && clean.lengths == [20, 20, 20])
    }

    /// N copies discard the failed copy's episode and play on until every copy has its share.
    @Test func copiesDiscardAFailedEpisodeAndPlayOn() throws {
        let evaluator = try evaluator()
        let vector = try EnvironmentVector([ShortPendulum(failingSteps: []), ShortPendulum(failingSteps: [7])])
        let result = try evaluator.run(episodes: 4, in: vector)
        #expect(result.returns.count == 4 && result.lengths == [20, 20, 20, 20])
    }

    /// A simulator that cannot finish an episode ends the evaluation with a typed error.
    @Test func aSimulatorThatKeepsFailingIsAnError() throws {
        let evaluator = try evaluator()
        #expect(throws: SACError.self) {
            try evaluator.run(episodes: 2, in: EnvironmentVector(ShortPendulum(failingSteps: Set(3...1_000))))
        }
        do {
            _ = try evaluator.run(episodes: 2, in: EnvironmentVector(ShortPendulum(failingSteps: Set(3...1_000))))
        } catch let SACError.evaluationFailed(failures, lastFailure) {
            #expect(failures == Evaluator.maximumFailures + 1 && lastFailure.contains("simulated failure"))
        }
    }
}

/// Pendulum with 20-step episodes whose steps throw at the listed step numbers (counted over its life).
private struct ShortPendulum: Environment {
    var base = TimeLimit(Pendulum(), maxEpisodeSteps: 20)
    let failingSteps: Set<Int>
    var steps = 0
    var id: String { base.id }
    var observationSpace: Box { base.observationSpace }
    var actionSpace: Box { base.actionSpace }
    mutating func reset(seed: UInt64?) throws -> [Float] { try base.reset(seed: seed) }
    mutating func step(_ action: [Float]) throws -> StepResult {
        steps += 1
        if failingSteps.contains(steps) { throw EnvironmentError.invalidState("simulated failure at step \(steps)") }
        return try base.step(action)
    }
}
