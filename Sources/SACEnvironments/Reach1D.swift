import SACRandomness

/// A tiny deterministic environment for fast learning tests: a point on a line must reach the origin.
///
/// Observation `[x]` with x ∈ [−1, 1]; action `a` ∈ [−1, 1] (clipped). Per step
/// `x′ = clip(x + 0.25·a, −1, 1)` and reward `−|x′|`. Episodes start at a uniform x ∈ [−1, 1) and are
/// truncated by ``TimeLimit`` (25 steps in ``EnvironmentRegistry``). Moving straight to the origin earns
/// about −0.6 per episode on average; a uniformly random policy earns about −12.
public struct Reach1D: Environment, Sendable {
    public let id = "Reach1D-v0"
    /// Distance moved per unit of action.
    public static let speed = 0.25

    public let observationSpace: Box
    public let actionSpace: Box

    /// Current position; `nil` before the first reset.
    public internal(set) var position: Double?
    var generator: PCG64

    /// A line seeded with `seed` until the first `reset(seed:)`.
    public init(seed: UInt64 = 0) {
        self.observationSpace = try! Box(low: [-1], high: [1])
        self.actionSpace = try! Box(low: [-1], high: [1])
        self.generator = PCG64(seed: seed)
    }

    public mutating func reset(seed: UInt64?) throws -> [Float] {
        if let seed { generator = PCG64(seed: seed) }
        let x = generator.uniform(-1, 1)
        position = x
        return [Float(x)]
    }

    /// Starts an episode at position `x`, clipped into [−1, 1].
    public mutating func reset(position x: Double) throws -> [Float] {
        position = min(max(x, -1), 1)
        return [Float(position!)]
    }

    public mutating func step(_ action: [Float]) throws -> StepResult {
        try actionSpace.validate(action)
        guard let x = position else { throw EnvironmentError.resetNeeded(id: id) }
        let a = Double(min(max(action[0], -1), 1))
        let next = min(max(x + Self.speed * a, -1), 1)
        position = next
        return StepResult(observation: [Float(next)], reward: -abs(next), terminated: false, truncated: false)
    }
}
