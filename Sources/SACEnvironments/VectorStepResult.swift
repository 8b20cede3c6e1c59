/// What one copy of a ``VectorEnvironment`` returns from a step.
public struct VectorStepResult: Equatable, Sendable {
    /// Equal transitions, reset observations, and failures that are both absent or describe themselves alike.
    public static func == (lhs: VectorStepResult, rhs: VectorStepResult) -> Bool {
        lhs.transition == rhs.transition && lhs.resetObservation == rhs.resetObservation
            && lhs.failure.map { "\($0)" } == rhs.failure.map { "\($0)" }
    }

    /// The transition: its observation is the true next observation, the final one if the episode ended.
    public var transition: StepResult
    /// After an episode ended: the first observation of the copy's next episode (it restarted by itself).
    /// `nil` while the episode goes on.
    public var resetObservation: [Float]?
    /// Set when the copy's simulator failed on this step (its `step` threw, or a server reported the
    /// failure of that copy) while the other copies stepped: there is no transition to store, and the
    /// copy has started a new episode, whose first observation is ``resetObservation``. The error is what
    /// the copy's `step` threw in process, or for a remote copy `RemoteEnvironmentError.environmentFailure`
    /// with the server's envbridge error (its code and message).
    public var failure: (any Error & Sendable)?

    /// A copy's step result.
    public init(transition: StepResult, resetObservation: [Float]? = nil, failure: (any Error & Sendable)? = nil) {
        self.transition = transition
        self.resetObservation = resetObservation
        self.failure = failure
    }

    /// The result of a copy whose step failed with `failure` and that restarted at `restart`: reward 0,
    /// neither flag set, and nothing to store.
    public static func failed(_ failure: any Error & Sendable, restart: [Float]) -> VectorStepResult {
        VectorStepResult(
            transition: StepResult(observation: restart, reward: 0, terminated: false, truncated: false),
            resetObservation: restart, failure: failure)
    }

    /// The observation the copy's next action is chosen from.
    public var nextObservation: [Float] { resetObservation ?? transition.observation }
}
