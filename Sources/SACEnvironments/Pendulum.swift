#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif
import SACRandomness

/// A faithful port of Gymnasium 1.4's `Pendulum-v1` (`gymnasium/envs/classic_control/pendulum.py`),
/// without the time limit, which ``TimeLimit`` adds (200 steps in ``EnvironmentRegistry``).
///
/// State: angle θ (rad, 0 = upright) and angular velocity θ̇ (rad/s), held in `Double` as Gymnasium holds
/// them in float64. Observation `[cos θ, sin θ, θ̇]` as float32. Action: torque `u` in N·m, clipped to
/// [−2, 2]. Per step (dt = 0.05 s, g = 10 m/s², m = 1 kg, l = 1 m):
/// ```
/// cost  = normalize(θ)² + 0.1·θ̇² + 0.001·u²
/// θ̇′    = clip(θ̇ + (3g/(2l)·sin θ + 3/(m l²)·u)·dt, −8, 8)
/// θ′    = θ + θ̇′·dt
/// reward = −cost
/// ```
/// The float32 roundings of numpy 2's promotion rules (the torque terms are float32) are reproduced, so
/// trajectories agree with Gymnasium to well within 1e-5. Reset draws θ ∈ [−π, π), θ̇ ∈ [−1, 1) exactly as
/// Gymnasium does (numpy's `PCG64` seeded through `SeedSequence`), so `reset(seed: s)` starts where
/// Gymnasium's `reset(seed=s)` starts and an unseeded reset continues the same stream;
/// ``reset(angle:angularVelocity:)`` starts from a given state.
public struct Pendulum: Environment, Sendable {
    public let id = "Pendulum-v1"
    /// Maximum angular speed, rad/s.
    public static let maxSpeed = 8.0
    /// Maximum torque, N·m.
    public static let maxTorque: Float = 2.0
    /// Integration step, s.
    public static let dt = 0.05
    /// Gravity, m/s² (Gymnasium's `g` argument).
    public let gravity: Double

    public let observationSpace: Box
    public let actionSpace: Box

    /// Current angle θ (rad) and angular velocity θ̇ (rad/s); `nil` before the first reset.
    public internal(set) var state: (angle: Double, angularVelocity: Double)?
    var generator: PCG64

    /// A pendulum under gravity `gravity` m/s², seeded with `seed` until the first `reset(seed:)`.
    public init(gravity: Double = 10.0, seed: UInt64 = 0) {
        self.gravity = gravity
        // Box(low, high) of Gymnasium's pendulum; these literals cannot violate low <= high.
        self.observationSpace = try! Box(low: [-1, -1, -8], high: [1, 1, 8])
        self.actionSpace = try! Box(low: [-2], high: [2])
        self.generator = PCG64(seed: seed)
    }

    public mutating func reset(seed: UInt64?) throws -> [Float] {
        if let seed { generator = PCG64(seed: seed) }
        // Gymnasium: np_random.uniform(low=-[π, 1], high=[π, 1]), one draw each, in that order.
        let angle = generator.uniform(-Double.pi, Double.pi)
        let velocity = generator.uniform(-1, 1)
        return try reset(angle: angle, angularVelocity: velocity)
    }

    /// Starts an episode from a given state (what Gymnasium's `env.unwrapped.state = ...` does); used to
    /// compare trajectories with Gymnasium and to serve reference starts over the bridge.
    public mutating func reset(angle: Double, angularVelocity: Double) throws -> [Float] {
        guard angle.isFinite, angularVelocity.isFinite else {
            throw EnvironmentError.invalidState("pendulum state (\(angle), \(angularVelocity)) must be finite")
        }
        state = (angle, angularVelocity)
        return observation
    }

    public mutating func step(_ action: [Float]) throws -> StepResult {
        try actionSpace.validate(action)
        guard let (theta, thetaDot) = state else { throw EnvironmentError.resetNeeded(id: id) }
        let u = min(max(action[0], -Self.maxTorque), Self.maxTorque)
        let costs =
            Self.normalizeAngle(theta) * Self.normalizeAngle(theta) + 0.1 * thetaDot * thetaDot
            + Double(Float(0.001) * (u * u))
        let newThetaDot = min(
            max(
                thetaDot + (3 * gravity / 2 * sin(theta) + Double(Float(3.0) * u)) * Self.dt,
                -Self.maxSpeed), Self.maxSpeed)
        state = (theta + newThetaDot * Self.dt, newThetaDot)
        return StepResult(observation: observation, reward: -costs, terminated: false, truncated: false)
    }

    private var observation: [Float] {
        guard let (theta, thetaDot) = state else { return [0, 0, 0] }
        return [Float(cos(theta)), Float(sin(theta)), Float(thetaDot)]
    }

    /// Maps an angle into [−π, π) with numpy's floor-modulo semantics: `((x + π) mod 2π) − π`.
    public static func normalizeAngle(_ x: Double) -> Double {
        let period = 2 * Double.pi
        var r = fmod(x + Double.pi, period)
        if r != 0 && r < 0 { r += period }
        return r - Double.pi
    }
}
