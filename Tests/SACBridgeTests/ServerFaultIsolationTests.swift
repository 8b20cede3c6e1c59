import SACTestSupport
import Foundation
import SACBridge
import SACEnvironments
import SoftActorCritic
import Testing

/// One learner, several servers, some of them slow, killed, stopped or gone for good: each costs its own
/// copies' episodes and nothing else.
@Suite(.serialized) struct ServerFaultIsolationTests {
    /// Counts a run's progress and warnings from the trainer's thread, read from the test's.
    final class Watch: @unchecked Sendable {
        private let lock = NSLock()
        private var _step = 0, _warnings: [(step: Int, text: String)] = [], _summary: TrainingSummary?, _error: (any Error)?, _done = false
        var step: Int { lock.withLock { _step } }
        var warnings: [(step: Int, text: String)] { lock.withLock { _warnings } }
        var summary: TrainingSummary? { lock.withLock { _summary } }
        var error: (any Error)? { lock.withLock { _error } }
        var done: Bool { lock.withLock { _done } }
        func progress(_ step: Int) { lock.withLock { _step = step } }
        func warn(_ text: String) { lock.withLock { _warnings.append((_step, text)) } }
        func finish(_ summary: TrainingSummary?, _ error: (any Error)?) {
            lock.withLock {
                _summary = summary; _error = error; _done = true
            }
        }

        /// Waits until the run reached `step` or ended.
        func wait(forStep step: Int) {
            while self.step < step && !done { usleep(10_000) }
        }

        func waitUntilDone() {
            while !done { usleep(10_000) }
        }
    }

    /// `sac serve` arguments for a simulator of about 1 ms a step.
    private let slow = ["--step-delay-ms", "1"]

    static func clientOptions(timeout: Int = 300, retries: Int = 0) -> RemoteEnvironmentClient.Options {
        var options = RemoteEnvironmentClient.Options()
        options.timeoutMilliseconds = timeout
        options.retries = retries
        return options
    }

    /// Trains a small agent on a thread of its own over `addresses`, grouped with `options`.
    static func start(
        _ addresses: [String], options: VectorEnvironmentGroup.Options, steps: Int, learningStarts: Int,
        client: RemoteEnvironmentClient.Options, runDirectory: String? = nil
    ) -> Watch {
        let watch = Watch()
        let thread = Thread {
            do {
                let group = try VectorEnvironmentGroup(
                    try addresses.map { try RemoteVectorEnvironment(address: $0, options: client) },
                    options: options)
                var trainer = TrainerConfiguration.short(steps: steps, learningStarts: learningStarts, evaluationEpisodes: 1)
                trainer.updatesPerStep = 0.25
                let run = try Trainer(
                    agentConfiguration: .small(width: 16), configuration: trainer, environment: group,
                    evaluationEnvironment: EnvironmentVector(try EnvironmentRegistry.make("pendulum")), runDirectory: runDirectory)
                run.onProgress = { watch.progress($0.step) }
                run.onWarning = { watch.warn($0) }
                watch.finish(try run.run(), nil)
            } catch {
                watch.finish(nil, error)
            }
        }
        thread.start()
        return watch
    }

    /// Three servers, one 40 ms slower per step than the others: first-ready keeps the fast two stepping at
    /// their own rate, sync steps all three at the straggler's.
    @Test(.timeLimit(.minutes(2))) func firstReadyDoesNotWaitForAStraggler() throws {
        var slow = EnvironmentServer.Options()
        slow.stepDelayMilliseconds = 40
        let servers = [
            try BackgroundEnvironmentServer(endpoint: Endpoints.tcp, options: slow),
            try BackgroundEnvironmentServer(endpoint: Endpoints.tcp), try BackgroundEnvironmentServer(endpoint: Endpoints.tcp),
        ]
        for collection in VectorEnvironmentGroup.Collection.allCases {
            var options = VectorEnvironmentGroup.Options()
            options.collection = collection
            let watch = Self.start(
                servers.map(\.endpoint), options: options, steps: 300, learningStarts: 300, client: Self.clientOptions(timeout: 5_000))
            watch.waitUntilDone()
            #expect(watch.error == nil, "\(watch.error.map { "\($0)" } ?? "")")
            let summary = try #require(watch.summary)
            let steps = try #require(summary.servers).map(\.envSteps)
            #expect(steps.reduce(0, +) == summary.transitionsStored && summary.transitionsStored == summary.envSteps)
            switch collection {
            case .sync:
                #expect(steps[0] == steps[1] && steps[1] == steps[2], "\(steps)")
            case .firstReady:
                #expect(steps[0] * 5 < steps[1] && steps[0] * 5 < steps[2], "\(steps)")
            }
        }
    }

    /// Three `sac serve` processes, the second killed with SIGKILL mid-run and restarted a second later:
    /// the run finishes, the others kept stepping during the outage, every step taken is stored, and the
    /// reconnect is counted for that server only.
    @Test(.timeLimit(.minutes(3))) func aKilledServerCostsOnlyItsOwnEpisodes() throws {
        let endpoints = try (0..<3).map { _ in try Endpoints.freeTCP() }
        // 1 ms a step: the run lasts some seconds, so the outage and the rejoin fall inside it.
        var servers = try endpoints.map { try ServerProcess(environment: "pendulum", bind: $0, extraArguments: slow, program: .sac) }
        var options = VectorEnvironmentGroup.Options()
        options.reconnectAttempts = 10
        let watch = Self.start(
            endpoints, options: options, steps: 6_000, learningStarts: 200, client: Self.clientOptions(timeout: 300, retries: 1))
        watch.wait(forStep: 600)
        servers[1].crash()
        usleep(1_500_000)
        servers[1] = try ServerProcess(environment: "pendulum", bind: endpoints[1], extraArguments: slow, program: .sac)
        watch.waitUntilDone()
        withExtendedLifetime(servers) {}
        #expect(watch.error == nil, "\(watch.error.map { "\($0)" } ?? "")")
        let summary = try #require(watch.summary)
        let perServer = try #require(summary.servers)
        // From the loss being noticed (a timeout and a retry) to the rejoin, the other two stepped on.
        let lost = watch.warnings.first { $0.text.contains("lost \(endpoints[1])") }
        let rejoined = watch.warnings.first { $0.text.contains("reconnected \(endpoints[1])") }
        let steppedDuringOutage = (rejoined?.step ?? 0) - (lost?.step ?? 0)
        #expect(steppedDuringOutage > 50, "the other servers took \(steppedDuringOutage) steps while \(endpoints[1]) was reconnected")
        #expect(perServer.map(\.reconnects) == [0, 1, 0] && summary.reconnects == 1, "\(perServer.map(\.reconnects))")
        #expect(perServer.map(\.envSteps).reduce(0, +) == summary.transitionsStored && summary.transitionsStored == summary.envSteps)
        #expect(perServer.allSatisfy { $0.state == .ok && $0.copies == 1 && ($0.roundTripMs ?? 0) > 0 && $0.serverStepMs != nil })
    }

    /// Under first-ready, a server stopped with SIGSTOP stalls nobody: the other steps on, and after SIGCONT
    /// the stopped one rejoins.
    @Test(.timeLimit(.minutes(3))) func aStoppedServerUnderFirstReadyRejoinsAfterContinuing() throws {
        let servers = try (0..<2).map { _ in try ServerProcess(environment: "pendulum", extraArguments: slow, program: .sac) }
        var options = VectorEnvironmentGroup.Options()
        options.collection = .firstReady
        options.reconnectAttempts = 20
        let watch = Self.start(servers.map(\.endpoint), options: options, steps: 8_000, learningStarts: 200, client: Self.clientOptions())
        watch.wait(forStep: 500)
        kill(servers[1].process.processIdentifier, SIGSTOP)
        let stoppedAt = watch.step
        usleep(1_500_000)
        let steppedWhileStopped = watch.step - stoppedAt
        kill(servers[1].process.processIdentifier, SIGCONT)
        watch.waitUntilDone()
        #expect(watch.error == nil, "\(watch.error.map { "\($0)" } ?? "")")
        let summary = try #require(watch.summary)
        let perServer = try #require(summary.servers)
        #expect(steppedWhileStopped > 50, "the other server took \(steppedWhileStopped) steps while \(servers[1].endpoint) was stopped")
        #expect(perServer[1].reconnects >= 1 && perServer[1].state == .ok && perServer[0].reconnects == 0, "\(perServer)")
        #expect(perServer.map(\.envSteps).reduce(0, +) == summary.transitionsStored)
    }

    /// A server gone for good is dropped after its attempts: the run goes on while `--min-servers` remain
    /// (the summary says "dropped"), and below that stops with a checkpoint and an error naming it.
    @Test(.timeLimit(.minutes(2)), arguments: [1, 2]) func aServerGoneForGoodIsDroppedOrStopsTheRun(minimum: Int) throws {
        let servers = try (0..<2).map { _ in try ServerProcess(environment: "pendulum", extraArguments: slow, program: .sac) }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sac-drop-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var options = VectorEnvironmentGroup.Options()
        options.reconnectAttempts = 1
        options.minimumMembers = minimum
        let watch = Self.start(
            servers.map(\.endpoint), options: options, steps: 5_000, learningStarts: 5_000, client: Self.clientOptions(),
            runDirectory: directory)
        watch.wait(forStep: 300)
        servers[0].crash()
        watch.waitUntilDone()
        if minimum == 1 {
            #expect(watch.error == nil, "\(watch.error.map { "\($0)" } ?? "")")
            let perServer = try #require(watch.summary?.servers)
            #expect(perServer.map(\.state) == [.dropped, .ok])
            #expect(watch.warnings.contains { $0.text.contains("dropped \(servers[0].endpoint)") })
        } else {
            guard case let .serversLost(remaining, required, lost)? = watch.error as? SACError else {
                Issue.record("expected serversLost, got \(watch.error.map { "\($0)" } ?? "a finished run")")
                return
            }
            #expect(remaining == 1 && required == 2 && lost.map(\.address) == [servers[0].endpoint] && lost[0].attempts == 1)
            #expect("\(watch.error!)".contains(servers[0].endpoint))
            #expect(FileManager.default.fileExists(atPath: directory + "/checkpoint.sacc"))
        }
    }
}
