import SACEnvironments

/// Maps the agent's normalised actions in [−1, 1]ᴬ to an environment's box and back:
/// `env = low + (a + 1)·(high − low)/2`. Stable-Baselines3 does the same for squashed policies.
public struct ActionScaling: Equatable, Sendable, Codable {
    /// Lower bounds of the environment's actions.
    public let low: [Float]
    /// Upper bounds of the environment's actions.
    public let high: [Float]

    /// A scaling for `space`, which must have finite bounds.
    public init(_ space: Box) throws(SACError) {
        guard space.isBounded else { throw .unboundedActionSpace(space) }
        low = space.low
        high = space.high
    }

    /// A scaling for explicit bounds (e.g. read from a policy file).
    public init(low: [Float], high: [Float]) {
        self.low = low
        self.high = high
    }

    /// The environment action for a normalised one.
    public func toEnvironment(_ normalized: [Float]) -> [Float] {
        (0..<low.count).map { low[$0] + (normalized[$0] + 1) * 0.5 * (high[$0] - low[$0]) }
    }

    /// The environment actions for normalised ones, one row each (the same arithmetic as one at a time).
    public func toEnvironment(_ normalized: FloatRows) -> FloatRows {
        var values = normalized.values
        let width = low.count
        for row in 0..<normalized.count {
            for j in 0..<width {
                values[row * width + j] = low[j] + (normalized.values[row * width + j] + 1) * 0.5 * (high[j] - low[j])
            }
        }
        return FloatRows(width: width, values: values)
    }

    /// The normalised action for an environment one.
    public func toNormalized(_ action: [Float]) -> [Float] {
        (0..<low.count).map { 2 * (action[$0] - low[$0]) / (high[$0] - low[$0]) - 1 }
    }
}
