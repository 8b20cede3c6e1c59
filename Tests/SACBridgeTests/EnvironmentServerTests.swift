import SACTestSupport
import Foundation
import Testing
import SACBridgeProtocol
import SACBridge
import SACEnvironments
import SACZeroMQ

/// Bad input to the Swift server: every request gets a typed error reply, and the server keeps serving.
@Suite struct EnvironmentServerTests {
    private func server(numEnvs: Int = 1, maximumMessageBytes: Int = 1 << 20, maximumSessions: Int = 64, evictionGraceSeconds: Double = 30)
        throws -> EnvironmentServer
    {
        var options = EnvironmentServer.Options()
        options.numEnvs = numEnvs
        options.maximumMessageBytes = maximumMessageBytes
        options.maximumSessions = maximumSessions
        options.evictionGraceSeconds = evictionGraceSeconds
        return try EnvironmentServer(environment: "pendulum", options: options)
    }

    private func send(_ server: EnvironmentServer, _ request: BridgeRequest) throws -> BridgeReply {
        try MessageCodec.decodeReply(server.handle(MessageCodec.encode(request)))
    }

    private func open(_ server: EnvironmentServer, reset: Bool = true) throws -> String {
        let reply = try send(server, BridgeRequest(requestID: 1, sessionID: "", kind: .handshake(.init())))
        guard case let .handshake(hello) = reply.kind else { Issue.record("no handshake: \(reply)"); return "" }
        if reset {
            let reply = try send(
                server,
                BridgeRequest(
                    requestID: 2, sessionID: hello.sessionID,
                    kind: .reset(.init(seeds: Array(repeating: 1, count: hello.numEnvs)))))
            guard case .reset = reply.kind else { Issue.record("reset refused: \(reply.kind)"); return hello.sessionID }
        }
        return hello.sessionID
    }

    /// A close retried after its reply was lost gets the same reply, not UNKNOWN_SESSION; another request
    /// to the closed session still does.
    @Test func aClosedSessionAnswersARetriedCloseFromMemory() throws {
        let server = try server()
        let session = try open(server)
        let close = MessageCodec.encode(BridgeRequest(requestID: 7, sessionID: session, kind: .close))
        let first = server.handle(close)
        #expect(server.handle(close) == first)
        guard case .close = try MessageCodec.decodeReply(first).kind else { Issue.record("close refused"); return }
        expectError(try send(server, BridgeRequest(requestID: 8, sessionID: session, kind: .close)), .unknownSession)
    }

    /// A handshake retried after its reply was lost (the same client nonce) gets the session the first one
    /// opened, not a second; another nonce opens another session.
    @Test func aRetriedHandshakeGetsTheSameSession() throws {
        let server = try server()
        let hello = MessageCodec.encode(BridgeRequest(requestID: 1, sessionID: "", kind: .handshake(.init(clientNonce: "a1b2"))))
        let first = server.handle(hello)
        #expect(server.handle(hello) == first && server.sessionCount == 1)
        _ = try send(server, BridgeRequest(requestID: 1, sessionID: "", kind: .handshake(.init(clientNonce: "c3d4"))))
        #expect(server.sessionCount == 2)
    }

    /// A reset with one start state of the wrong size is refused before any environment is touched: the
    /// session steps on exactly as a twin session that was never sent it.
    @Test func aRefusedResetChangesNothing() throws {
        let server = try server(numEnvs: 3)
        let refused = try open(server), twin = try open(server)
        let states: [Tensor?] = [Tensor(float64: [0.1, 0], shape: [2]), Tensor(float64: [1, 2, 3], shape: [3])]
        let bad = BridgeRequest(requestID: 9, sessionID: refused, kind: .reset(.init(states: states, environmentIndices: [0, 2])))
        expectError(try send(server, bad), .wrongShape)
        let actions = Tensor(float32: [0.5, -0.5, 1], shape: [3, 1])
        guard
            case let .step(after) = try send(server, BridgeRequest(requestID: 10, sessionID: refused, kind: .step(actions: actions))).kind,
            case let .step(untouched) = try send(server, BridgeRequest(requestID: 10, sessionID: twin, kind: .step(actions: actions))).kind
        else {
            Issue.record("a step was refused"); return
        }
        #expect(after.observations == untouched.observations && after.rewards == untouched.rewards)
    }

    /// A client nonce is an idempotency key: reused with anything else changed (the request id, the
    /// observation dtype) the handshake is refused with BAD_REQUEST echoing its own id, and with another
    /// major version UNSUPPORTED_VERSION comes first; no session is opened either way.
    @Test func aNonceReusedWithAnotherRequestIsRefused() throws {
        let server = try server()
        let hello = BridgeRequest(requestID: 1, sessionID: "", kind: .handshake(.init(clientNonce: "a1b2")))
        _ = try send(server, hello)
        let otherID = try send(server, BridgeRequest(requestID: 2, sessionID: "", kind: .handshake(.init(clientNonce: "a1b2"))))
        #expect(otherID.requestID == 2)
        expectError(otherID, .badRequest)
        let float64 = BridgeRequest(requestID: 1, sessionID: "", kind: .handshake(.init(observationDType: .float64, clientNonce: "a1b2")))
        expectError(try send(server, float64), .badRequest)
        let major2 = BridgeRequest(requestID: 1, sessionID: "", kind: .handshake(.init(protocolMajor: 2, clientNonce: "a1b2")))
        expectError(try send(server, major2), .unsupportedVersion)
        #expect(server.sessionCount == 1)
    }

    /// Only a close retried as a close gets the close's reply: another request reusing its id is told the
    /// session is unknown.
    @Test func aClosesReplyAnswersOnlyARetriedClose() throws {
        let server = try server()
        let session = try open(server)
        _ = try send(server, BridgeRequest(requestID: 7, sessionID: session, kind: .close))
        expectError(try send(server, BridgeRequest(requestID: 7, sessionID: session, kind: .reset(.init()))), .unknownSession)
        guard case .close = try send(server, BridgeRequest(requestID: 7, sessionID: session, kind: .close)).kind else {
            Issue.record("a retried close was refused"); return
        }
    }

    /// Every request that reaches a session is a use, a retried handshake included: it is not the idlest.
    @Test func aRetriedHandshakeCountsAsUseOfItsSession() throws {
        let server = try server(maximumSessions: 2, evictionGraceSeconds: 0.2)
        let hello = BridgeRequest(requestID: 1, sessionID: "", kind: .handshake(.init(clientNonce: "e5f6")))
        guard case let .handshake(first) = try send(server, hello).kind else { Issue.record("no session"); return }
        let second = try open(server)
        usleep(300_000)
        guard case let .handshake(again) = try send(server, hello).kind, again.sessionID == first.sessionID else {
            Issue.record("the retry did not get its session"); return
        }
        guard case .handshake = try send(server, BridgeRequest(requestID: 1, sessionID: "", kind: .handshake(.init()))).kind else {
            Issue.record("no session was evicted for the newcomer"); return
        }
        expectError(try send(server, BridgeRequest(requestID: 9, sessionID: second, kind: .close)), .unknownSession)
        guard case .close = try send(server, BridgeRequest(requestID: 9, sessionID: first.sessionID, kind: .close)).kind else {
            Issue.record("the retried handshake's session was evicted"); return
        }
    }

    /// A flood of handshakes that never close cannot lock new clients out for long: past the grace period a
    /// new handshake evicts the least recently used idle session; a session in use is never evicted.
    @Test func aFullServerEvictsTheIdlestSessionPastTheGraceNeverAnActiveOne() throws {
        let server = try server(maximumSessions: 3, evictionGraceSeconds: 0.2)
        let flood = try (0..<3).map { _ in try open(server) }
        expectError(try send(server, BridgeRequest(requestID: 1, sessionID: "", kind: .handshake(.init()))), .environmentFailure)
        usleep(300_000)
        let step = { (session: String, id: UInt64) in
            try self.send(
                server, BridgeRequest(requestID: id, sessionID: session, kind: .step(actions: Tensor(float32: [0], shape: [1, 1]))))
        }
        guard case .step = try step(flood[0], 50).kind else { Issue.record("an open session refused a step"); return }
        guard case .handshake = try send(server, BridgeRequest(requestID: 1, sessionID: "", kind: .handshake(.init()))).kind else {
            Issue.record("a full server with idle sessions refused a new client"); return
        }
        #expect(server.sessionCount == 3)
        guard case .step = try step(flood[0], 51).kind else { Issue.record("the active session was evicted"); return }
        expectError(try step(flood[1], 52), .unknownSession)
    }

    /// observation_dtype FLOAT64 of a float32 environment: the server casts up, as gym_bridge does (spec §2):
    /// the space, reset and step observations (also final ones) travel as float64 with the float32 values.
    @Test func aFloat64RequestIsCastUpLikeGymBridge() throws {
        let server = try server()
        let opened = try send(server, BridgeRequest(requestID: 1, sessionID: "", kind: .handshake(.init(observationDType: .float64))))
        guard case let .handshake(hello) = opened.kind else { Issue.record("\(opened.kind)"); return }
        #expect(hello.observationSpace.low.dtype == .float64 && hello.actionSpace.low.dtype == .float32)
        let reset = try send(server, BridgeRequest(requestID: 2, sessionID: hello.sessionID, kind: .reset(.init(seeds: [3]))))
        guard case let .reset(first) = reset.kind else { Issue.record("\(reset.kind)"); return }
        var local = try EnvironmentRegistry.make("pendulum")
        let expected = try local.reset(seed: 3).map(Double.init)
        #expect(first.observations.dtype == .float64 && first.observations.doubles() == expected)
        for t in 0..<200 {
            let reply = try send(
                server,
                BridgeRequest(
                    requestID: UInt64(3 + t), sessionID: hello.sessionID, kind: .step(actions: Tensor(float32: [0.5], shape: [1, 1]))))
            guard case let .step(step) = reply.kind else { Issue.record("\(reply.kind)"); return }
            #expect(step.observations.dtype == .float64 && step.finalObservations.values.allSatisfy { $0.dtype == .float64 })
        }
    }

    private func expectError(
        _ reply: BridgeReply, _ code: BridgeErrorCode, _ comment: String = "", sourceLocation: SourceLocation = #_sourceLocation
    ) {
        guard case let .error(error) = reply.kind else {
            Issue.record("expected \(code.name), got \(reply.kind) \(comment)", sourceLocation: sourceLocation)
            return
        }
        #expect(error.code == code, "\(error) \(comment)", sourceLocation: sourceLocation)
        #expect(!error.message.isEmpty, sourceLocation: sourceLocation)
    }

    @Test func malformedTruncatedEmptyAndOversizedFramesAreBadRequests() throws {
        let server = try server(maximumMessageBytes: 4096)
        let session = try open(server)
        let valid = MessageCodec.encode(
            BridgeRequest(requestID: 9, sessionID: session, kind: .step(actions: Tensor(float32: [0.5], shape: [1, 1]))))
        for (name, frame) in [
            ("garbage", [UInt8](repeating: 0xFF, count: 40)), ("truncated", Array(valid.dropLast(3))),
            ("no kind (request_id 5 only)", [0x08, 0x05]),
            ("huge", [UInt8](repeating: 0, count: 5000)),
        ] {
            let reply = try MessageCodec.decodeReply(server.handle(Array(frame)))
            expectError(reply, .badRequest, name)
        }
        // The session still works after all that.
        guard case .step = try MessageCodec.decodeReply(server.handle(valid)).kind else { Issue.record("valid step refused"); return }
    }

    @Test func wrongShapeWrongDTypeAndNonFiniteActionsAreRefusedWithoutStepping() throws {
        let server = try server()
        let session = try open(server)
        expectError(
            try send(
                server, BridgeRequest(requestID: 3, sessionID: session, kind: .step(actions: Tensor(float32: [0.1, 0.2], shape: [1, 2])))),
            .wrongShape)
        expectError(
            try send(server, BridgeRequest(requestID: 4, sessionID: session, kind: .step(actions: Tensor(float32: [0.1], shape: [1])))),
            .wrongShape)
        expectError(
            try send(
                server, BridgeRequest(requestID: 5, sessionID: session, kind: .step(actions: Tensor(float32: [.nan], shape: [1, 1])))),
            .nonFiniteAction)
        expectError(
            try send(
                server, BridgeRequest(requestID: 6, sessionID: session, kind: .step(actions: Tensor(float64: [.infinity], shape: [1, 1])))),
            .nonFiniteAction)
        // Finite as a double, infinite as the Float the environment would get.
        guard
            case let .error(tooLarge) = try send(
                server, BridgeRequest(requestID: 61, sessionID: session, kind: .step(actions: Tensor(float64: [1e300], shape: [1, 1])))
            ).kind
        else {
            Issue.record("a float64 action of 1e300 was not refused")
            return
        }
        #expect(tooLarge.code == .nonFiniteAction && tooLarge.message.contains("beyond the float32 range"))
        expectError(try send(server, BridgeRequest(requestID: 7, sessionID: session, kind: .reset(.init(seeds: [1, 2])))), .wrongShape)
        // A float64 action is accepted exactly like a float32 one.
        guard
            case let .step(step) = try send(
                server, BridgeRequest(requestID: 8, sessionID: session, kind: .step(actions: Tensor(float64: [1.5], shape: [1, 1])))
            ).kind
        else {
            Issue.record("float64 action refused"); return
        }
        #expect(step.rewards.count == 1 && step.observations.shape == [1, 3])
    }

    @Test func stepBeforeResetUnknownSessionAndVersionMismatch() throws {
        let server = try server()
        let session = try open(server, reset: false)
        expectError(
            try send(server, BridgeRequest(requestID: 3, sessionID: session, kind: .step(actions: Tensor(float32: [0], shape: [1, 1])))),
            .resetNeeded)
        expectError(try send(server, BridgeRequest(requestID: 4, sessionID: "nope", kind: .reset(.init()))), .unknownSession)
        let reply = try send(
            server, BridgeRequest(requestID: 5, sessionID: "", kind: .handshake(.init(protocolMajor: 2, protocolMinor: 3))))
        expectError(reply, .unsupportedVersion)
        if case let .error(error) = reply.kind {
            #expect(error.message.contains("2.3") && error.message.contains("1.\(ProtocolVersion.minor)"))
        }
        #expect(reply.requestID == 5 && reply.serverInstanceID == server.instanceID)
    }

    /// Ids of at most 15 ASCII characters are stored inline by Swift strings, so reading them from every
    /// request and reply allocates nothing; they stay distinct.
    @Test func sessionAndInstanceIdsAreShortDistinctHexStrings() throws {
        let server = try server(), other = try self.server()
        let sessions = try (0..<20).map { _ in try open(server, reset: false) }
        for id in sessions + [server.instanceID, other.instanceID] {
            #expect(!id.isEmpty && id.utf8.count <= 15 && id.allSatisfy(\.isHexDigit), "id '\(id)'")
        }
        #expect(Set(sessions).count == sessions.count && server.instanceID != other.instanceID)
    }

    /// A step request the server cannot read in place (here its session id is written before its request
    /// id, which swift-protobuf accepts) is decoded whole and stepped the same way, and its errors are the same.
    @Test func aStepRequestInAnotherLayoutIsSteppedAlike() throws {
        let inPlace = try server(numEnvs: 2), decoded = try server(numEnvs: 2)
        let sessions = (try open(inPlace), try open(decoded))
        func reordered(_ request: BridgeRequest) -> [UInt8] {
            // Field 1 (request id, varint) moved after field 2 (session id).
            let bytes = MessageCodec.encode(request)
            let idLength = bytes.dropFirst().firstIndex { $0 < 0x80 }! + 1
            let sessionLength = 2 + Int(bytes[idLength + 1])
            return Array(bytes[idLength..<(idLength + sessionLength)] + bytes[..<idLength] + bytes[(idLength + sessionLength)...])
        }
        for (id, actions) in [(UInt64(3), Tensor(float32: [0.5, -1], shape: [2, 1])), (4, Tensor(float64: [2, 0.25], shape: [2, 1]))] {
            let a = try send(inPlace, BridgeRequest(requestID: id, sessionID: sessions.0, kind: .step(actions: actions)))
            let frame = reordered(BridgeRequest(requestID: id, sessionID: sessions.1, kind: .step(actions: actions)))
            #expect(MessageCodec.viewStepRequest(frame) == nil)
            let b = try MessageCodec.decodeReply(decoded.handle(frame))
            guard case let .step(x) = a.kind, case let .step(y) = b.kind else {
                Issue.record("not stepped: \(a.kind), \(b.kind)"); continue
            }
            #expect(x.observations == y.observations && x.rewards == y.rewards && b.requestID == id)
        }
        let wrong = reordered(
            BridgeRequest(requestID: 5, sessionID: sessions.1, kind: .step(actions: Tensor(float32: [.nan, 0], shape: [2, 1]))))
        expectError(try MessageCodec.decodeReply(decoded.handle(wrong)), .nonFiniteAction)
        let shape = reordered(
            BridgeRequest(requestID: 6, sessionID: sessions.1, kind: .step(actions: Tensor(float32: [0], shape: [1, 1]))))
        expectError(try MessageCodec.decodeReply(decoded.handle(shape)), .wrongShape)
    }

    @Test func retriedRequestIsAnsweredFromCacheNotSteppedTwice() throws {
        let server = try server()
        let session = try open(server)
        let step = BridgeRequest(requestID: 10, sessionID: session, kind: .step(actions: Tensor(float32: [1], shape: [1, 1])))
        let first = server.handle(MessageCodec.encode(step)), retry = server.handle(MessageCodec.encode(step))
        #expect(first == retry)
        var next = step
        next.requestID = 11
        guard case let .step(a) = try MessageCodec.decodeReply(first).kind, case let .step(b) = try send(server, next).kind else {
            Issue.record("steps refused"); return
        }
        #expect(a.observations != b.observations) // the second id did step
    }

    @Test func batchedSessionAutoResetsAndReportsFinalObservations() throws {
        let server = try server(numEnvs: 3)
        let session = try open(server)
        var sawFinal = false
        for t in 1...200 {
            guard
                case let .step(step) = try send(
                    server,
                    BridgeRequest(
                        requestID: UInt64(10 + t), sessionID: session,
                        kind: .step(actions: Tensor(float32: [0, 1, -1], shape: [3, 1])))
                ).kind
            else {
                Issue.record("step \(t) refused"); return
            }
            #expect(step.observations.shape == [3, 3] && step.rewards.count == 3)
            if t == 200 {
                #expect(step.truncated == [true, true, true] && step.finalObservations.count == 3)
                sawFinal = true
            } else {
                #expect(step.finalObservations.isEmpty)
            }
            #expect(step.serverStepSeconds >= 0)
        }
        #expect(sawFinal)
    }

    @Test func closedSessionIsForgotten() throws {
        let server = try server()
        let session = try open(server)
        #expect(server.sessionCount == 1)
        guard case .close = try send(server, BridgeRequest(requestID: 3, sessionID: session, kind: .close)).kind else {
            Issue.record("close refused"); return
        }
        #expect(server.sessionCount == 0)
        expectError(try send(server, BridgeRequest(requestID: 4, sessionID: session, kind: .reset(.init()))), .unknownSession)
    }

    @Test func idleSessionsExpire() throws {
        var options = EnvironmentServer.Options()
        options.sessionTimeoutSeconds = 0.05
        let server = try EnvironmentServer(environment: "pendulum", options: options)
        let session = try open(server)
        usleep(100_000)
        expectError(try send(server, BridgeRequest(requestID: 3, sessionID: session, kind: .reset(.init()))), .unknownSession)
        #expect(server.sessionCount == 0)
    }

    @Test func silentConnectionsCostNoSessionAndDoNotBlockOthers() throws {
        let background = try BackgroundEnvironmentServer(endpoint: Endpoints.tcp)
        let silent = try (0..<200).map { _ in
            let socket = try ZeroMQSocket(.request)
            try socket.connect(background.endpoint)
            return socket
        }
        let start = Date()
        let remote = try RemoteEnvironment(address: background.endpoint)
        _ = try remote.reset(seed: 1)
        _ = try remote.step([0])
        #expect(Date().timeIntervalSince(start) < 2)
        withExtendedLifetime(silent) {}
    }

    @Test func sessionsAreCappedSoHandshakesCannotExhaustTheServer() throws {
        let server = try server(maximumSessions: 5)
        for i in 0..<5 { _ = try open(server, reset: i == 0) }
        let reply = try send(server, BridgeRequest(requestID: 9, sessionID: "", kind: .handshake(.init())))
        expectError(reply, .environmentFailure)
        #expect(server.sessionCount == 5)
    }

    @Test func overTheSocketMultipartAndOversizedFramesDoNotStopTheServer() throws {
        var options = EnvironmentServer.Options()
        options.maximumMessageBytes = 2048
        let background = try BackgroundEnvironmentServer(endpoint: Endpoints.tcp, options: options)
        // A multipart request gets a BAD_REQUEST reply.
        let raw = try ZeroMQSocket(.request)
        try raw.setReceiveTimeout(milliseconds: 5000)
        try raw.connect(background.endpoint)
        let handshake = MessageCodec.encode(BridgeRequest(requestID: 1, sessionID: "", kind: .handshake(.init())))
        try raw.sendMultipart([handshake, handshake])
        let reply = try MessageCodec.decodeReply(raw.receive())
        guard case let .error(error) = reply.kind else { Issue.record("multipart request answered with \(reply.kind)"); return }
        #expect(error.code == .badRequest && reply.requestID == 1)
        // A frame over ZMQ_MAXMSGSIZE is dropped by libzmq with the connection; the sender hears nothing.
        let big = try ZeroMQSocket(.request)
        try big.setReceiveTimeout(milliseconds: 300)
        try big.connect(background.endpoint)
        try big.send([UInt8](repeating: 1, count: 10_000))
        #expect(throws: ZeroMQError.self) { try big.receive() }
        // Other clients are still served.
        let remote = try RemoteEnvironment(address: background.endpoint)
        _ = try remote.reset(seed: 3)
        #expect(try remote.step([0.5]).observation.count == 3)
    }
}

/// An environment whose every `failEvery`-th step throws, as a crashing simulator would; with
/// `resetFailsAfterFailure` it cannot be restarted after its first failure either.
struct FlakyEnvironment: Environment {
    var base = TimeLimit(Pendulum(), maxEpisodeSteps: 200)
    var steps = 0
    let failEvery: Int
    var resetFailsAfterFailure = false
    var failed = false
    var id: String { base.id }
    var observationSpace: Box { base.observationSpace }
    var actionSpace: Box { base.actionSpace }
    mutating func reset(seed: UInt64?) throws -> [Float] {
        if failed && resetFailsAfterFailure { throw EnvironmentError.invalidState("simulator did not come back") }
        return try base.reset(seed: seed)
    }
    mutating func step(_ action: [Float]) throws -> StepResult {
        steps += 1
        if steps % failEvery == 0 {
            failed = true
            throw EnvironmentError.invalidState("simulated physics blow-up")
        }
        return try base.step(action)
    }
}

@Suite struct EnvironmentFailureTests {
    @Test func oneFailingEnvironmentIsReportedAloneAndRestarted() throws {
        var options = EnvironmentServer.Options()
        options.numEnvs = 2
        var made = 0
        let server = try EnvironmentServer(options: options) {
            made += 1
            return FlakyEnvironment(failEvery: made == 3 ? 2 : 1_000) // the session's second copy fails on every 2nd step
        }
        let hello = try MessageCodec.decodeReply(
            server.handle(MessageCodec.encode(BridgeRequest(requestID: 1, sessionID: "", kind: .handshake(.init())))))
        guard case let .handshake(session) = hello.kind else { Issue.record("handshake refused"); return }
        _ = server.handle(
            MessageCodec.encode(BridgeRequest(requestID: 2, sessionID: session.sessionID, kind: .reset(.init(seeds: [1, 2])))))
        var failures = 0
        for t in 3..<9 {
            let reply = try MessageCodec.decodeReply(
                server.handle(
                    MessageCodec.encode(
                        BridgeRequest(
                            requestID: UInt64(t), sessionID: session.sessionID,
                            kind: .step(actions: Tensor(float32: [0.1, 0.1], shape: [2, 1]))))))
            guard case let .step(step) = reply.kind else { Issue.record("step \(t) refused: \(reply.kind)"); return }
            #expect(step.rewards[0] != 0) // the healthy environment always steps
            if let failure = step.failures.first {
                #expect(failure.index == 1 && failure.error.code == .environmentFailure && failure.error.message.contains("blow-up"))
                #expect(step.rewards[1] == 0 && !step.terminated[1] && !step.truncated[1])
                failures += 1
            }
        }
        #expect(failures == 3)
    }

    /// An environment that returns observations of the wrong length (a simulator bug): its copy's step is
    /// a failure of that copy and the reply stays well formed; a reset gives an error reply.
    @Test func observationsOfTheWrongLengthAreAFailureNotAMalformedReply() throws {
        struct Miscounting: Environment {
            var base = Pendulum()
            let badReset: Bool
            var steps = 0
            var id: String { base.id }
            var observationSpace: Box { base.observationSpace }
            var actionSpace: Box { base.actionSpace }
            mutating func reset(seed: UInt64?) throws -> [Float] {
                let observation = try base.reset(seed: seed)
                return badReset ? observation + [0] : observation
            }
            mutating func step(_ action: [Float]) throws -> StepResult {
                steps += 1
                var result = try base.step(action)
                if steps == 2 { result.observation.removeLast() }
                return result
            }
        }
        var options = EnvironmentServer.Options()
        options.numEnvs = 2
        for badReset in [false, true] {
            var made = 0
            let server = try EnvironmentServer(options: options) {
                made += 1
                return made == 3 ? Miscounting(badReset: badReset) : Pendulum() // the session's second copy miscounts
            }
            let hello = try MessageCodec.decodeReply(
                server.handle(MessageCodec.encode(BridgeRequest(requestID: 1, sessionID: "", kind: .handshake(.init())))))
            guard case let .handshake(session) = hello.kind else { Issue.record("handshake refused"); return }
            let reset = try MessageCodec.decodeReply(
                server.handle(MessageCodec.encode(BridgeRequest(requestID: 2, sessionID: session.sessionID, kind: .reset(.init())))))
            if badReset {
                guard case let .error(error) = reset.kind else { Issue.record("a reset of 4 observation elements was accepted"); continue }
                #expect(error.code == .environmentFailure && error.message.contains("4 observation elements"))
                continue
            }
            var failures: [BridgeReply.Failure] = []
            for t in 3..<6 {
                let reply = try MessageCodec.decodeReply(
                    server.handle(
                        MessageCodec.encode(
                            BridgeRequest(
                                requestID: UInt64(t), sessionID: session.sessionID,
                                kind: .step(actions: Tensor(float32: [0.1, 0.1], shape: [2, 1]))))))
                guard case let .step(step) = reply.kind else { Issue.record("step \(t) refused: \(reply.kind)"); return }
                #expect(step.observations.shape == [2, 3] && step.rewards[0] != 0)
                failures += step.failures
            }
            #expect(
                failures.count == 1 && failures.first?.index == 1
                    && failures.first?.error.message.contains("2 observation elements") == true)
        }
    }
}
