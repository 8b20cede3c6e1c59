/// What one environment step returns: Gymnasium's `(observation, reward, terminated, truncated, info)`.
public struct StepResult: Equatable, Sendable {
    /// The observation after the step. When the episode ended this is the true final observation.
    public var observation: [Float]
    /// The reward for the transition, in the environment's own units.
    public var reward: Double
    /// The new state is terminal: its value is zero and nothing bootstraps from it.
    public var terminated: Bool
    /// The episode was cut short (a time limit): the state is not terminal, so value bootstraps from it.
    public var truncated: Bool
    /// Numeric diagnostics by name (Gymnasium's `info` restricted to numbers).
    public var info: [String: Double]

    /// A step result; `info` defaults to empty.
    public init(observation: [Float], reward: Double, terminated: Bool, truncated: Bool, info: [String: Double] = [:]) {
        self.observation = observation
        self.reward = reward
        self.terminated = terminated
        self.truncated = truncated
        self.info = info
    }

    /// The episode is over, by termination or truncation.
    public var isLast: Bool { terminated || truncated }
}
