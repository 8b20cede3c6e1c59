import SACNeuralNetworks

/// A minibatch of transitions in preallocated, row-major buffers, refilled in place by
/// `ReplayBuffer.sample(into:using:)` so that sampling allocates nothing.
public final class ReplayBatch {
    /// Transitions per batch.
    public let size: Int
    /// Observation features per transition.
    public let observationCount: Int
    /// Action dimensions per transition.
    public let actionCount: Int
    /// `size × observationCount`: the states s.
    package let observations: UnsafeMutableBufferPointer<Float>
    /// `size × actionCount`: the actions a, normalised to [−1, 1].
    package let actions: UnsafeMutableBufferPointer<Float>
    /// `size`: the rewards r.
    package let rewards: UnsafeMutableBufferPointer<Float>
    /// `size × observationCount`: the next states s′ (the true final observation where an episode ended).
    package let nextObservations: UnsafeMutableBufferPointer<Float>
    /// `size`: 1 where s′ is terminal (no bootstrapping), else 0. Truncation stores 0.
    package let terminated: UnsafeMutableBufferPointer<Float>
    /// `size`: the replay slots of the last sample, drawn before any row is copied.
    let slots: UnsafeMutableBufferPointer<Int>

    /// Buffers for `size` transitions.
    public init(size: Int, observationCount: Int, actionCount: Int) {
        self.size = size
        self.observationCount = observationCount
        self.actionCount = actionCount
        observations = .allocateZeroed(size * observationCount)
        actions = .allocateZeroed(size * actionCount)
        rewards = .allocateZeroed(size)
        nextObservations = .allocateZeroed(size * observationCount)
        terminated = .allocateZeroed(size)
        slots = .allocate(capacity: size)
        slots.initialize(repeating: 0)
    }

    deinit {
        observations.deallocate()
        actions.deallocate()
        rewards.deallocate()
        nextObservations.deallocate()
        terminated.deallocate()
        slots.deallocate()
    }
}
