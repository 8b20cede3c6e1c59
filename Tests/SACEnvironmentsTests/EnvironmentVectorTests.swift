import Testing
import SACEnvironments

@Suite struct EnvironmentVectorTests {
    private func pendulums(_ count: Int) throws -> EnvironmentVector {
        try EnvironmentVector((0..<count).map { _ in try EnvironmentRegistry.make("pendulum") })
    }

    /// Each copy is the single environment it wraps: the same seeds and actions give the same transitions,
    /// and an ended episode (Pendulum's 200-step limit) comes back with its final observation and the
    /// first observation of the next episode, which is what `reset(seed: nil)` of the single copy gives.
    @Test func copiesStepLikeSingleEnvironmentsAndRestartThemselves() throws {
        let vector = try pendulums(3)
        var singles = try (0..<3).map { _ in try EnvironmentRegistry.make("pendulum") }
        let seeds: [UInt64?] = [11, 12, nil]
        let starts = try vector.reset(seeds: seeds)
        for i in 0..<3 { #expect(Array(starts[i]) == (try singles[i].reset(seed: seeds[i]))) }
        var restarts = 0
        for t in 0..<230 {
            let actions = (0..<3).map { i in [Float(((t * 7 + i * 3) % 9) - 4) / 2] }
            let step = try vector.step(FloatRows(width: 1, rows: actions))
            for i in 0..<3 {
                let expected = try singles[i].step(actions[i])
                #expect(step.transition(i) == expected)
                if expected.isLast {
                    restarts += 1
                    #expect(step.finalObservations[i] == expected.observation)
                    #expect(Array(step.observations[i]) == (try singles[i].reset(seed: nil)))
                } else {
                    #expect(step.finalObservations[i] == nil && Array(step.observations[i]) == expected.observation)
                }
            }
        }
        #expect(restarts == 3)
    }

    @Test func wrongCountsAndBadActionsAreTypedErrors() throws {
        let vector = try pendulums(2)
        #expect(throws: EnvironmentError.copyCountMismatch(expected: 2, got: 3)) { try vector.reset(seeds: [1, 2, 3]) }
        _ = try vector.reset(seeds: [])
        #expect(throws: EnvironmentError.copyCountMismatch(expected: 2, got: 1)) { _ = try vector.step([[0]]) }
        do {
            _ = try vector.step([[0], [.nan]])
            Issue.record("a NaN action was accepted")
        } catch let EnvironmentError.nonFiniteAction(index, value) {
            #expect(index == 0 && value.isNaN)
        }
        // A refused step stepped nothing: the next one is every copy's first.
        #expect(try vector.step([[0], [0]]).count == 2)
        #expect(throws: EnvironmentError.self) {
            try EnvironmentVector([try EnvironmentRegistry.make("pendulum"), try EnvironmentRegistry.make("mountaincar")])
        }
        #expect(throws: EnvironmentError.self) { try EnvironmentVector([]) }
    }

    @Test func snapshotRestoresEveryCopyAndRejectsForeignWords() throws {
        let vector = try pendulums(2)
        _ = try vector.reset(seeds: [3, 4])
        for _ in 0..<50 { _ = try vector.step([[0.5], [-0.5]]) }
        let snapshot = try #require(vector.snapshot())
        let before = try (0..<20).map { _ in try vector.step([[1], [-1]]) }
        try vector.restore(from: snapshot)
        let after = try (0..<20).map { _ in try vector.step([[1], [-1]]) }
        #expect(before == after)
        #expect(throws: EnvironmentError.self) { try vector.restore(from: Array(snapshot.dropLast())) }
        #expect(throws: EnvironmentError.self) { try vector.restore(from: snapshot + [0]) }
        #expect(throws: EnvironmentError.self) { try vector.restore(from: [UInt64.max]) }
    }

    /// A copy whose step throws is restarted alone and reported; the others' steps stand. Failing again
    /// on the very next step, it makes the step throw.
    @Test func aFailingCopyIsRestartedAloneAndAFailureRightAfterThrows() throws {
        let vector = try EnvironmentVector([try EnvironmentRegistry.make("pendulum"), FailingEnvironment(failingSteps: [3, 7, 8])])
        _ = try vector.reset(seeds: [1, 2])
        var single = try EnvironmentRegistry.make("pendulum")
        _ = try single.reset(seed: 1)
        for t in 1...7 {
            if t == 7 {
                // Step 7 fails and restarts the copy; its step 8 fails as well.
                _ = try vector.step([[0.3], [0.3]])
                #expect(throws: EnvironmentError.invalidState("simulated failure at step 8")) { try vector.step([[0.3], [0.3]]) }
                return
            }
            let step = try vector.step([[0.3], [0.3]])
            #expect(step.transition(0) == (try single.step([0.3])) && step.failures[0] == nil)
            if t == 3 {
                #expect(step.failures[1].map { "\($0)" }?.contains("simulated failure at step 3") == true)
                #expect(step.rewards[1] == 0 && Array(step.observations[1]) == [0, 0, 0])
            } else {
                #expect(step.failures[1] == nil && step.rewards[1] == 1)
            }
        }
    }
}

/// Steps return reward 1 and throw on the listed step numbers (counted over the environment's life);
/// every reset returns zeros.
private struct FailingEnvironment: Environment {
    let failingSteps: Set<Int>
    var steps = 0
    var id: String { "failing" }
    var observationSpace: Box { Pendulum().observationSpace }
    var actionSpace: Box { Pendulum().actionSpace }
    mutating func reset(seed: UInt64?) throws -> [Float] { [0, 0, 0] }
    mutating func step(_ action: [Float]) throws -> StepResult {
        steps += 1
        if failingSteps.contains(steps) { throw EnvironmentError.invalidState("simulated failure at step \(steps)") }
        return StepResult(observation: [0.5, 0.5, 0.5], reward: 1, terminated: false, truncated: false)
    }
}
