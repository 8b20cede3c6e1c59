import SACRandomness
import SoftActorCritic

/// A replay buffer of uniformly random transitions in [−1, 1] and a batch to sample into: what the update
/// benchmarks time an agent on, without an environment.
struct RandomReplay {
    let buffer: ReplayBuffer
    let batch: ReplayBatch
    /// Fills the buffer, then draws every batch.
    var generator: Xoshiro256StarStar

    /// A full buffer of `transitions` transitions of the given sizes and a batch of `batchSize`.
    init(transitions: Int, observationCount o: Int, actionCount a: Int, batchSize: Int, seed: UInt64) throws {
        buffer = try ReplayBuffer(capacity: transitions, observationCount: o, actionCount: a)
        batch = ReplayBatch(size: batchSize, observationCount: o, actionCount: a)
        generator = Xoshiro256StarStar(seed: seed)
        for _ in 0..<transitions {
            func random(_ n: Int) -> [Float] { (0..<n).map { _ in Float(generator.nextUniform(in: -1, 1)) } }
            buffer.add(observation: random(o), action: random(a), reward: random(1)[0], nextObservation: random(o), terminated: false)
        }
    }

    /// Samples the next batch into ``batch``.
    mutating func sample() {
        buffer.sample(into: batch, using: &generator)
    }

    /// `count` updates of `agent`, each on a freshly sampled batch.
    mutating func update(_ agent: SACAgent, times count: Int) {
        for _ in 0..<count {
            sample()
            agent.update(batch: batch)
        }
    }
}
