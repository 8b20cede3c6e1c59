import SACBridgeProtocol
import SACEnvironments
import SACZeroMQ
#if canImport(Glibc)
    import Glibc
#endif

/// A session with an envbridge server: the batched, two-phase client beneath ``RemoteEnvironment``.
///
/// Stepping is split into ``sendStep(_:)`` and ``receiveStep()`` so a caller can work (e.g. run gradient
/// updates) while the simulator steps. The client owns a REQ socket. A REQ socket whose receive timed out
/// is stuck (its next send fails with EFSM), so on a timeout the client closes and reopens it, then resends
/// the same request with the same id (the server answers a repeated id from its memory instead of
/// stepping twice), up to ``Options/retries`` times with back-off, before reporting the error.
public final class RemoteEnvironmentClient {
    /// Connection settings.
    public struct Options: Sendable {
        /// Milliseconds to wait for any reply (handshake, reset, step, close) before retrying.
        public var timeoutMilliseconds: Int = 10_000
        /// Retries after a timeout (same request id, so the server never steps twice), each after a
        /// back-off of 100 ms × 2^attempt on a fresh socket. 0 fails on the first timeout.
        public var retries: Int = 2
        /// Microseconds to check for a reply without blocking before sleeping until it comes, so that a
        /// quick server's reply costs no wake-up (see `ZeroMQSocket.receiveMultipart(spinMicroseconds:)`);
        /// 0 blocks at once. `nil`: ``automaticSpinMicroseconds`` for an `inproc://` address, 0 otherwise —
        /// over tcp and ipc libzmq's I/O threads and the server's process need the cores, while an
        /// in-process server answers within the check (`sac-dev bench bridge`).
        public var spinMicroseconds: Int? = nil
        /// The check before blocking for a server in this process (`inproc://`).
        public static let automaticSpinMicroseconds = 50
        /// Largest reply frame accepted, bytes.
        public var maximumMessageBytes: Int = 64 << 20
        /// `nil`: observations in the server's dtype; `.float32`: the server casts them.
        public var observationDType: TensorDType? = nil
        /// Name sent in the handshake, for the server's logs.
        public var clientName: String = "swift-sac"
        /// The server's CURVE public key (Z85), for servers that encrypt; `nil` for plain connections.
        public var curveServerKey: String?
        /// This client's CURVE key pair (its public key must be on the server's allow-list, if it has
        /// one); `nil` with a server key generates a throwaway pair.
        public var curveKeyPair: CurveKeyPair?

        public init() {}

        /// The check before blocking used for `address`: ``spinMicroseconds``, or the automatic choice.
        public func spinMicroseconds(for address: String) -> Int {
            spinMicroseconds ?? (address.hasPrefix("inproc://") ? Self.automaticSpinMicroseconds : 0)
        }
    }

    /// The ZeroMQ address of the server.
    public let address: String
    /// Connection settings.
    public let options: Options
    /// Microseconds a receive checks for the reply before blocking (``Options/spinMicroseconds(for:)``).
    private let spinMicroseconds: Int
    /// What the server said in the handshake.
    public private(set) var session: BridgeReply.Handshake
    /// `[num_envs, *observation_shape]` and `[num_envs, *action_shape]` from the handshake: the
    /// observations' shape is checked on every step, the actions' is sent with them.
    private var observationRowsShape: [Int] = [], actionRowsShape: [Int] = []
    /// The server's instance id at the handshake.
    public private(set) var serverInstanceID: String
    /// Seconds the server reported spending in environment steps, summed.
    public private(set) var serverStepSeconds = 0.0

    private let context: ZeroMQContext
    private var socket: ZeroMQSocket
    private var nextRequestID: UInt64 = 1
    /// The id of the step request sent and not yet answered.
    private var pendingStepID: UInt64?
    /// The request awaiting its reply, encoded: resent as it is after a timeout. Step requests are
    /// written into it in place and replies received into `replyBytes`, so a step allocates no message.
    private var requestBytes: [UInt8] = [], replyBytes: [UInt8] = []

    /// Milliseconds of refused connection attempts (a closed TCP port, a missing ipc socket file) after
    /// which opening a session gives up with ``RemoteEnvironmentError/refused(address:milliseconds:)``
    /// instead of waiting for the handshake's timeout and retries.
    public static let refusedAfterMilliseconds = 1_000

    /// The most environments per session a client accepts from a server's handshake.
    public static let maximumEnvironments = 1 << 16
    /// The longest environment id a client accepts, in UTF-8 bytes (Gymnasium's are tens).
    public static let maximumIDBytes = 256

    /// Connects to `address` and opens a session (handshake). A tcp or ipc address that refuses every
    /// connection attempt for ``refusedAfterMilliseconds`` (at most the timeout) is reported then.
    public init(address: String, options: Options = Options(), context: ZeroMQContext = .shared) throws(RemoteEnvironmentError) {
        self.address = address
        self.options = options
        self.context = context
        spinMicroseconds = options.spinMicroseconds(for: address)
        let monitor: ZeroMQConnectionMonitor?
        (socket, monitor) = try Self.makeSocket(
            address: address, options: options, context: context, monitored: !address.hasPrefix("inproc://"))
        session = BridgeReply.Handshake(
            environmentID: "", observationSpace: .init(low: .init(float32: []), high: .init(float32: [])),
            actionSpace: .init(low: .init(float32: []), high: .init(float32: [])), numEnvs: 0,
            sessionID: "", maxEpisodeSteps: 0)
        serverInstanceID = ""
        if let monitor { try waitUntilReachable(monitor) }
        // The retries of this handshake reuse its nonce, so a lost reply never opens a second session.
        let nonce = String(UInt64.random(in: 0...UInt64.max), radix: 16) + String(UInt64.random(in: 0...UInt64.max), radix: 16)
        let hello = BridgeRequest.Handshake(clientName: options.clientName, observationDType: options.observationDType, clientNonce: nonce)
        let reply = try roundTrip(.handshake(hello), sessionID: "")
        guard case let .handshake(opened) = reply.kind else { throw violation("expected a handshake reply, got \(reply.kind)") }
        // What a server sends is untrusted: it sizes the learner's arrays and ends up in paths and logs.
        guard (1...Self.maximumEnvironments).contains(opened.numEnvs) else {
            throw violation("server opened a session with \(opened.numEnvs) environments; 1...\(Self.maximumEnvironments) are accepted")
        }
        let idBytes = opened.environmentID.utf8.count
        let hasControl = opened.environmentID.unicodeScalars.contains { $0.properties.generalCategory == .control }
        guard (1...Self.maximumIDBytes).contains(idBytes), !hasControl else {
            throw violation(
                "environment id of \(idBytes) bytes\(hasControl ? " with control characters" : ""); ids are 1...\(Self.maximumIDBytes) bytes of printable text"
            )
        }
        session = opened
        observationRowsShape = [opened.numEnvs] + opened.observationSpace.low.shape
        actionRowsShape = [opened.numEnvs] + opened.actionSpace.low.shape
        serverInstanceID = reply.serverInstanceID
    }

    deinit { socket.close() }

    /// Environments stepped per request.
    public var numEnvs: Int { session.numEnvs }

    /// Whether the server resets some environments alone (protocol 1.1, ``reset(seeds:states:environments:)``).
    public var resetsEnvironmentsAlone: Bool { session.protocolMinor >= 1 }

    /// Resets every environment, or those `environments` names (strictly increasing; only where
    /// ``resetsEnvironmentsAlone``); `seeds` and `states` are empty or one per environment reset.
    public func reset(seeds: [UInt64?] = [], states: [[Double]?] = [], environments: [Int] = []) throws(RemoteEnvironmentError)
        -> BridgeReply.Reset
    {
        guard environments.isEmpty || resetsEnvironmentsAlone else {
            throw .unsupported(
                address: address,
                "the server speaks protocol \(session.protocolMajor).\(session.protocolMinor), which resets only every environment at once (1.1 resets some alone)"
            )
        }
        let tensors = states.map { $0.map { Tensor(float64: $0) } }
        let reply = try roundTrip(
            .reset(.init(seeds: seeds, states: tensors, environmentIndices: environments)), sessionID: session.sessionID)
        guard case let .reset(reset) = reply.kind else { throw violation("expected a reset reply, got \(reply.kind)") }
        let rows = environments.isEmpty ? numEnvs : environments.count
        guard reset.observations.shape == [rows] + observationRowsShape.dropFirst() else {
            throw violation(
                "reset observations have shape \(reset.observations.shape), expected \([rows] + observationRowsShape.dropFirst())")
        }
        return reset
    }

    /// Sends a step request for all environments and returns at once; ``receiveStep()`` collects the reply.
    /// `actions` is `[num_envs, *action_shape]`.
    public func sendStep(_ actions: Tensor) throws(RemoteEnvironmentError) {
        precondition(pendingStepID == nil, "sendStep called twice without receiveStep")
        requestBytes = MessageCodec.encode(
            BridgeRequest(requestID: nextRequestID, sessionID: session.sessionID, kind: .step(actions: actions)))
        try sendPendingStep()
    }

    /// ``sendStep(_:)`` for float32 actions in place, `[num_envs, *action_shape]` flattened row-major:
    /// written straight into the request's reused buffer, without a `Tensor`.
    public func sendStep(float32 actions: UnsafeBufferPointer<Float>) throws(RemoteEnvironmentError) {
        precondition(pendingStepID == nil, "sendStep called twice without receiveStep")
        guard actions.count == actionRowsShape.reduce(1, *) else {
            throw .invalidActions(
                address: address,
                "\(actions.count) action elements; this session steps \(numEnvs) environments of shape \(Array(actionRowsShape.dropFirst())) (\(actionRowsShape.reduce(1, *)) elements)"
            )
        }
        MessageCodec.encodeStepRequest(
            requestID: nextRequestID, sessionID: session.sessionID, actions: actions, actionShape: actionRowsShape, into: &requestBytes)
        try sendPendingStep()
    }

    private func sendPendingStep() throws(RemoteEnvironmentError) {
        let id = nextRequestID
        nextRequestID += 1
        try send()
        pendingStepID = id
    }

    /// Waits for the reply to the last ``sendStep(_:)``.
    public func receiveStep() throws(RemoteEnvironmentError) -> BridgeReply.Step {
        var step = BridgeReply.Step.empty
        try receiveStep(into: &step)
        return step
    }

    /// ``receiveStep()`` into `step`, whose arrays are overwritten in place when their lengths stay the
    /// same: a caller that receives every step into one value allocates nothing for an ordinary step (one
    /// without final observations, failures or infos).
    public func receiveStep(into step: inout BridgeReply.Step) throws(RemoteEnvironmentError) {
        guard let id = pendingStepID else { throw violation("receiveStep called without a pending step") }
        pendingStepID = nil
        try receiveRetrying()
        // An ordinary step reply is read in place; anything
        // else (an error, failures, infos) is decoded whole.
        if let view = MessageCodec.viewStepReply(replyBytes) {
            try checkSameServer(view.serverInstanceID)
            try checkAnswer(view.requestID, to: id)
            view.read(into: &step)
        } else {
            let reply = try decodeReply(expecting: id)
            guard case let .step(decoded) = reply.kind else { throw violation("expected a step reply, got \(reply.kind)") }
            step = decoded
        }
        let n = numEnvs
        guard step.rewards.count == n, step.terminated.count == n, step.truncated.count == n else {
            throw violation(
                "step reply has \(step.rewards.count) rewards, \(step.terminated.count) terminated and \(step.truncated.count) truncated flags for \(n) environments"
            )
        }
        try checkRows(step.observations, what: "step observations")
        serverStepSeconds += step.serverStepSeconds
    }

    /// One step: ``sendStep(_:)`` then ``receiveStep()``.
    public func step(_ actions: Tensor) throws(RemoteEnvironmentError) -> BridgeReply.Step {
        try sendStep(actions)
        return try receiveStep()
    }

    /// Ends the session on the server and closes the socket. Errors are ignored: the server expires
    /// idle sessions anyway.
    public func close() {
        if !socket.isClosed, pendingStepID == nil {
            _ = try? roundTrip(.close, sessionID: session.sessionID)
        }
        socket.close()
    }

    // MARK: Transport

    /// Returns once `monitor` saw the connection made, or after ``refusedAfterMilliseconds`` without a
    /// verdict (the handshake's timeout then decides); throws if every attempt until then was refused.
    private func waitUntilReachable(_ monitor: ZeroMQConnectionMonitor) throws(RemoteEnvironmentError) {
        let limit = min(Self.refusedAfterMilliseconds, options.timeoutMilliseconds)
        let clock = ContinuousClock(), start = clock.now
        var state = ZeroMQConnectionMonitor.State.connecting
        do {
            while clock.now - start < .milliseconds(limit) {
                state = try monitor.update(waitingMilliseconds: 20)
                if state == .connected { return }
            }
        } catch {
            throw .transport(address: address, error)
        }
        if state == .refused { throw .refused(address: address, milliseconds: limit) }
    }

    private static func makeSocket(address: String, options: Options, context: ZeroMQContext) throws(RemoteEnvironmentError) -> ZeroMQSocket
    {
        try makeSocket(address: address, options: options, context: context, monitored: false).socket
    }

    /// A connected REQ socket, with a monitor of its connection attempts when `monitored`.
    private static func makeSocket(
        address: String, options: Options, context: ZeroMQContext,
        monitored: Bool
    ) throws(RemoteEnvironmentError) -> (socket: ZeroMQSocket, monitor: ZeroMQConnectionMonitor?) {
        do {
            let socket = try ZeroMQSocket(.request, context: context)
            try socket.setReceiveTimeout(milliseconds: options.timeoutMilliseconds)
            try socket.setSendTimeout(milliseconds: options.timeoutMilliseconds)
            try socket.setMaximumMessageSize(bytes: options.maximumMessageBytes)
            if let serverKey = options.curveServerKey {
                let keyPair: CurveKeyPair
                if let given = options.curveKeyPair { keyPair = given } else { keyPair = try CurveKeyPair.generate() }
                try socket.makeCurveClient(serverPublicKey: serverKey, keyPair: keyPair)
            }
            let monitor = monitored ? try ZeroMQConnectionMonitor(watching: socket) : nil
            try socket.connect(address)
            return (socket, monitor)
        } catch {
            throw .transport(address: address, error)
        }
    }

    private func roundTrip(_ kind: BridgeRequest.Kind, sessionID: String) throws(RemoteEnvironmentError) -> BridgeReply {
        let id = nextRequestID
        nextRequestID += 1
        requestBytes = MessageCodec.encode(BridgeRequest(requestID: id, sessionID: sessionID, kind: kind))
        try send()
        try receiveRetrying()
        return try decodeReply(expecting: id)
    }

    /// Receives the reply to the request in `requestBytes` into `replyBytes`, resending the request on a
    /// fresh socket after each timeout.
    private func receiveRetrying() throws(RemoteEnvironmentError) {
        var attempt = 0
        while true {
            do {
                return try receive()
            } catch .timedOut {
                guard attempt < options.retries else {
                    let backoff = (0..<attempt).reduce(0) { $0 + (100 << min($1, 6)) }
                    throw .timedOut(address: address, milliseconds: options.timeoutMilliseconds * (attempt + 1) + backoff)
                }
                usleep(useconds_t(100_000 << min(attempt, 6)))
                attempt += 1
                try send()
            }
        }
    }

    /// Sends `requestBytes`.
    private func send() throws(RemoteEnvironmentError) {
        do {
            try socket.send(requestBytes)
        } catch {
            try reopen()
            throw .transport(address: address, error)
        }
    }

    /// Receives one reply into `replyBytes`.
    private func receive() throws(RemoteEnvironmentError) {
        do {
            try socket.receive(into: &replyBytes, spinMicroseconds: spinMicroseconds)
        } catch {
            try reopen()
            if case .timedOut = error { throw .timedOut(address: address, milliseconds: options.timeoutMilliseconds) }
            throw .transport(address: address, error)
        }
    }

    /// The reply in `replyBytes`, decoded whole and checked as the answer to request `id`.
    private func decodeReply(expecting id: UInt64) throws(RemoteEnvironmentError) -> BridgeReply {
        let reply: BridgeReply
        do { reply = try MessageCodec.decodeReply(replyBytes) } catch { throw violation("undecodable reply: \(error.message)") }
        try checkSameServer(reply.serverInstanceID)
        if case let .error(error) = reply.kind { throw .server(address: address, error) }
        try checkAnswer(reply.requestID, to: id)
        return reply
    }

    /// Throws when a reply comes from another server instance than the handshake's.
    private func checkSameServer(_ instanceID: String) throws(RemoteEnvironmentError) {
        if !serverInstanceID.isEmpty, instanceID != serverInstanceID {
            throw .serverRestarted(address: address, previous: serverInstanceID, current: instanceID)
        }
    }

    /// Throws when a reply answers another request than `id`.
    private func checkAnswer(_ requestID: UInt64, to id: UInt64) throws(RemoteEnvironmentError) {
        if requestID != id { throw violation("reply to request \(requestID) arrived for request \(id)") }
    }

    /// A REQ socket that missed a reply can never send again: replace it.
    private func reopen() throws(RemoteEnvironmentError) {
        socket.close()
        socket = try Self.makeSocket(address: address, options: options, context: context)
    }

    private func checkRows(_ tensor: Tensor, what: String) throws(RemoteEnvironmentError) {
        guard tensor.shape == observationRowsShape else {
            throw violation("\(what) have shape \(tensor.shape), expected \(observationRowsShape)")
        }
    }

    private func violation(_ detail: String) -> RemoteEnvironmentError {
        .protocolViolation(address: address, detail)
    }
}
