import SACBridgeProtocol
import SACEnvironments
import SACZeroMQ

/// A batched envbridge session as a `VectorEnvironment`: the server steps its `num_envs` copies (its
/// `--num-envs`) per request, so N environment steps cost one round trip. The server restarts ended
/// episodes itself and sends their final observations, which this type hands on unchanged.
///
/// Observations are rounded to `Float` here unless the options ask the server for float32. When one
/// copy's simulator fails in a batch, the server restarts that copy and steps the others; its result
/// carries the failure (`VectorStep.failures`) and the new episode's first observation, and the
/// other copies' transitions arrive as usual. A copy that fails again on the next step (its restart
/// failed too) ends the step with ``RemoteEnvironmentError/environmentFailure(address:index:_:)``.
public final class RemoteVectorEnvironment: VectorEnvironment {
    public let observationSpace: Box
    public let actionSpace: Box
    public var id: String { client.session.environmentID }
    public var numEnvs: Int { client.numEnvs }
    /// The underlying session (server step time, instance id).
    public private(set) var client: RemoteEnvironmentClient
    private let context: ZeroMQContext
    private var needsReset = true
    /// Server stepping time reported in sessions before the last reconnect.
    private var stepSecondsOfClosedSessions = 0.0
    /// The failed-copy rule: which copies failed on the previous step.
    private var failedCopies = FailedCopies()
    /// The reply every step is read into.
    private var reply = BridgeReply.Step.empty

    /// Connects to `address` and opens a session; `numEnvs`, when given, must equal the number of
    /// copies the server steps per request.
    public convenience init(
        address: String, numEnvs: Int? = nil, options: RemoteEnvironmentClient.Options = .init(),
        context: ZeroMQContext = .shared
    ) throws {
        try self.init(
            address: address, numEnvs: numEnvs, options: options, context: context,
            hint: "start the server with --num-envs \(numEnvs ?? 1), or leave out --num-envs to take the server's number")
    }

    /// `hint`: what to do when the server steps another number of copies than `numEnvs`.
    init(address: String, numEnvs: Int?, options: RemoteEnvironmentClient.Options, context: ZeroMQContext, hint: String) throws {
        (client, observationSpace, actionSpace) = try RemoteEnvironmentClient.openSession(
            address: address, options: options, context: context, numEnvs: numEnvs, hint: hint)
        self.context = context
    }

    deinit { client.close() }

    public func reset(seeds: [UInt64?]) throws -> FloatRows {
        guard seeds.isEmpty || seeds.count == numEnvs else { throw EnvironmentError.copyCountMismatch(expected: numEnvs, got: seeds.count) }
        return try reset(seeds: seeds, states: [])
    }

    /// Starts every copy's episode from a given physical state on the server (the protocol's state hook).
    public func reset(toStates states: [[Double]]) throws -> FloatRows {
        guard states.count == numEnvs else { throw EnvironmentError.copyCountMismatch(expected: numEnvs, got: states.count) }
        return try reset(seeds: [], states: states)
    }

    private func reset(seeds: [UInt64?], states: [[Double]?]) throws -> FloatRows {
        needsReset = true
        let reply = try client.reset(seeds: seeds, states: states)
        needsReset = false
        failedCopies.resetAll()
        return FloatRows(width: observationSpace.count, values: reply.observations.floats())
    }

    /// Whether the server restarts copies alone (it speaks envbridge 1.1); with a 1.0 server only every
    /// copy at once is reset.
    public var resetsCopiesAlone: Bool { client.resetsEnvironmentsAlone }

    public func reset(copies: [Int], seeds: [UInt64?]) throws -> FloatRows {
        try checkCopies(copies, of: numEnvs)
        guard seeds.isEmpty || seeds.count == copies.count else {
            throw EnvironmentError.copyCountMismatch(expected: copies.count, got: seeds.count)
        }
        guard resetsCopiesAlone else {
            throw EnvironmentError.cannotResetCopiesAlone(
                "\(client.address) speaks envbridge \(client.session.protocolMajor).\(client.session.protocolMinor), which resets only every copy at once"
            )
        }
        guard !needsReset else { throw EnvironmentError.resetNeeded(id: id) }
        let reply = try client.reset(seeds: seeds, environments: copies)
        for copy in copies { failedCopies.reset(copy: copy) }
        return FloatRows(width: observationSpace.count, values: reply.observations.floats())
    }

    public func step(_ actions: FloatRows) throws -> VectorStep {
        try send(actions)
        return try receive()
    }

    /// Validates the actions and sends the step request, written straight from the rows' buffer.
    private func send(_ actions: FloatRows) throws {
        try actionSpace.validate(actions, copies: numEnvs)
        guard !needsReset else { throw EnvironmentError.resetNeeded(id: id) }
        needsReset = true
        try actions.values.withUnsafeBufferPointer { flat throws(RemoteEnvironmentError) in try client.sendStep(float32: flat) }
    }

    /// Reads the step reply into `reply` (in place) and hands it on flat: the observations in one buffer,
    /// an array of its own only for each copy whose episode ended (its final observation).
    private func receive() throws -> VectorStep {
        try client.receiveStep(into: &reply)
        var failures: [Int: any Error & Sendable] = [:]
        for failure in reply.failures {
            guard (0..<numEnvs).contains(failure.index) else {
                throw RemoteEnvironmentError.protocolViolation(
                    address: client.address, "failure reported for environment \(failure.index) of \(numEnvs)")
            }
            // Failing again right after its restart, or unable to restart: the copy is out of service.
            guard failure.error.code != .resetNeeded, !failedCopies.failsAgain(failure.index) else {
                throw RemoteEnvironmentError.environmentFailure(address: client.address, index: failure.index, failure.error)
            }
            failures[failure.index] = RemoteEnvironmentError.environmentFailure(
                address: client.address, index: failure.index, failure.error)
        }
        failedCopies.finishStep(failed: failures.keys)
        var finals: [Int: [Float]] = [:]
        for i in 0..<numEnvs where failures[i] == nil && (reply.terminated[i] || reply.truncated[i]) {
            guard let final = reply.finalObservations[i] else {
                throw RemoteEnvironmentError.protocolViolation(
                    address: client.address, "environment \(i)'s episode ended without a final observation")
            }
            let finalObservation = final.floats()
            guard finalObservation.count == observationSpace.count else {
                throw RemoteEnvironmentError.protocolViolation(
                    address: client.address,
                    "environment \(i)'s final observation has \(finalObservation.count) elements, expected \(observationSpace.count)")
            }
            finals[i] = finalObservation
        }
        needsReset = false
        return VectorStep(
            observations: FloatRows(width: observationSpace.count, values: reply.observations.floats()), rewards: reply.rewards,
            terminated: reply.terminated, truncated: reply.truncated, finalObservations: finals, failures: failures,
            infos: reply.infos)
    }

    public var stepsElsewhere: Bool { true }
    /// The server's reported stepping time over every session this environment opened.
    public var reportedStepSeconds: Double? { stepSecondsOfClosedSessions + client.serverStepSeconds }
    public var address: String? { client.address }

    public func isConnectionLoss(_ error: any Error) -> Bool {
        (error as? RemoteEnvironmentError)?.isConnectionLoss ?? false
    }

    /// Opens a new session; the server must still serve the same spaces and number of copies.
    public func reconnect() throws {
        client.close()
        let fresh = try RemoteEnvironmentClient(address: client.address, options: client.options, context: context)
        guard fresh.numEnvs == numEnvs, try fresh.session.observationSpace.box() == observationSpace,
            try fresh.session.actionSpace.box() == actionSpace
        else {
            fresh.close()
            throw RemoteEnvironmentError.unsupported(
                address: client.address, "after reconnecting, the server offers different spaces or a different number of environments")
        }
        stepSecondsOfClosedSessions += client.serverStepSeconds
        client = fresh
        needsReset = true
    }

    public func close() throws { client.close() }
}
