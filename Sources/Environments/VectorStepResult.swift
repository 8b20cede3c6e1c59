/// What one copy of a ``VectorEnvironment`` returns from a step.
public struct VectorStepResult: Equatable, Sendable {
    /// The transition: its observation is the true next observation, the final one if the episode ended.
    public var transition: StepResult
    /// After an episode ended: the first observation of the copy's next episode (it restarted by itself).
    /// `nil` while the episode goes on.
    public var resetObservation: [Float]?

    /// A copy's step result.
    public init(transition: StepResult, resetObservation: [Float]? = nil) {
        self.transition = transition
        self.resetObservation = resetObservation
    }

    /// The observation the copy's next action is chosen from.
    public var nextObservation: [Float] { resetObservation ?? transition.observation }
}
