/// What one copy of a ``VectorEnvironment`` returns from a step.
public struct VectorStepResult: Equatable, Sendable {
    /// The transition: its observation is the true next observation, the final one if the episode ended.
    public var transition: StepResult
    /// After an episode ended: the first observation of the copy's next episode (it restarted by itself).
    /// `nil` while the episode goes on.
    public var resetObservation: [Float]?
    /// Set when the copy's simulator failed on this step (its `step` threw, or a server reported the
    /// failure of that copy) while the other copies stepped: there is no transition to store, and the
    /// copy has started a new episode, whose first observation is ``resetObservation``.
    public var failure: String?

    /// A copy's step result.
    public init(transition: StepResult, resetObservation: [Float]? = nil, failure: String? = nil) {
        self.transition = transition
        self.resetObservation = resetObservation
        self.failure = failure
    }

    /// The result of a copy whose step failed with `failure` and that restarted at `restart`: reward 0,
    /// neither flag set, and nothing to store.
    public static func failed(_ failure: String, restart: [Float]) -> VectorStepResult {
        VectorStepResult(transition: StepResult(observation: restart, reward: 0, terminated: false, truncated: false),
                         resetObservation: restart, failure: failure)
    }

    /// The observation the copy's next action is chosen from.
    public var nextObservation: [Float] { resetObservation ?? transition.observation }
}
