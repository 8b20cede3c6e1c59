import Foundation
import Testing
import SACTestSupport
import SACBridge
import SACEnvironments
import SoftActorCritic

/// Simulators that crash, hang, and get restarted; a trainer killed while checkpointing.
@Suite(.serialized, .enabled(if: PythonModules.gymBridgeProblem == nil, Comment(rawValue: PythonModules.gymBridgeComment)))
struct FaultTests {
    final class Shared: @unchecked Sendable {
        private let lock = NSLock()
        private var _step = 0, _summary: TrainingSummary?, _error: String?, _done = false
        var step: Int { lock.withLock { _step } }
        var summary: TrainingSummary? { lock.withLock { _summary } }
        var error: String? { lock.withLock { _error } }
        var done: Bool { lock.withLock { _done } }
        func progress(_ step: Int) { lock.withLock { _step = step } }
        func finish(_ summary: TrainingSummary?, _ error: String?) {
            lock.withLock {
                _summary = summary; _error = error; _done = true
            }
        }
    }

    /// Kill -9 the Gymnasium server three times during a run and restart it on the same address: the run
    /// finishes, `reconnects` counts the kills, and every environment step taken is stored.
    @Test(.timeLimit(.minutes(3))) func trainingSurvivesSimulatorKills() throws {
        let endpoint = try Endpoints.freeTCP()
        var server = try ServerProcess(environment: "Pendulum-v1", bind: endpoint)
        let shared = Shared()
        let thread = Thread {
            do {
                var options = RemoteEnvironmentClient.Options()
                options.timeoutMilliseconds = 300
                options.retries = 1
                let agent = SACConfiguration.small(width: 16)
                let trainer = TrainerConfiguration.short(steps: 4_000, learningStarts: 100, evaluationEpisodes: 1)
                var recovery = VectorEnvironmentGroup.Options()
                recovery.reconnectAttempts = 8
                let run = try Trainer(
                    agentConfiguration: agent, configuration: trainer,
                    environment: try VectorEnvironmentGroup(
                        [EnvironmentVector(RemoteEnvironment(address: endpoint, options: options))],
                        options: recovery),
                    evaluationEnvironment: EnvironmentVector(try RemoteEnvironment(address: endpoint, options: options)),
                    runDirectory: nil)
                run.onProgress = { shared.progress($0.step) }
                shared.finish(try run.run(), nil)
            } catch {
                shared.finish(nil, "\(error)")
            }
        }
        thread.start()
        var kills = 0
        for threshold in [500, 1_500, 2_500] {
            while shared.step < threshold && !shared.done { usleep(20_000) }
            guard !shared.done else { break }
            server.crash()
            kills += 1
            server = try ServerProcess(environment: "Pendulum-v1", bind: endpoint)
        }
        while !shared.done { usleep(20_000) }
        withExtendedLifetime(server) {}
        #expect(shared.error == nil, "\(shared.error ?? "")")
        let summary = try #require(shared.summary)
        #expect(kills == 3)
        #expect(summary.reconnects >= kills, "reconnects \(summary.reconnects) for \(kills) kills")
        #expect(summary.envSteps == 4_000 && summary.transitionsStored == 4_000)
    }

    /// SIGSTOP the server: the client's timeout fires within its bound instead of hanging.
    @Test func hungSimulatorTimesOutWithinTheBound() throws {
        let server = try ServerProcess(environment: "Pendulum-v1")
        var options = RemoteEnvironmentClient.Options()
        options.timeoutMilliseconds = 300
        options.retries = 0
        let environment = try RemoteEnvironment(address: server.endpoint, options: options)
        _ = try environment.reset(seed: 1)
        kill(server.process.processIdentifier, SIGSTOP)
        defer { kill(server.process.processIdentifier, SIGCONT) }
        let start = Date()
        do {
            _ = try environment.step([0])
            Issue.record("a stopped server answered")
        } catch let RemoteEnvironmentError.timedOut(address, milliseconds) {
            #expect(address == server.endpoint && milliseconds == 300)
        }
        let elapsed = Date().timeIntervalSince(start)
        #expect(elapsed >= 0.29 && elapsed < 1.5, "timeout fired after \(elapsed) s")
    }

    /// A lost server with no restart: the trainer gives up after its attempts, naming the address and
    /// the time it waited, and keeps a checkpoint.
    @Test(.timeLimit(.minutes(1))) func unreachableSimulatorEndsTheRunWithACheckpoint() throws {
        let server = try ServerProcess(environment: "Pendulum-v1")
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sac-fault-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var options = RemoteEnvironmentClient.Options()
        options.timeoutMilliseconds = 200
        options.retries = 0
        var agent = SACConfiguration()
        agent.hiddenSizes = [8]
        agent.batchSize = 8
        var trainer = TrainerConfiguration()
        trainer.totalSteps = 100_000
        trainer.learningStarts = 100_000
        var recovery = VectorEnvironmentGroup.Options()
        recovery.reconnectAttempts = 2
        let run = try Trainer(
            agentConfiguration: agent, configuration: trainer,
            environment: try VectorEnvironmentGroup(
                [EnvironmentVector(RemoteEnvironment(address: server.endpoint, options: options))],
                options: recovery),
            evaluationEnvironment: EnvironmentVector(try RemoteEnvironment(address: server.endpoint, options: options)),
            runDirectory: directory)
        var killed = false
        run.onProgress = { progress in
            if progress.step > 50 && !killed { server.crash(); killed = true }
        }
        do {
            try run.run()
            Issue.record("the run finished without its simulator")
        } catch let SACError.environmentUnreachable(address, attempts, waited, _) {
            #expect(address == server.endpoint && attempts == 2 && waited > 0.5)
        }
        #expect(FileManager.default.fileExists(atPath: directory + "/checkpoint.sacc"))
        let summary = try String(contentsOfFile: directory + "/summary.json", encoding: .utf8)
        #expect(summary.contains("unreachable"))
    }

    /// Kill -9 `sac train` repeatedly while it checkpoints every 50 steps: a checkpoint always loads.
    @Test(.timeLimit(.minutes(2))) func killedWhileCheckpointingTheCheckpointStillLoads() throws {
        let sac = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("sac").path
        try #require(FileManager.default.isExecutableFile(atPath: sac), "build the sac tool first (swift build)")
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sac-kill-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var resumed = 0
        for round in 0..<4 {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: sac)
            process.arguments =
                [
                    "train", "--env", "reach1d", "--hidden", "16", "--batch-size", "16", "--learning-starts", "300",
                    "--checkpoint-every", "50", "--eval-every", "0", "--eval-episodes", "1", "--quiet", "--steps", "1000000",
                ]
                + (round == 0 ? ["--run-dir", directory] : ["--resume", directory])
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            usleep(useconds_t(700_000 + 250_000 * round))
            kill(process.processIdentifier, SIGKILL)
            var status: Int32 = 0
            waitpid(process.processIdentifier, &status, 0)
            let trainer = try Trainer.resume(
                runDirectory: directory, environment: try EnvironmentRegistry.make("reach1d"),
                evaluationEnvironment: try EnvironmentRegistry.make("reach1d"))
            #expect(trainer.buffer.totalAdded > 0)
            resumed += 1
        }
        #expect(resumed == 4)
    }

    /// Ctrl-C (SIGINT) and SIGTERM make `sac train` write a checkpoint and exit 0, with status "interrupted".
    @Test(.timeLimit(.minutes(1)), arguments: [SIGINT, SIGTERM])
    func stopSignalWritesACheckpointAndExitsCleanly(signal: Int32) throws {
        let sac = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("sac").path
        try #require(FileManager.default.isExecutableFile(atPath: sac), "build the sac tool first (swift build)")
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sac-sigint-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: sac)
        process.arguments = [
            "train", "--env", "reach1d", "--hidden", "16", "--batch-size", "16", "--learning-starts", "200",
            "--eval-episodes", "1", "--quiet", "--steps", "1000000", "--run-dir", directory,
        ]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        usleep(1_500_000)
        kill(process.processIdentifier, signal)
        var status: Int32 = 0
        let deadline = Date().addingTimeInterval(20)
        while waitpid(process.processIdentifier, &status, WNOHANG) == 0 && Date() < deadline { usleep(20_000) }
        #expect(status == 0, "exit status \(status)")
        let summary = try String(contentsOfFile: directory + "/summary.json", encoding: .utf8)
        #expect(summary.contains("\"status\" : \"interrupted\""))
        let trainer = try Trainer.resume(
            runDirectory: directory, environment: try EnvironmentRegistry.make("reach1d"),
            evaluationEnvironment: try EnvironmentRegistry.make("reach1d"))
        #expect(trainer.buffer.totalAdded > 0)
    }
}
