import SACRandomness

/// A fixed-capacity ring of transitions `(s, a, r, s′, terminated)` in preallocated contiguous storage.
///
/// Storage is reserved once for `capacity` transitions; pages are touched only as transitions arrive, so
/// memory grows with what is stored, up to its raw size (4 bytes per float). When full, the oldest
/// transition is overwritten. Sampling is uniform with replacement, as in Stable-Baselines3. The buffer
/// knows nothing of the algorithm: actions are stored as given (the agent stores them normalised), and
/// truncation is the caller's business (store `terminated = false` and the true final observation).
public final class ReplayBuffer {
    /// Maximum number of transitions held.
    public let capacity: Int
    /// Observation features per transition.
    public let observationCount: Int
    /// Action dimensions per transition.
    public let actionCount: Int
    /// Transitions currently held (≤ capacity).
    public internal(set) var count = 0
    /// Transitions ever added (the next write goes to `totalAdded % capacity`).
    public internal(set) var totalAdded = 0

    private let observations: UnsafeMutablePointer<Float>
    private let actions: UnsafeMutablePointer<Float>
    private let rewards: UnsafeMutablePointer<Float>
    private let nextObservations: UnsafeMutablePointer<Float>
    private let terminated: UnsafeMutablePointer<Float>

    // For checkpoints, which copy whole arrays.
    var observationStorage: UnsafeMutablePointer<Float> { observations }
    var actionStorage: UnsafeMutablePointer<Float> { actions }
    var rewardStorage: UnsafeMutablePointer<Float> { rewards }
    var nextObservationStorage: UnsafeMutablePointer<Float> { nextObservations }
    var terminatedStorage: UnsafeMutablePointer<Float> { terminated }

    /// An empty buffer for `capacity` transitions of the given sizes.
    public init(capacity: Int, observationCount: Int, actionCount: Int) throws(SACError) {
        guard capacity > 0, observationCount > 0, actionCount > 0 else {
            throw .invalidConfiguration(
                "replay capacity \(capacity), observation size \(observationCount) and action size \(actionCount) must all be > 0")
        }
        self.capacity = capacity
        self.observationCount = observationCount
        self.actionCount = actionCount
        // Left uninitialised on purpose: only written slots are ever read, and untouched pages cost no memory.
        observations = .allocate(capacity: capacity * observationCount)
        actions = .allocate(capacity: capacity * actionCount)
        rewards = .allocate(capacity: capacity)
        nextObservations = .allocate(capacity: capacity * observationCount)
        terminated = .allocate(capacity: capacity)
    }

    deinit {
        observations.deallocate()
        actions.deallocate()
        rewards.deallocate()
        nextObservations.deallocate()
        terminated.deallocate()
    }

    /// Bytes of storage a full buffer occupies.
    public var capacityBytes: Int { capacity * (2 * observationCount + actionCount + 2) * MemoryLayout<Float>.size }

    /// Stores one transition, overwriting the oldest when full. Lengths must match the buffer's sizes.
    public func add(observation: [Float], action: [Float], reward: Float, nextObservation: [Float], terminated isTerminal: Bool) {
        add(
            observation: observation[...], action: action[...], reward: reward, nextObservation: nextObservation[...],
            terminated: isTerminal)
    }

    /// Stores one transition from rows of batches (`FloatRows` rows), with no array of its own.
    public func add(
        observation: ArraySlice<Float>, action: ArraySlice<Float>, reward: Float, nextObservation: ArraySlice<Float>,
        terminated isTerminal: Bool
    ) {
        precondition(
            observation.count == observationCount && nextObservation.count == observationCount && action.count == actionCount,
            "transition of sizes (\(observation.count), \(action.count), \(nextObservation.count)) for a buffer of (\(observationCount), \(actionCount))"
        )
        let slot = totalAdded % capacity
        observation.withUnsafeBufferPointer {
            (observations + slot * observationCount).update(from: $0.baseAddress!, count: observationCount)
        }
        action.withUnsafeBufferPointer { (actions + slot * actionCount).update(from: $0.baseAddress!, count: actionCount) }
        nextObservation.withUnsafeBufferPointer {
            (nextObservations + slot * observationCount).update(from: $0.baseAddress!, count: observationCount)
        }
        rewards[slot] = reward
        terminated[slot] = isTerminal ? 1 : 0
        totalAdded += 1
        count = min(count + 1, capacity)
    }

    /// Fills `batch` with `batch.size` transitions drawn uniformly with replacement from those held.
    public func sample(into batch: ReplayBatch, using generator: inout some RandomNumberGenerator) {
        fill(batch, using: &generator)
    }

    /// `sample(into:using:)` with the library's own generator, compiled for it: called from another
    /// module, the generic version draws each index through the generator's witness table, several times
    /// slower.
    public func sample(into batch: ReplayBatch, using generator: inout Xoshiro256StarStar) {
        fill(batch, using: &generator)
    }

    @inline(__always)
    private func fill(_ batch: ReplayBatch, using generator: inout some RandomNumberGenerator) {
        precondition(count > 0, "sampling from an empty replay buffer")
        precondition(batch.observationCount == observationCount && batch.actionCount == actionCount, "batch shaped for another buffer")
        for row in 0..<batch.size { batch.slots[row] = Int.random(in: 0..<count, using: &generator) }
        // One array at a time, with every slot known in advance: in a buffer far larger than the caches
        // each row is a cache miss, and independent copies let the processor wait for many at once.
        Self.gather(observations, width: observationCount, slots: batch.slots, into: batch.observations.baseAddress!)
        Self.gather(nextObservations, width: observationCount, slots: batch.slots, into: batch.nextObservations.baseAddress!)
        Self.gather(actions, width: actionCount, slots: batch.slots, into: batch.actions.baseAddress!)
        Self.gather(rewards, width: 1, slots: batch.slots, into: batch.rewards.baseAddress!)
        Self.gather(terminated, width: 1, slots: batch.slots, into: batch.terminated.baseAddress!)
    }

    /// Copies row `slots[i]` of a `width`-column array into row i of `destination`.
    private static func gather(
        _ source: UnsafeMutablePointer<Float>, width: Int, slots: UnsafeMutableBufferPointer<Int>,
        into destination: UnsafeMutablePointer<Float>
    ) {
        for (row, slot) in slots.enumerated() {
            let from = source + slot * width, to = destination + row * width
            // A short row is cheaper to copy inline than through a call to memmove.
            for j in 0..<width { to[j] = from[j] }
        }
    }

    /// The transition in slot `index` (0 ..< count), for inspection and tests.
    public func transition(at index: Int) -> (
        observation: [Float], action: [Float], reward: Float, nextObservation: [Float], terminated: Bool
    ) {
        precondition(index >= 0 && index < count, "slot \(index) outside 0..<\(count)")
        let o = observationCount, a = actionCount
        return (
            Array(UnsafeBufferPointer(start: observations + index * o, count: o)),
            Array(UnsafeBufferPointer(start: actions + index * a, count: a)),
            rewards[index],
            Array(UnsafeBufferPointer(start: nextObservations + index * o, count: o)),
            terminated[index] != 0
        )
    }
}
