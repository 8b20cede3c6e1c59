/// An environment that can start an episode from a given physical state: the "state hook" the bridge
/// uses to put a local and a remote copy of an environment into the same start state.
public protocol StateSettable: Environment {
    /// The number of state variables ``reset(toState:)`` expects.
    var stateSize: Int { get }
    /// Starts an episode from `state` (in the environment's own units) and returns its observation.
    mutating func reset(toState state: [Double]) throws -> [Float]
}

extension Pendulum: StateSettable {
    /// θ (rad) and θ̇ (rad/s).
    public var stateSize: Int { 2 }
    public mutating func reset(toState state: [Double]) throws -> [Float] {
        guard state.count == 2 else { throw EnvironmentError.invalidState("Pendulum-v1 state is [θ, θ̇], got \(state.count) values") }
        return try reset(angle: state[0], angularVelocity: state[1])
    }
}

extension MountainCarContinuous: StateSettable {
    /// Position and velocity.
    public var stateSize: Int { 2 }
    public mutating func reset(toState state: [Double]) throws -> [Float] {
        guard state.count == 2 else {
            throw EnvironmentError.invalidState("MountainCarContinuous-v0 state is [position, velocity], got \(state.count) values")
        }
        return try reset(position: state[0], velocity: state[1])
    }
}

extension Reach1D: StateSettable {
    /// Position.
    public var stateSize: Int { 1 }
    public mutating func reset(toState state: [Double]) throws -> [Float] {
        guard state.count == 1, state[0].isFinite else { throw EnvironmentError.invalidState("Reach1D-v0 state is [x], got \(state)") }
        return try reset(position: state[0])
    }
}

extension TimeLimit: StateSettable where Base: StateSettable {
    public var stateSize: Int { base.stateSize }
    public mutating func reset(toState state: [Double]) throws -> [Float] {
        try reset { try $0.reset(toState: state) }
    }
}
