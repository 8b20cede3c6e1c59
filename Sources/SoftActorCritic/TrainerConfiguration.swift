/// How the trainer drives the environment around the agent's updates.
public struct TrainerConfiguration: Codable, Equatable, Sendable {
    /// Environment steps to take in all.
    public var totalSteps: Int = 20_000
    /// Steps of uniformly random actions before the first update (SB3's `learning_starts`).
    public var learningStarts: Int = 1_000
    /// Gradient updates per environment step once learning has started; fractional values spread
    /// updates (0.25: one every four steps), values above 1 run several per step.
    public var updatesPerStep: Double = 1
    /// Replay buffer capacity in transitions.
    public var replayCapacity: Int = 1_000_000
    /// Steps between deterministic evaluations; 0 evaluates only at the end.
    public var evaluationInterval: Int = 5_000
    /// Episodes per evaluation; episode i starts from seed `10_000 + i`, the same at every evaluation.
    public var evaluationEpisodes: Int = 10
    /// Seed of the environment's first reset and of the warm-up actions.
    public var seed: UInt64 = 0
    /// Steps between checkpoints in the run directory; 0 writes one only at the end and on interruption.
    public var checkpointInterval: Int = 0
    /// What to do when the environment returns a NaN or infinite observation or reward.
    public var onNonFinite: NonFinitePolicy = .fail
    /// With a remote simulator (an environment that steps concurrently), run the updates owed for the
    /// transitions stored so far while the simulators compute the next step, instead of before choosing its
    /// actions. The next step's actions then come from the policy before those updates, so a run differs
    /// (not in distribution) from a sequential one.
    public var overlapUpdatesWithSteps = true

    /// Handling of non-finite environment output. Such a transition is never stored.
    public enum NonFinitePolicy: String, Codable, Sendable, CaseIterable {
        /// Stop the run with ``SACError/nonFiniteTransition(step:detail:)`` (after writing a checkpoint).
        case fail
        /// End the episode there (nothing stored for that step), reset and go on; counted in the summary.
        case skipEpisode = "skip-episode"
    }

    /// The defaults.
    public init() {}

    /// Throws ``SACError/invalidConfiguration(_:)`` naming the first bad field.
    public func validate() throws(SACError) {
        if totalSteps < 1 { throw .invalidConfiguration("steps \(totalSteps) must be >= 1") }
        if learningStarts < 0 { throw .invalidConfiguration("learning starts \(learningStarts) must be >= 0") }
        if !(updatesPerStep >= 0 && updatesPerStep.isFinite) {
            throw .invalidConfiguration("updates per step \(updatesPerStep) must be finite and >= 0")
        }
        if replayCapacity < 1 { throw .invalidConfiguration("replay capacity \(replayCapacity) must be >= 1") }
        if evaluationInterval < 0 { throw .invalidConfiguration("evaluation interval \(evaluationInterval) must be >= 0") }
        if evaluationEpisodes < 1 { throw .invalidConfiguration("evaluation episodes \(evaluationEpisodes) must be >= 1") }
        if checkpointInterval < 0 { throw .invalidConfiguration("checkpoint interval \(checkpointInterval) must be >= 0") }
    }
}
