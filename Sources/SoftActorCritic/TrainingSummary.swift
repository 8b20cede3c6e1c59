/// The outcome of a training run, written as `summary.json` (keys in snake_case).
public struct TrainingSummary: Codable, Equatable, Sendable {
    public var env: String
    public var variant: String
    public var seed: UInt64
    /// Environment steps taken (transitions over all copies).
    public var envSteps: Int
    /// Copies of the environment stepped together (`--num-envs`).
    public var numEnvs: Int
    /// Gradient updates performed.
    public var gradientUpdates: Int
    /// Wall-clock duration of the run, seconds.
    public var wallSeconds: Double
    /// Gradient updates per wall-clock second of the whole run.
    public var updatesPerSecond: Double
    /// The number format the updates' matrix products ran in: `float32`, or `bf16` (``SACAgent/precision``).
    public var precision: String?
    /// Mean return of the final deterministic evaluation.
    public var evalReturnMean: Double?
    /// Standard deviation of those returns.
    public var evalReturnStd: Double?
    /// Transitions stored in the replay buffer (equals `envSteps` while under capacity).
    public var transitionsStored: Int
    /// Episodes finished during training.
    public var episodes: Int
    /// Temperature α at the end.
    public var finalAlpha: Double
    /// Times a lost remote environment was reconnected.
    public var reconnects: Int
    /// Episodes abandoned: the environment returned non-finite values (`--on-nonfinite skip-episode`), or
    /// one copy of a batched remote session failed in its simulator while the others stepped.
    public var skippedEpisodes: Int
    /// How the run ended.
    public var status: TrainingStatus
    /// One entry per remote server, in the order of their copies; absent when every copy ran in process.
    public var servers: [ServerSummary]?
}
