/// Every hyperparameter of an SAC agent, with the defaults of Stable-Baselines3, CleanRL and the
/// paper's Table 1 (Haarnoja et al., 2018, appendix D).
public struct SACConfiguration: Codable, Equatable, Sendable {
    /// Formulation to train; ``SACVariant/twinQ`` by default.
    public var variant: SACVariant = .twinQ
    /// Hidden layer widths of every network (actor, Q networks, value network): 256×256 ReLU.
    public var hiddenSizes: [Int] = [256, 256]
    /// Transitions per gradient update.
    public var batchSize: Int = 256
    /// Adam learning rate of every network and of log α.
    public var learningRate: Float = 3e-4
    /// Discount factor γ per environment step.
    public var gamma: Float = 0.99
    /// Polyak averaging coefficient τ of the target networks, applied after every update.
    public var tau: Float = 0.005
    /// Temperature α. `nil` means automatic tuning (twin-q only; starts at α = 1 as in SB3); the
    /// value-network variant always uses a fixed α and defaults to 0.2 when this is `nil`.
    public var alpha: Float? = nil
    /// Entropy the temperature tuning aims for, in nats; `nil` means −dim(A).
    public var targetEntropy: Float? = nil
    /// Seed of the agent's generator (initialisation, exploration noise, replay sampling).
    public var seed: UInt64 = 0

    /// The defaults.
    public init() {}

    /// The value-network variant's fixed temperature when none is given (the paper's reward scale 5
    /// for most tasks corresponds to α = 0.2).
    public static let defaultFixedAlpha: Float = 0.2

    /// Throws ``SACError/invalidConfiguration(_:)`` naming the first bad field.
    public func validate() throws(SACError) {
        func check(_ condition: Bool, _ message: String) throws(SACError) {
            if !condition { throw .invalidConfiguration(message) }
        }
        try check(!hiddenSizes.isEmpty && hiddenSizes.allSatisfy { $0 > 0 }, "hidden sizes \(hiddenSizes) must be one or more positive widths")
        try check(batchSize > 0, "batch size \(batchSize) must be > 0")
        try check(learningRate > 0 && learningRate.isFinite, "learning rate \(learningRate) must be finite and > 0")
        try check(gamma >= 0 && gamma <= 1, "gamma \(gamma) must lie in [0, 1]")
        try check(tau > 0 && tau <= 1, "tau \(tau) must lie in (0, 1]")
        if let alpha { try check(alpha >= 0 && alpha.isFinite, "alpha \(alpha) must be finite and >= 0") }
        if let targetEntropy { try check(targetEntropy.isFinite, "target entropy \(targetEntropy) must be finite") }
    }
}
