import SACEnvironments
import SACZeroMQ

/// An `Environment` that lives in another process or on another machine, reached through the envbridge
/// protocol over ZeroMQ. To a caller it is the same as a local environment but for the address it was made
/// with: `var env: any Environment = try RemoteEnvironment(address: "tcp://127.0.0.1:5555")`.
///
/// A thin adapter over a ``RemoteVectorEnvironment`` of one copy, which does the protocol's work. The
/// server resets an ended episode itself; the following `reset(seed: nil)` returns that first observation
/// without a round trip. A step in which the simulator failed throws
/// ``RemoteEnvironmentError/environmentFailure(address:index:_:)``; the server has restarted the episode, and
/// `reset(seed: nil)` returns its first observation. The session must hold exactly one environment.
public final class RemoteEnvironment: ReconnectableEnvironment {
    /// The session of one copy this environment steps.
    public let session: RemoteVectorEnvironment
    public var observationSpace: Box { session.observationSpace }
    public var actionSpace: Box { session.actionSpace }
    public var id: String { session.id }
    /// The underlying client, for batch-level details (server step time, instance id).
    public var client: RemoteEnvironmentClient { session.client }
    public var address: String { session.client.address }

    /// The first observation of the episode the server started after the last one ended or failed.
    private var nextEpisodeStart: [Float]?

    /// Connects to `address` (`tcp://host:port`, `ipc:///path`, `inproc://name`) and opens a session.
    public init(address: String, options: RemoteEnvironmentClient.Options = .init(), context: ZeroMQContext = .shared) throws {
        session = try RemoteVectorEnvironment(
            address: address, numEnvs: 1, options: options, context: context,
            hint: "RemoteEnvironment steps one; start the server with --num-envs 1, or use RemoteVectorEnvironment")
    }

    public func reset(seed: UInt64?) throws -> [Float] {
        if seed == nil, let start = nextEpisodeStart {
            nextEpisodeStart = nil
            return start
        }
        nextEpisodeStart = nil
        return try session.reset(seeds: [seed]).values
    }

    /// Starts an episode from a given physical state on the server (the state hook; see the protocol spec).
    public func reset(toState state: [Double]) throws -> [Float] {
        nextEpisodeStart = nil
        return try session.reset(toStates: [state]).values
    }

    public func step(_ action: [Float]) throws -> StepResult {
        if nextEpisodeStart != nil { throw EnvironmentError.resetNeeded(id: id) }
        guard action.count == actionSpace.count else {
            throw EnvironmentError.actionShapeMismatch(expected: actionSpace.shape, count: action.count)
        }
        let step = try session.step(FloatRows(width: actionSpace.count, values: action))
        if let failure = step.failures[0] {
            nextEpisodeStart = step.observations.values
            throw failure
        }
        nextEpisodeStart = step.isLast(0) ? step.observations.values : nil
        return step.transition(0)
    }

    public func close() throws { try session.close() }

    /// Opens a new session with the same options; the server must still serve the same spaces.
    public func reconnect() throws {
        nextEpisodeStart = nil
        try session.reconnect()
    }

    /// Timeouts, transport failures, a restarted server and a forgotten session are connection losses.
    public func isConnectionLoss(_ error: any Error) -> Bool { session.isConnectionLoss(error) }
}
