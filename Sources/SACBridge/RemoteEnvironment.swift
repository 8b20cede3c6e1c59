import SACBridgeProtocol
import SACEnvironments
import SACZeroMQ

/// An `Environment` that lives in another process or on another machine, reached through the envbridge
/// protocol over ZeroMQ. To a caller it is the same as a local environment but for the address it was made
/// with: `var env: any Environment = try RemoteEnvironment(address: "tcp://127.0.0.1:5555")`.
///
/// Observations arrive in the server's dtype and are rounded to `Float` here, because the
/// `Environment` protocol speaks `Float` (pass `observationDType: .float32` in the options to have the
/// server do the cast instead). The server resets an ended episode itself; the following `reset(seed: nil)`
/// returns that first observation without a round trip. The session must hold exactly one environment.
public final class RemoteEnvironment: ReconnectableEnvironment, AsynchronousEnvironment {
    public let observationSpace: Box
    public let actionSpace: Box
    public var id: String { client.session.environmentID }
    /// The underlying session, for batch-level details (server step time, instance id).
    public private(set) var client: RemoteEnvironmentClient
    public var address: String { client.address }
    private let context: ZeroMQContext

    private var nextEpisodeStart: [Float]?
    private var needsReset = true
    /// Every step's reply is read into this one value (``RemoteEnvironmentClient/receiveStep(into:)``).
    private var reply = BridgeReply.Step.empty

    /// Connects to `address` (`tcp://host:port`, `ipc:///path`, `inproc://name`) and opens a session.
    public init(address: String, options: RemoteEnvironmentClient.Options = .init(), context: ZeroMQContext = .shared) throws {
        (client, observationSpace, actionSpace) = try RemoteEnvironmentClient.openSession(
            address: address, options: options, context: context, numEnvs: 1,
            hint: "RemoteEnvironment steps one; start the server with --num-envs 1, or use RemoteVectorEnvironment")
        self.context = context
    }

    deinit { client.close() }

    public func reset(seed: UInt64?) throws -> [Float] {
        if seed == nil, let start = nextEpisodeStart {
            nextEpisodeStart = nil
            needsReset = false
            return start
        }
        return try reset(seeds: [seed], states: [])
    }

    /// Starts an episode from a given physical state on the server (the state hook; see the protocol spec).
    public func reset(toState state: [Double]) throws -> [Float] {
        try reset(seeds: [], states: [state])
    }

    private func reset(seeds: [UInt64?], states: [[Double]?]) throws -> [Float] {
        nextEpisodeStart = nil
        needsReset = true
        let reply = try client.reset(seeds: seeds, states: states)
        needsReset = false
        return reply.observations.floats()
    }

    public func step(_ action: [Float]) throws -> StepResult {
        try beginStep(action)
        return try finishStep()
    }

    /// Sends the step request and returns at once (the simulator steps while the caller works).
    public func beginStep(_ action: [Float]) throws {
        try actionSpace.validate(action)
        guard !needsReset else { throw EnvironmentError.resetNeeded(id: id) }
        needsReset = true
        try action.withUnsafeBufferPointer { actions throws(RemoteEnvironmentError) in try client.sendStep(float32: actions) }
    }

    /// Receives the reply to ``beginStep(_:)``.
    public func finishStep() throws -> StepResult {
        try client.receiveStep(into: &reply)
        if let failure = reply.failures.first {
            throw RemoteEnvironmentError.environmentFailure(address: client.address, index: failure.index, failure.error)
        }
        let ended = reply.terminated[0] || reply.truncated[0]
        var observation = reply.observations.floats()
        if ended {
            guard let final = reply.finalObservations[0] else {
                throw RemoteEnvironmentError.protocolViolation(address: client.address, "episode ended without a final observation")
            }
            let finalObservation = final.floats()
            guard finalObservation.count == observationSpace.count else {
                throw RemoteEnvironmentError.protocolViolation(address: client.address, "the final observation has \(finalObservation.count) elements, expected \(observationSpace.count)")
            }
            nextEpisodeStart = observation
            observation = finalObservation
        } else {
            needsReset = false
        }
        return StepResult(observation: observation, reward: reply.rewards[0], terminated: reply.terminated[0], truncated: reply.truncated[0],
                          info: reply.infos.first ?? [:])
    }

    public func close() throws { client.close() }

    /// Opens a new session with the same options; the server must still serve the same spaces.
    public func reconnect() throws {
        client.close()
        let fresh = try RemoteEnvironmentClient(address: client.address, options: client.options, context: context)
        guard fresh.numEnvs == 1, try fresh.session.observationSpace.box() == observationSpace,
              try fresh.session.actionSpace.box() == actionSpace else {
            fresh.close()
            throw RemoteEnvironmentError.unsupported(address: client.address, "after reconnecting, the server offers different spaces or environment count")
        }
        client = fresh
        nextEpisodeStart = nil
        needsReset = true
    }

    /// Timeouts, transport failures, a restarted server and a forgotten session are connection losses.
    public func isConnectionLoss(_ error: any Error) -> Bool {
        (error as? RemoteEnvironmentError)?.isConnectionLoss ?? false
    }
}
