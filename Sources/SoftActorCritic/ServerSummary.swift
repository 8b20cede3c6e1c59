/// One remote server's part in a run, an entry of `summary.json`'s `servers` (keys in snake_case).
public struct ServerSummary: Codable, Equatable, Sendable {
    /// Whether the server was still stepping at the end.
    public enum State: String, Codable, Sendable {
        /// Up, or reconnecting, at the end of the run.
        case ok
        /// Dropped after its reconnection attempts ran out.
        case dropped
    }

    /// The server's address.
    public var address: String
    /// Copies it steps per request (its `--num-envs`).
    public var copies: Int
    /// Transitions stored from its copies by this process (summed over servers: the run's stored
    /// transitions since it started or resumed).
    public var envSteps: Int
    /// Times it was reconnected.
    public var reconnects: Int
    /// Mean milliseconds from sending a step to having its results, as the learner sees it.
    public var roundTripMs: Double?
    /// Mean milliseconds the server reported spending in a step (its simulator's time, without the network).
    public var serverStepMs: Double?
    /// Whether it was still stepping at the end.
    public var state: State
}
