import SACTestSupport
import Foundation
import Testing
import SACBridgeProtocol
import SACBridge
import SACEnvironments
import SACZeroMQ

@Suite struct RemoteEnvironmentTests {
    /// The client checks for a reply before blocking only for a server in its own process, unless told.
    @Test func spinBeforeBlockingIsAutomaticForInprocOnly() {
        var options = RemoteEnvironmentClient.Options()
        #expect(options.spinMicroseconds(for: "inproc://sim") == RemoteEnvironmentClient.Options.automaticSpinMicroseconds)
        #expect(options.spinMicroseconds(for: "tcp://127.0.0.1:5555") == 0 && options.spinMicroseconds(for: "ipc:///tmp/s") == 0)
        options.spinMicroseconds = 20
        #expect(options.spinMicroseconds(for: "tcp://127.0.0.1:5555") == 20)
        options.spinMicroseconds = 0
        #expect(options.spinMicroseconds(for: "inproc://sim") == 0)
    }

    /// Nothing listens at the address: the refused connection is reported within about a second (libzmq's
    /// socket monitor), not after the 10 s timeout and its retries; a server that comes up within that
    /// second is still reached.
    @Test(arguments: ["tcp", "ipc"]) func aDeadAddressIsReportedWithinASecond(transport: String) throws {
        // A TCP port held by a bound socket that never listens: connections to it are refused, and no other
        // test's server can take it meanwhile.
        let reserved = transport == "tcp" ? try ReservedPort() : nil
        let dead = reserved.map { "tcp://127.0.0.1:\($0.port)" } ?? Endpoints.ipc()
        let start = Date()
        do {
            _ = try RemoteEnvironment(address: dead)
            Issue.record("a session opened at \(dead)")
        } catch let RemoteEnvironmentError.refused(address, milliseconds) {
            #expect(address == dead && milliseconds == RemoteEnvironmentClient.refusedAfterMilliseconds)
            #expect(RemoteEnvironmentError.refused(address: address, milliseconds: milliseconds).isConnectionLoss)
        }
        let elapsed = Date().timeIntervalSince(start)
        #expect(elapsed >= 0.9 && elapsed < 3, "reported after \(elapsed) s")

        // A server that starts while the client is already connecting, and stays up until the client is done.
        let late = reserved.map { "tcp://127.0.0.1:\($0.port)" } ?? Endpoints.ipc()
        let started = LateServer()
        let starter = Thread {
            usleep(300_000)
            reserved?.release()
            started.start(endpoint: late)
        }
        starter.start()
        let environment = try RemoteEnvironment(address: late)
        #expect(try environment.reset(seed: 1).count == 3)
        #expect(started.failure == nil)
        try environment.close()
    }

    @Test func timeoutFiresWithinItsBoundAndTheClientRecovers() throws {
        // A REP socket that receives but never answers: the simulator is hung.
        let hung = try ZeroMQSocket(.reply)
        try hung.bind("tcp://127.0.0.1:*")
        var options = RemoteEnvironmentClient.Options()
        options.timeoutMilliseconds = 200
        options.retries = 0
        var start = Date()
        #expect(throws: RemoteEnvironmentError.timedOut(address: hung.lastEndpoint!, milliseconds: 200)) {
            try RemoteEnvironmentClient(address: hung.lastEndpoint!, options: options)
        }
        var elapsed = Date().timeIntervalSince(start)
        #expect(elapsed >= 0.19 && elapsed < 1.5, "timed out after \(elapsed) s")
        // With two retries: 3 × 200 ms of waiting plus 100 + 200 ms of back-off, reported as the total.
        options.retries = 2
        start = Date()
        #expect(throws: RemoteEnvironmentError.timedOut(address: hung.lastEndpoint!, milliseconds: 900)) {
            try RemoteEnvironmentClient(address: hung.lastEndpoint!, options: options)
        }
        elapsed = Date().timeIntervalSince(start)
        #expect(elapsed >= 0.85 && elapsed < 3, "timed out after \(elapsed) s")
    }

    @Test func stuckRequestSocketIsReopenedSoTheNextCallWorks() throws {
        let background = try BackgroundEnvironmentServer(endpoint: Endpoints.tcp)
        var options = RemoteEnvironmentClient.Options()
        options.timeoutMilliseconds = 2000
        let client = try RemoteEnvironmentClient(address: background.endpoint, options: options)
        _ = try client.reset(seeds: [1])
        // Make the server refuse (an error reply), then confirm the session continues normally.
        #expect(throws: RemoteEnvironmentError.self) { try client.step(Tensor(float32: [.nan], shape: [1, 1])) }
        let step = try client.step(Tensor(float32: [0.3], shape: [1, 1]))
        #expect(step.rewards.count == 1)
    }

    /// What a server says in its handshake is untrusted: a session of a billion environments, a 1 MB id or
    /// one with control characters is refused with a typed error before anything is sized by it.
    @Test func hostileHandshakesAreRefused() throws {
        let space = BridgeReply.Space(low: Tensor(float32: [-1]), high: Tensor(float32: [1]))
        let hostile: [(environments: Int, id: String)] = [
            (1 << 30, "Pendulum-v1"), (1, String(repeating: "x", count: 1 << 20)),
            (1, "Pendulum\u{1B}[2J-v1"), (1, ""),
        ]
        for (environments, id) in hostile {
            let endpoint = Endpoints.inproc()
            let reply = MessageCodec.encode(
                BridgeReply(
                    requestID: 1, serverInstanceID: "hostile",
                    kind: .handshake(
                        .init(
                            environmentID: id, observationSpace: space, actionSpace: space, numEnvs: environments, sessionID: "s",
                            maxEpisodeSteps: 0))))
            let answer = Thread {
                guard let server = try? ZeroMQSocket(.reply), (try? server.bind(endpoint)) != nil,
                    (try? server.waitForMessage(milliseconds: 5_000)) == true, (try? server.receive()) != nil
                else { return }
                try? server.send(reply)
                usleep(200_000)
                server.close()
            }
            answer.start()
            do {
                _ = try RemoteEnvironmentClient(address: endpoint)
                Issue.record("a handshake with \(environments) environments and a \(id.utf8.count)-byte id was accepted")
            } catch let RemoteEnvironmentError.protocolViolation(address, detail) {
                #expect(address == endpoint && (detail.contains("environments") || detail.contains("id")), "\(detail)")
            }
        }
    }

    @Test func serverErrorsSurfaceTyped() throws {
        let background = try BackgroundEnvironmentServer(endpoint: Endpoints.inproc())
        let client = try RemoteEnvironmentClient(address: background.endpoint)
        do {
            _ = try client.step(Tensor(float32: [0], shape: [1, 1]))
            Issue.record("step before reset accepted")
        } catch let RemoteEnvironmentError.server(_, error) {
            #expect(error.code == .resetNeeded)
        }
        do {
            _ = try client.reset(states: [[1, 2, 3]])
            Issue.record("a 3-value pendulum state was accepted")
        } catch let RemoteEnvironmentError.server(_, error) {
            #expect(error.code == .wrongShape)
        }
    }

    @Test func stepIsTwoCallsSoWorkCanOverlapTheSimulator() throws {
        var options = EnvironmentServer.Options()
        options.numEnvs = 4
        let background = try BackgroundEnvironmentServer(endpoint: Endpoints.ipc(), options: options)
        let client = try RemoteEnvironmentClient(address: background.endpoint)
        #expect(client.numEnvs == 4)
        let reset = try client.reset(seeds: [1, nil, 0, 1])
        #expect(reset.seedsUsed == [1, nil, 0, 1])
        let rows = (0..<4).map { reset.observations.row($0).floats() }
        #expect(rows[0] == rows[3] && rows[0] != rows[2]) // same seed, same start; seed 0 differs from seed 1
        try client.sendStep(Tensor(float32: [0, 0.5, 1, -1], shape: [4, 1]))
        // … a trainer would run gradient updates here …
        let step = try client.receiveStep()
        #expect(step.observations.shape == [4, 3] && step.terminated == [false, false, false, false])
        #expect(client.serverStepSeconds > 0)
    }

    /// Steps from float32 actions in place into one reused step equal the steps through tensors, and a
    /// wrong number of actions is refused before anything is sent.
    @Test func stepsInPlaceMatchStepsThroughTensors() throws {
        var options = EnvironmentServer.Options()
        options.numEnvs = 3
        let background = try BackgroundEnvironmentServer(endpoint: Endpoints.inproc(), options: options)
        let viaTensors = try RemoteEnvironmentClient(address: background.endpoint),
            inPlace = try RemoteEnvironmentClient(address: background.endpoint)
        _ = try viaTensors.reset(seeds: [1, 2, 3])
        _ = try inPlace.reset(seeds: [1, 2, 3])
        var reused = BridgeReply.Step.empty
        for t in 0..<450 { // past the 200-step time limit twice: replies with final observations too
            let actions: [Float] = [Float(t % 5) * 0.4 - 0.8, 0.3, -1]
            let expected = try viaTensors.step(Tensor(float32: actions, shape: [3, 1]))
            try Self.send(actions, with: inPlace)
            try inPlace.receiveStep(into: &reused)
            #expect(reused.observations == expected.observations && reused.rewards == expected.rewards, "step \(t)")
            #expect(
                reused.terminated == expected.terminated && reused.truncated == expected.truncated
                    && reused.finalObservations == expected.finalObservations)
        }
        #expect(inPlace.serverStepSeconds > 0)
        var refusal: RemoteEnvironmentError?
        do { try Self.send([0, 0], with: inPlace) } catch { refusal = error }
        guard case let .invalidActions(_, detail)? = refusal else {
            Issue.record("2 actions for 3 environments: \(String(describing: refusal))"); return
        }
        #expect(detail.contains("3 environments"))
        // Nothing was sent: the session still steps.
        try Self.send([0, 0, 0], with: inPlace)
        try inPlace.receiveStep(into: &reused)
        #expect(reused.rewards.count == 3)
    }

    private static func send(_ actions: [Float], with client: RemoteEnvironmentClient) throws(RemoteEnvironmentError) {
        try actions.withUnsafeBufferPointer { actions throws(RemoteEnvironmentError) in try client.sendStep(float32: actions) }
    }

    @Test func remoteEnvironmentNeedsOneEnvironmentPerSession() throws {
        var options = EnvironmentServer.Options()
        options.numEnvs = 2
        let background = try BackgroundEnvironmentServer(endpoint: Endpoints.inproc(), options: options)
        #expect(throws: RemoteEnvironmentError.self) { try RemoteEnvironment(address: background.endpoint) }
    }

    @Test func remoteEnvironmentValidatesActionsLocallyAndEndsEpisodesWithoutARoundTrip() throws {
        let background = try BackgroundEnvironmentServer(environment: "reach1d", endpoint: Endpoints.inproc())
        var environment: any Environment = try RemoteEnvironment(address: background.endpoint)
        #expect(throws: EnvironmentError.resetNeeded(id: "Reach1D-v0")) { try environment.step([0]) }
        _ = try environment.reset(seed: 4)
        #expect(throws: EnvironmentError.actionShapeMismatch(expected: [1], count: 2)) { try environment.step([0, 0]) }
        #expect(throws: EnvironmentError.self) { try environment.step([.nan]) }
        var last = StepResult(observation: [], reward: 0, terminated: false, truncated: false)
        for _ in 0..<25 { last = try environment.step([1]) }
        #expect(last.truncated && last.observation.count == 1)
        let next = try environment.reset(seed: nil) // the server already started the next episode
        #expect(next.count == 1 && next != last.observation)
        try environment.close()
    }

    @Test func backgroundServerThatCannotStartIsATypedErrorNamingTheEndpoint() throws {
        let endpoint = Endpoints.inproc()
        #expect(throws: EnvironmentServerError.self) { try BackgroundEnvironmentServer(environment: "no-such-env", endpoint: endpoint) }
        let first = try BackgroundEnvironmentServer(endpoint: Endpoints.tcp)
        do {
            _ = try BackgroundEnvironmentServer(environment: "pendulum", endpoint: first.endpoint)
            Issue.record("a second server bound \(first.endpoint)")
        } catch {
            #expect("\(error)".contains(first.endpoint))
        }
        first.stop()
    }

    /// `stepDelayMilliseconds` (`sac serve --step-delay-ms`) models a slow simulator: one sleep per request,
    /// reported as the server's stepping time.
    @Test func stepDelayModelsASlowSimulator() throws {
        var options = EnvironmentServer.Options()
        options.numEnvs = 2
        options.stepDelayMilliseconds = 30
        let server = try BackgroundEnvironmentServer(endpoint: Endpoints.inproc(), options: options)
        let client = try RemoteEnvironmentClient(address: server.endpoint)
        _ = try client.reset()
        let clock = ContinuousClock(), began = clock.now
        let reply = try client.step(Tensor(float32: [0, 0], shape: [2, 1]))
        #expect(clock.now - began >= .milliseconds(30))
        #expect(reply.serverStepSeconds >= 0.030 && reply.serverStepSeconds < 1)
    }
}
