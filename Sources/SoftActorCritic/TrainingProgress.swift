/// A snapshot of a run in progress, handed to the trainer's progress callback.
public struct TrainingProgress: Sendable {
    /// Environment steps taken.
    public var step: Int
    /// Environment steps planned.
    public var totalSteps: Int
    /// Environment steps per second since this process started (or resumed) the run.
    public var stepsPerSecond: Double
    /// Gradient updates performed.
    public var gradientUpdates: Int
    /// Seconds this process has spent in gradient updates (sampling their batches included) since it
    /// started or resumed the run: against the wall time, how much of a step the updates take, and with a
    /// remote simulator whether they hide behind its steps.
    public var updateSeconds: Double
    /// Return of the last finished training episode.
    public var lastEpisodeReturn: Double?
    /// Mean return of the last evaluation.
    public var lastEvaluationReturn: Double?
    /// Current temperature α.
    public var alpha: Double
    /// Estimated seconds to finish at the current rate.
    public var secondsRemaining: Double
    /// Whether this is the final report of the run.
    public var isFinal: Bool
    /// Remote servers the run steps (0 in process).
    public var servers: Int
    /// Of those, the ones up now (not reconnecting, not dropped).
    public var serversUp: Int
}
