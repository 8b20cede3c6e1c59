import SACBridgeProtocol
import SACEnvironments
import SACZeroMQ
#if canImport(Glibc)
    import Glibc
#endif

/// Serves in-process `Environment`s over the envbridge protocol: each client session gets
/// `numEnvs` fresh copies from `makeEnvironment`, stepped together per request.
///
/// ``handle(_:)`` maps one request frame to one reply frame and never fails, so every request is
/// answered, bad ones with a typed error; ``serve(on:context:onBound:until:)`` runs it behind a REP socket. A retried
/// request (same session and request id as the last one) gets the cached reply instead of stepping twice.
/// Idle sessions expire. Not thread-safe: one server runs on one thread.
public final class EnvironmentServer {
    /// Server settings.
    public struct Options: Sendable {
        /// Environments stepped per request in each session.
        public var numEnvs = 1
        /// Seconds after which an idle session is dropped (looked for at most ten times per timeout, so up
        /// to a tenth of it later).
        public var sessionTimeoutSeconds = 600.0
        /// Sessions held at most. A handshake when all are held evicts the least recently used session
        /// idle for at least ``evictionGraceSeconds``, so sessions nobody uses never lock new clients out.
        public var maximumSessions = 64
        /// Seconds a session must have been idle before a new handshake may evict it (when the server is
        /// full); a session used within them is never evicted.
        public var evictionGraceSeconds = 30.0
        /// Largest request frame accepted; larger ones are refused by libzmq before allocation.
        public var maximumMessageBytes = 64 << 20
        /// The server's CURVE secret key (Z85): encrypts traffic; clients need the matching public key.
        /// CURVE needs a `tcp://` or `ipc://` endpoint (the server then runs in its own ZeroMQ context).
        public var curveSecretKey: String?
        /// With CURVE, the Z85 public keys of the only clients admitted; `nil` admits any client that
        /// knows the server's public key.
        public var allowedClientKeys: Set<String>?
        /// Microseconds ``EnvironmentServer/serve(on:context:onBound:until:)`` looks for a quick client's
        /// next request before blocking; 0 always blocks at once. Not used with an allow-list (whose
        /// authenticator is polled beside the socket).
        ///
        /// When the client's last request came within five such windows of the reply before it (a client
        /// stepping in a loop: evaluation, warm-up), the server checks for the next one without blocking
        /// for up to this long first; after a client that computes for longer between steps (a trainer's
        /// gradient updates) it blocks at once (`AdaptiveSpin` in the SACZeroMQ module).
        ///
        /// 0 by default: this server wakes quickly (its work per step is a few microseconds), and on two
        /// cores a spinning server thread takes a core from the client and libzmq's I/O thread (measured by
        /// `sac-dev bench bridge`). Python's gym_bridge spins by default, where waking the interpreter costs
        /// more than its whole reply.
        public var spinMicroseconds = 0
        /// Milliseconds every step request sleeps before its environments step: a model of a slow simulator,
        /// for tests and benchmarks (`sac serve --step-delay-ms`). 0 by default.
        public var stepDelayMilliseconds = 0.0
        /// The protocol minor version announced in handshakes: tests set 0 to stand for an envbridge 1.0 server.
        package var protocolMinor = ProtocolVersion.minor

        public init() {}
    }

    /// Settings.
    public let options: Options
    /// Random per server instance; clients detect restarts by it.
    public let instanceID: String
    /// The id reported to clients (e.g. "Pendulum-v1").
    public let environmentID: String

    private let makeEnvironment: () throws -> any Environment
    private let observationSpace: Box
    private let actionSpace: Box
    private let maxEpisodeSteps: Int
    private var sessions: [String: Session] = [:]
    /// Live sessions' ids by the client nonce of the handshake that opened them.
    private var sessionsByNonce: [String: String] = [:]
    /// The close replies of the last sessions closed, by session id, so that a close retried after its reply
    /// was lost gets that reply again (not UNKNOWN_SESSION); at most ``closedRepliesKept``, oldest dropped.
    private var closedReplies: [String: (requestID: UInt64, reply: [UInt8])] = [:], closedOrder: [String] = []
    private static let closedRepliesKept = 256
    private var generator = SystemRandomNumberGenerator()
    /// The session of the latest request, if still open.
    private var recentSession: Session?
    /// When ``expireSessions(now:)`` next looks at the sessions (monotonic seconds).
    private var nextExpiryCheck = 0.0

    /// Open sessions.
    public var sessionCount: Int { sessions.count }

    private final class Session {
        let id: String
        /// The client nonce of the handshake that opened the session ("" for none), and that handshake's
        /// reply, which a retry of it gets again; and that handshake itself with its request id, which a
        /// retry must repeat exactly (spec §3).
        var clientNonce = "", handshakeReply: [UInt8] = []
        var handshakeRequest: (requestID: UInt64, hello: BridgeRequest.Handshake)?
        var lastUsed: Double
        /// The id of the last request answered, whose reply `state.lastReply` holds (for a retry).
        var lastRequestID: UInt64?
        /// Everything a request changes, in one value: a step takes it with one exclusive access instead
        /// of one dynamic exclusivity check per property it touches (nine of them had been a tenth of a step).
        var state: State

        struct State {
            var environments: [any Environment]
            var needsReset: [Bool]
            var resetOnce = false
            /// Observations travel as float64 (the handshake asked for FLOAT64); the environments' are float32.
            var float64Observations = false
            /// Written in place by each step: the reply's storage is reused from step to step.
            var lastReply: [UInt8] = []
            /// `[num_envs, *action_shape]` and `[num_envs, *observation_shape]`, checked and sent every step.
            let actionBatchShape: [Int], observationBatchShape: [Int]
            let observationCount: Int
            /// What every step overwrites instead of allocating: each environment's action, and the reply's
            /// observation rows, rewards and flags (one per environment).
            var actionRows: [[Float]]
            var observations: [Float], rewards: [Double], terminated: [Bool], truncated: [Bool]

            /// Writes `observation` as row `i` of the step's observations.
            /// Observations as they travel: float32, or float64 where the handshake asked for it.
            func observationTensor(_ values: [Float], shape: [Int]) -> Tensor {
                float64Observations ? Tensor(float64: values.map(Double.init), shape: shape) : Tensor(float32: values, shape: shape)
            }

            mutating func place(_ observation: [Float], at i: Int) throws(BridgeError) {
                guard observation.count == observationCount else {
                    throw BridgeError(
                        .environmentFailure,
                        "the environment returned \(observation.count) observation elements; its observation space has \(observationCount)")
                }
                observations.withUnsafeMutableBufferPointer { rows in
                    observation.withUnsafeBufferPointer {
                        rows.baseAddress!.advanced(by: i * observationCount).update(from: $0.baseAddress!, count: $0.count)
                    }
                }
            }
        }

        init(id: String, environments: [any Environment], actionShape: [Int], observationShape: [Int], instanceID: String, now: Double) {
            self.id = id
            self.lastUsed = now
            let n = environments.count, actionCount = actionShape.reduce(1, *), observationCount = observationShape.reduce(1, *)
            state = State(
                environments: environments, needsReset: Array(repeating: true, count: n),
                actionBatchShape: [n] + actionShape, observationBatchShape: [n] + observationShape,
                observationCount: observationCount,
                actionRows: (0..<n).map { _ in [Float](repeating: 0, count: actionCount) },
                observations: [Float](repeating: 0, count: n * observationCount), rewards: [Double](repeating: 0, count: n),
                terminated: [Bool](repeating: false, count: n), truncated: [Bool](repeating: false, count: n))
        }

        func close() { for i in state.environments.indices { try? state.environments[i].close() } }
    }

    /// A server for environments made by `makeEnvironment`; `maxEpisodeSteps` is reported to clients.
    public init(options: Options = Options(), maxEpisodeSteps: Int = 0, makeEnvironment: @escaping () throws -> any Environment) throws {
        precondition(options.numEnvs >= 1, "numEnvs must be >= 1")
        var probe = try makeEnvironment()
        self.options = options
        self.makeEnvironment = makeEnvironment
        self.environmentID = probe.id
        self.observationSpace = probe.observationSpace
        self.actionSpace = probe.actionSpace
        self.maxEpisodeSteps = maxEpisodeSteps
        try? probe.close()
        var random = SystemRandomNumberGenerator()
        instanceID = Self.randomID(using: &random)
    }

    /// 60 random bits as at most 15 hex digits: a string that short is stored inline in Swift, so the
    /// session id in every request, and the instance id in every reply, is read without a heap allocation.
    static func randomID(using generator: inout SystemRandomNumberGenerator) -> String {
        String(generator.next() >> 4, radix: 16)
    }

    /// A server for a registered environment (`pendulum`, `Pendulum-v1`, …) with its time limit.
    public convenience init(environment name: String, options: Options = Options()) throws {
        let entry = try EnvironmentRegistry.requireEntry(named: name)
        try self.init(options: options, maxEpisodeSteps: entry.maxEpisodeSteps) { try EnvironmentRegistry.make(name) }
    }

    // MARK: Requests

    /// One request frame in, one reply frame out. Never throws.
    public func handle(_ frame: [UInt8]) -> [UInt8] {
        var requestID: UInt64 = 0
        do {
            guard frame.count <= options.maximumMessageBytes else {
                throw BridgeError(.badRequest, "frame of \(frame.count) bytes exceeds the server's limit of \(options.maximumMessageBytes)")
            }
            // A step request is read in place, its actions going from the frame into the environments'
            // buffers; any other request, or a step request in another layout, is decoded whole.
            let sessionID: String, request: BridgeRequest.Kind?, stepView: StepRequestView?
            if let view = MessageCodec.viewStepRequest(frame) {
                (requestID, sessionID, request, stepView) = (view.requestID, view.sessionID, nil, view)
            } else {
                let decoded = try MessageCodec.decodeRequest(frame)
                (requestID, sessionID, request, stepView) = (decoded.requestID, decoded.sessionID, decoded.kind, nil)
            }
            let now = Self.now()
            expireSessions(now: now)
            if case let .handshake(hello)? = request {
                try checkVersion(hello)
                // A retried handshake (the same nonce, the same request) gets the session the first one opened,
                // and counts as a use of it; the same nonce with anything else changed is refused (spec §3).
                if let known = sessionsByNonce[hello.clientNonce].flatMap({ sessions[$0] }), let first = known.handshakeRequest {
                    guard first.requestID == requestID, first.hello == hello else {
                        throw BridgeError(
                            .badRequest,
                            "client_nonce '\(hello.clientNonce)' opened session \(known.id) with another handshake (request id \(first.requestID)); a retry repeats the request exactly, and a new handshake takes a new nonce"
                        )
                    }
                    known.lastUsed = now
                    return known.handshakeReply
                }
                let opened = try handshake(hello, requestID: requestID)
                let reply = MessageCodec.encode(opened)
                if !hello.clientNonce.isEmpty, case let .handshake(body) = opened.kind, let session = sessions[body.sessionID] {
                    (session.clientNonce, session.handshakeReply, session.handshakeRequest) = (hello.clientNonce, reply, (requestID, hello))
                    sessionsByNonce[hello.clientNonce] = session.id
                }
                return reply
            }
            guard let session = session(sessionID) else {
                // Only a retried close (the same request id, a close again) gets the close's reply (spec §8).
                if let closed = closedReplies[sessionID], closed.requestID == requestID, case .close? = request { return closed.reply }
                throw BridgeError(
                    .unknownSession,
                    "session '\(sessionID)' is unknown to server instance \(instanceID) (expired, closed, or the server restarted); handshake again"
                )
            }
            session.lastUsed = now
            if session.lastRequestID == requestID { return session.state.lastReply }
            switch (stepView, request) {
            case let (view?, _):
                try step(&session.state, .view(view), requestID: requestID)
            case let (nil, .step(actions)?):
                try step(&session.state, .tensor(actions, floats: actions.floats()), requestID: requestID)
            case let (nil, .reset(reset)?):
                let reply = BridgeReply(requestID: requestID, serverInstanceID: instanceID, kind: try self.reset(&session.state, reset))
                session.state.lastReply = MessageCodec.encode(reply)
            case (nil, .close?):
                session.close()
                forget(session.id)
                let reply = MessageCodec.encode(BridgeReply(requestID: requestID, serverInstanceID: instanceID, kind: .close))
                closedReplies[session.id] = (requestID, reply)
                closedOrder.append(session.id)
                if closedOrder.count > Self.closedRepliesKept { closedReplies[closedOrder.removeFirst()] = nil }
                return reply
            case (nil, .handshake?), (nil, nil):
                throw BridgeError(.internalError, "request of no kind reached the session's handler")
            }
            session.lastRequestID = requestID
            return session.state.lastReply
        } catch let error as BridgeError {
            // A request refused by validation still echoes its id when the id could be read (spec §3).
            let id = requestID != 0 || frame.count > options.maximumMessageBytes ? requestID : MessageCodec.requestID(in: frame)
            return MessageCodec.encode(BridgeReply(requestID: id, serverInstanceID: instanceID, kind: .error(error)))
        } catch {
            return MessageCodec.encode(
                BridgeReply(
                    requestID: requestID, serverInstanceID: instanceID,
                    kind: .error(BridgeError(.environmentFailure, "\(error)"))))
        }
    }

    /// The handshake's major version must be the server's (`UNSUPPORTED_VERSION`), checked before anything else.
    private func checkVersion(_ hello: BridgeRequest.Handshake) throws {
        guard hello.protocolMajor == ProtocolVersion.major else {
            throw BridgeError(
                .unsupportedVersion,
                "client speaks protocol \(hello.protocolMajor).\(hello.protocolMinor), server speaks \(ProtocolVersion.major).\(ProtocolVersion.minor); major versions must match"
            )
        }
    }

    private func handshake(_ hello: BridgeRequest.Handshake, requestID: UInt64) throws -> BridgeReply {
        if sessions.count >= options.maximumSessions {
            let now = Self.now()
            guard let idlest = sessions.values.min(by: { $0.lastUsed < $1.lastUsed }), now - idlest.lastUsed >= options.evictionGraceSeconds
            else {
                throw BridgeError(
                    .environmentFailure,
                    "server holds its maximum of \(options.maximumSessions) sessions and every one was used within the last \(options.evictionGraceSeconds) s; close one, or try again"
                )
            }
            idlest.close()
            forget(idlest.id)
        }
        let environments = try (0..<options.numEnvs).map { _ in try makeEnvironment() }
        let session = Session(
            id: Self.randomID(using: &generator), environments: environments,
            actionShape: actionSpace.shape, observationShape: observationSpace.shape, instanceID: instanceID, now: Self.now())
        sessions[session.id] = session
        // Swift environments produce float32 observations, so a float32 request needs no cast.
        session.state.float64Observations = hello.observationDType == .float64
        let observationBox =
            session.state.float64Observations
            ? BridgeReply.Space(
                low: Tensor(float64: observationSpace.low.map(Double.init), shape: observationSpace.shape),
                high: Tensor(float64: observationSpace.high.map(Double.init), shape: observationSpace.shape))
            : BridgeReply.Space(
                low: Tensor(float32: observationSpace.low, shape: observationSpace.shape),
                high: Tensor(float32: observationSpace.high, shape: observationSpace.shape))
        let space = { (box: Box) in
            BridgeReply.Space(low: Tensor(float32: box.low, shape: box.shape), high: Tensor(float32: box.high, shape: box.shape))
        }
        return BridgeReply(
            requestID: requestID, serverInstanceID: instanceID,
            kind: .handshake(
                .init(
                    protocolMinor: options.protocolMinor, environmentID: environmentID, observationSpace: observationBox,
                    actionSpace: space(actionSpace),
                    numEnvs: environments.count, sessionID: session.id, maxEpisodeSteps: maxEpisodeSteps)))
    }

    /// Resets every environment of the session, or (protocol 1.1) those `reset.environmentIndices` names,
    /// leaving the others' episodes as they are.
    private func reset(_ session: inout Session.State, _ reset: BridgeRequest.Reset) throws -> BridgeReply.Kind {
        let n = session.environments.count
        let indices = reset.environmentIndices.isEmpty ? Array(0..<n) : reset.environmentIndices
        if !reset.environmentIndices.isEmpty {
            for (k, index) in indices.enumerated() {
                guard (0..<n).contains(index) else {
                    throw BridgeError(.badRequest, "env_indices names environment \(index); this session steps 0..<\(n)")
                }
                guard k == 0 || index > indices[k - 1] else {
                    throw BridgeError(.badRequest, "env_indices must be strictly increasing, got \(reset.environmentIndices)")
                }
            }
            guard session.resetOnce else {
                throw BridgeError(.resetNeeded, "reset every environment once (no env_indices) before resetting some of them")
            }
        }
        let m = indices.count
        for (name, count) in [("seeds", reset.seeds.count), ("states", reset.states.count)] where count != 0 && count != m {
            throw BridgeError(.wrongShape, "reset has \(count) \(name) for \(m) environments reset; give none or \(m)")
        }
        // Every start state is checked before the first environment is touched: a refused reset changes
        // nothing (spec §6).
        if !reset.states.isEmpty {
            for (k, i) in indices.enumerated() {
                guard let state = reset.states[k] else { continue }
                guard let settable = session.environments[i] as? any StateSettable else {
                    throw BridgeError(.badRequest, "\(environmentID) has no state hook, so a reset cannot set its start state")
                }
                guard state.count == settable.stateSize else {
                    throw BridgeError(
                        .wrongShape, "state of \(state.count) values for \(environmentID), whose state has \(settable.stateSize)")
                }
            }
        }
        for (k, i) in indices.enumerated() {
            let seed = reset.seeds.isEmpty ? nil : reset.seeds[k]
            session.needsReset[i] = true
            var observation = try session.environments[i].reset(seed: seed)
            if !reset.states.isEmpty, let state = reset.states[k], var settable = session.environments[i] as? any StateSettable {
                observation = try settable.reset(toState: state.doubles())
                session.environments[i] = settable
            }
            try session.place(observation, at: i)
            session.needsReset[i] = false
        }
        session.resetOnce = true
        let seedsUsed = reset.seeds.isEmpty ? Array(repeating: nil, count: m) : reset.seeds
        guard m < n else {
            return .reset(
                .init(
                    observations: session.observationTensor(session.observations, shape: session.observationBatchShape),
                    seedsUsed: seedsUsed))
        }
        let width = session.observations.count / n
        let rows = indices.flatMap { session.observations[($0 * width)..<(($0 + 1) * width)] }
        return .reset(
            .init(
                observations: session.observationTensor(rows, shape: [m] + session.observationBatchShape.dropFirst()), seedsUsed: seedsUsed)
        )
    }

    /// A step request's actions: read in place from its frame, or decoded into a tensor (and converted to
    /// `Float` once, not once per environment).
    private enum StepActions {
        case view(StepRequestView)
        case tensor(Tensor, floats: [Float])

        var dtype: TensorDType {
            switch self {
            case let .view(view): view.dtype
            case let .tensor(tensor, _): tensor.dtype
            }
        }

        var shape: [Int] {
            switch self {
            case let .view(view): view.shape
            case let .tensor(tensor, _): tensor.shape
            }
        }

        func hasShape(_ expected: [Int]) -> Bool {
            switch self {
            case let .view(view): view.hasShape(expected)
            case let .tensor(tensor, _): tensor.shape == expected
            }
        }

        /// Elements `elements` as `Float` into `buffer`, replacing what it held.
        func copyFloats(_ elements: Range<Int>, into buffer: inout [Float]) {
            switch self {
            case let .view(view): view.copyFloats(elements, into: &buffer)
            case let .tensor(_, floats): buffer = Array(floats[elements])
            }
        }

        /// Element `index` as sent.
        func element(_ index: Int) -> Double {
            switch self {
            case let .view(view): view.element(index)
            case let .tensor(tensor, _): tensor.doubles()[index]
            }
        }
    }

    /// Steps every environment of `session` with `actions` and writes the encoded reply into its
    /// `lastReply`. The actions go into the session's buffers and the reply is written from them, so a
    /// step without final observations, failures or infos allocates only the environments' observations.
    private func step(_ session: inout Session.State, _ actions: StepActions, requestID: UInt64) throws {
        guard session.resetOnce else {
            throw BridgeError(.resetNeeded, "step before the session's first reset; send a reset request first")
        }
        let n = session.environments.count, a = actionSpace.count
        guard actions.hasShape(session.actionBatchShape) else {
            throw BridgeError(.wrongShape, "actions of shape \(actions.shape); this session needs \(session.actionBatchShape)")
        }
        // Every action is converted and checked before any environment steps; checked as the environments
        // get them: a float64 action too large for a Float is infinite there.
        for i in 0..<n {
            actions.copyFloats((i * a)..<((i + 1) * a), into: &session.actionRows[i])
            if let bad = session.actionRows[i].firstIndex(where: { !$0.isFinite }) {
                let index = i * a + bad, float = session.actionRows[i][bad]
                let value =
                    actions.dtype == .float64 && float.isInfinite
                    ? "\(actions.element(index)), beyond the float32 range of the environment," : "\(float)"
                throw BridgeError(.nonFiniteAction, "action element \(index) (environment \(i)) is \(value); actions must be finite")
            }
        }
        var finals: [Int: Tensor] = [:], failures: [BridgeReply.Failure] = [], infos: [[String: Double]] = []
        // Infos are rare: the list stays empty until an environment reports one.
        func record(_ info: [String: Double], at i: Int) {
            guard !info.isEmpty || !infos.isEmpty else { return }
            if infos.isEmpty { infos = Array(repeating: [:], count: i) }
            infos.append(info)
        }
        // Seconds from clock_gettime: ContinuousClock's instant and Duration's 128-bit arithmetic had been a
        // seventh of a step.
        let started = Self.now()
        if options.stepDelayMilliseconds > 0 { usleep(useconds_t(options.stepDelayMilliseconds * 1_000)) }
        for i in 0..<n {
            do {
                guard !session.needsReset[i] else {
                    throw BridgeError(.resetNeeded, "environment \(i) needs a reset after an earlier failure")
                }
                let result = try session.environments[i].step(session.actionRows[i])
                if result.isLast {
                    guard result.observation.count == observationSpace.count else {
                        throw BridgeError(
                            .environmentFailure,
                            "the environment returned \(result.observation.count) observation elements; its observation space has \(observationSpace.count)"
                        )
                    }
                    finals[i] = session.observationTensor(result.observation, shape: observationSpace.shape)
                    try session.place(try session.environments[i].reset(seed: nil), at: i)
                } else {
                    try session.place(result.observation, at: i)
                }
                session.rewards[i] = result.reward
                session.terminated[i] = result.terminated
                session.truncated[i] = result.truncated
                record(result.info, at: i)
            } catch {
                let bridgeError = (error as? BridgeError) ?? BridgeError(.environmentFailure, "\(error)")
                failures.append(.init(index: i, error: bridgeError))
                // A final observation of a step that failed afterwards (its reset threw) is no transition.
                finals[i] = nil
                recover(&session, i)
                session.rewards[i] = 0
                session.terminated[i] = false
                session.truncated[i] = false
                record([:], at: i)
            }
        }
        let seconds = Self.now() - started
        guard finals.isEmpty, failures.isEmpty, infos.isEmpty, !session.float64Observations else {
            session.lastReply = MessageCodec.encodeStepReply(
                requestID: requestID, serverInstanceID: instanceID,
                step: .init(
                    observations: session.observationTensor(session.observations, shape: session.observationBatchShape),
                    rewards: session.rewards,
                    terminated: session.terminated, truncated: session.truncated, finalObservations: finals, failures: failures,
                    infos: infos, serverStepSeconds: seconds))
            return
        }
        let shape = session.observationBatchShape
        session.observations.withUnsafeBufferPointer { observations in
            session.rewards.withUnsafeBufferPointer { rewards in
                session.terminated.withUnsafeBufferPointer { terminated in
                    session.truncated.withUnsafeBufferPointer { truncated in
                        MessageCodec.encodeStepReply(
                            requestID: requestID, serverInstanceID: instanceID, observations: observations,
                            observationShape: shape, rewards: rewards, terminated: terminated, truncated: truncated,
                            serverStepSeconds: seconds, into: &session.lastReply)
                    }
                }
            }
        }
    }

    /// After a failed step: start a new episode (its first observation as row `i`), or leave the
    /// environment marked for reset (a row of zeros).
    private func recover(_ session: inout Session.State, _ i: Int) {
        if let observation = try? session.environments[i].reset(seed: nil), (try? session.place(observation, at: i)) != nil {
            session.needsReset[i] = false
            return
        }
        session.needsReset[i] = true
        try? session.place([Float](repeating: 0, count: observationSpace.count), at: i)
    }

    /// The open session `id`: the one of the previous request without hashing its id (a client steps
    /// one session request after request), else from the table.
    private func session(_ id: String) -> Session? {
        if let recent = recentSession, recent.id == id { return recent }
        recentSession = sessions[id]
        return recentSession
    }

    private func forget(_ id: String) {
        if let nonce = sessions[id]?.clientNonce, !nonce.isEmpty { sessionsByNonce[nonce] = nil }
        sessions[id] = nil
        if recentSession?.id == id { recentSession = nil }
    }

    private func expireSessions(now: Double) {
        // Checked at most ten times per timeout (and at least once a second), not on every request, as
        // gym_bridge does: a session may outlive its timeout by a tenth of it.
        guard now >= nextExpiryCheck else { return }
        nextExpiryCheck = now + min(1, options.sessionTimeoutSeconds / 10)
        for (id, session) in sessions where now - session.lastUsed > options.sessionTimeoutSeconds {
            session.close()
            forget(id)
        }
    }

    private static func now() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) * 1e-9
    }

    // MARK: Transport

    /// Binds a REP socket to `endpoint` and answers requests until `shouldStop()` returns true (checked at
    /// least every 100 ms). `onBound` receives the resolved endpoint (useful with `tcp://127.0.0.1:*`).
    public func serve(
        on endpoint: String, context: ZeroMQContext = .shared, onBound: (String) -> Void = { _ in },
        until shouldStop: () -> Bool
    ) throws(ZeroMQError) {
        // A ZAP handler is per context, so a CURVE server gets a context of its own.
        let context = options.curveSecretKey == nil ? context : try ZeroMQContext()
        let authenticator = try options.allowedClientKeys.map { keys throws(ZeroMQError) in
            try ZAPAuthenticator(context: context, allowedClientKeys: keys)
        }
        let socket = try ZeroMQSocket(.reply, context: context)
        defer {
            socket.close()
            for session in sessions.values { session.close() }
            sessions.removeAll()
            recentSession = nil
        }
        try socket.setMaximumMessageSize(bytes: options.maximumMessageBytes)
        if let key = options.curveSecretKey { try socket.makeCurveServer(secretKey: key) }
        try socket.bind(endpoint)
        onBound(socket.lastEndpoint ?? endpoint)
        let polled = [socket] + (authenticator.map { [$0.socket] } ?? [])
        // With one socket, a blocking receive that times out (to look at `shouldStop`) saves the poll
        // system call and its wake-up on every request (`sac-dev bench bridge`).
        if authenticator == nil { try socket.setReceiveTimeout(milliseconds: 100) }
        var spin = AdaptiveSpin(windowMicroseconds: authenticator == nil ? options.spinMicroseconds : 0)
        // Every request is received into this one buffer (no allocation per request when sizes repeat).
        var frame: [UInt8] = []
        while !shouldStop() {
            if let authenticator {
                let ready = try ZeroMQSocket.waitForMessages(polled, milliseconds: 100)
                if ready[1] { try authenticator.handleRequest() }
                guard ready[0] else { continue }
            }
            let reply: [UInt8]
            do {
                try socket.receive(into: &frame, spinMicroseconds: spin.nextSpinMicroseconds)
                spin.requestArrived()
                reply = handle(frame)
            } catch .unexpectedMultipart(let frames) {
                spin.requestArrived()
                // The reply echoes the first frame's request id when that frame parses as a request (spec §3).
                let firstID = (try? MessageCodec.decodeRequest(frame))?.requestID ?? 0
                reply = MessageCodec.encode(
                    BridgeReply(
                        requestID: firstID, serverInstanceID: instanceID,
                        kind: .error(BridgeError(.badRequest, "request has \(frames) frames; envbridge requests are one frame"))))
            } catch {
                spin.receiveTimedOut()
                continue
            }
            try socket.send(reply)
            spin.replied()
        }
    }
}
