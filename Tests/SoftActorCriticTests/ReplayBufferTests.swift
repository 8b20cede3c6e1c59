import Testing
import SoftActorCritic
import SACRandomness

@Suite struct ReplayBufferTests {
    @Test func ringOverwritesOldestWhenFull() throws {
        let buffer = try ReplayBuffer(capacity: 3, observationCount: 1, actionCount: 1)
        for i in 0..<5 {
            buffer.add(
                observation: [Float(i)], action: [Float(-i)], reward: Float(10 * i), nextObservation: [Float(i + 1)], terminated: i == 4)
        }
        #expect(buffer.count == 3 && buffer.totalAdded == 5)
        // Slots 0 and 1 now hold transitions 3 and 4; slot 2 still holds transition 2.
        #expect(buffer.transition(at: 0).observation == [3] && buffer.transition(at: 1).reward == 40)
        #expect(buffer.transition(at: 1).terminated && !buffer.transition(at: 2).terminated)
        #expect(buffer.transition(at: 2).nextObservation == [3] && buffer.transition(at: 2).action == [-2])
    }

    @Test func samplesOnlyStoredTransitionsUniformly() throws {
        let buffer = try ReplayBuffer(capacity: 100, observationCount: 2, actionCount: 1)
        for i in 0..<4 {
            buffer.add(
                observation: [Float(i), Float(i)], action: [Float(i)], reward: Float(i), nextObservation: [Float(i) + 0.5, 0],
                terminated: false)
        }
        let batch = ReplayBatch(size: 4000, observationCount: 2, actionCount: 1)
        var generator = Xoshiro256StarStar(seed: 1)
        buffer.sample(into: batch, using: &generator)
        var counts = [0, 0, 0, 0]
        for row in 0..<batch.size {
            let i = Int(batch.rewards[row])
            counts[i] += 1
            // Every field of a sampled row comes from the same transition.
            #expect(
                batch.observations[2 * row] == Float(i) && batch.actions[row] == Float(i)
                    && batch.nextObservations[2 * row] == Float(i) + 0.5)
        }
        #expect(counts.allSatisfy { abs($0 - 1000) < 120 }, "counts \(counts)")
    }

    /// The overload compiled for the library's generator draws the same rows as the generic one.
    @Test func concreteAndGenericGeneratorsDrawTheSameBatch() throws {
        let buffer = try ReplayBuffer(capacity: 50, observationCount: 3, actionCount: 2)
        for i in 0..<37 {
            let x = Float(i)
            buffer.add(
                observation: [x, -x, 2 * x], action: [x / 10, -x / 10], reward: x, nextObservation: [x + 1, 0, 1], terminated: i % 7 == 0)
        }
        let concrete = ReplayBatch(size: 64, observationCount: 3, actionCount: 2)
        let generic = ReplayBatch(size: 64, observationCount: 3, actionCount: 2)
        var first = Xoshiro256StarStar(seed: 9)
        var second: any RandomNumberGenerator = Xoshiro256StarStar(seed: 9)
        buffer.sample(into: concrete, using: &first)
        buffer.sample(into: generic, using: &second)
        for field in [\ReplayBatch.observations, \.actions, \.rewards, \.nextObservations, \.terminated] {
            #expect(Array(concrete[keyPath: field]) == Array(generic[keyPath: field]))
        }
        #expect(Set(concrete.rewards).count > 10 && concrete.terminated.contains(1))
    }

    @Test func rejectsEmptyShapes() {
        #expect(throws: SACError.self) { try ReplayBuffer(capacity: 0, observationCount: 1, actionCount: 1) }
        #expect(throws: SACError.self) { try ReplayBuffer(capacity: 10, observationCount: 0, actionCount: 1) }
    }
}
