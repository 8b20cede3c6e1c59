/// What one gradient update measured, for logs and `metrics.csv`.
public struct UpdateMetrics: Equatable, Sendable, Codable {
    /// J_Q summed over both Q networks.
    public var criticLoss: Float = 0
    /// J_π.
    public var actorLoss: Float = 0
    /// J_V (value-network variant only).
    public var valueLoss: Float?
    /// J(α) (automatic temperature only).
    public var temperatureLoss: Float?
    /// α used in this update.
    public var alpha: Float = 0
    /// Policy entropy estimate −E[log π(a|s)] on the batch, nats.
    public var entropy: Float = 0
    /// Mean Q₁(s, a) on the batch.
    public var meanQ: Float = 0

    public init() {}
}
