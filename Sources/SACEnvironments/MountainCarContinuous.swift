#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif
import SACRandomness

/// A faithful port of Gymnasium 1.4's `MountainCarContinuous-v0`
/// (`gymnasium/envs/classic_control/continuous_mountain_car.py`), without the time limit, which
/// ``TimeLimit`` adds (999 steps in ``EnvironmentRegistry``).
///
/// State: position (in [−1.2, 0.6]) and velocity (in [−0.07, 0.07]), stored as float32 after every step
/// exactly as Gymnasium stores them. Action: a force in [−1, 1]. Per step:
/// ```
/// force     = clip(a, −1, 1)
/// velocity′ = clip(velocity + 0.0015·force − 0.0025·cos(3·position), −0.07, 0.07)
/// position′ = clip(position + velocity′, −1.2, 0.6);  velocity′ = 0 at the left wall when moving left
/// terminated = position′ ≥ 0.45 and velocity′ ≥ 0
/// reward     = 100·terminated − 0.1·a²
/// ```
/// Note that, as in Gymnasium, the action penalty uses the *unclipped* action `a`.
public struct MountainCarContinuous: Environment, Sendable {
    public let id = "MountainCarContinuous-v0"
    public static let minPosition = -1.2
    public static let maxPosition = 0.6
    public static let maxSpeed = 0.07
    public static let goalPosition = 0.45
    public static let goalVelocity = 0.0
    public static let power = 0.0015

    public let observationSpace: Box
    public let actionSpace: Box

    /// Current position and velocity; `nil` before the first reset.
    public internal(set) var state: (position: Double, velocity: Double)?
    var generator: PCG64

    /// A car seeded with `seed` until the first `reset(seed:)`.
    public init(seed: UInt64 = 0) {
        // Gymnasium's bounds; these literals cannot violate low <= high.
        self.observationSpace = try! Box(
            low: [Float(Self.minPosition), -Float(Self.maxSpeed)],
            high: [Float(Self.maxPosition), Float(Self.maxSpeed)])
        self.actionSpace = try! Box(low: [-1], high: [1])
        self.generator = PCG64(seed: seed)
    }

    /// Starts at a uniform position in [−0.6, −0.4) with zero velocity, drawn as Gymnasium draws it (numpy's
    /// `PCG64` seeded through `SeedSequence`): the same seed gives the same start.
    public mutating func reset(seed: UInt64?) throws -> [Float] {
        if let seed { generator = PCG64(seed: seed) }
        return try reset(position: generator.uniform(-0.6, -0.4), velocity: 0)
    }

    /// Starts an episode from a given state, as `env.unwrapped.state = ...` does in Gymnasium.
    public mutating func reset(position: Double, velocity: Double) throws -> [Float] {
        guard position.isFinite, velocity.isFinite else {
            throw EnvironmentError.invalidState("mountain car state (\(position), \(velocity)) must be finite")
        }
        state = (position, velocity)
        return [Float(position), Float(velocity)]
    }

    public mutating func step(_ action: [Float]) throws -> StepResult {
        try actionSpace.validate(action)
        guard var (position, velocity) = state else { throw EnvironmentError.resetNeeded(id: id) }
        let force = Double(min(max(action[0], -1), 1))
        velocity += force * Self.power - 0.0025 * cos(3 * position)
        velocity = min(max(velocity, -Self.maxSpeed), Self.maxSpeed)
        position += velocity
        position = min(max(position, Self.minPosition), Self.maxPosition)
        if position == Self.minPosition && velocity < 0 { velocity = 0 }
        let terminated = position >= Self.goalPosition && velocity >= Self.goalVelocity
        let reward = (terminated ? 100.0 : 0.0) - pow(Double(action[0]), 2) * 0.1
        // Gymnasium stores the new state as a float32 array; the next step starts from the rounded values.
        let observation = [Float(position), Float(velocity)]
        state = (Double(observation[0]), Double(observation[1]))
        return StepResult(observation: observation, reward: reward, terminated: terminated, truncated: false)
    }
}
