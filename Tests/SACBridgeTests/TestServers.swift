import Foundation
import SACBridge
import SACEnvironments
import SACZeroMQ
import SoftActorCritic

/// The tests' Swift servers, with the built-in Pendulum by default.
extension BackgroundEnvironmentServer {
    convenience init(endpoint: String, options: EnvironmentServer.Options = .init()) throws {
        try self.init(environment: "pendulum", endpoint: endpoint, options: options)
    }
}

enum TestServerError: Error { case failedToStart(String) }

/// An envbridge server in a child process, killed on deinit: `python3 -m gym_bridge serve` (Gymnasium's
/// environments) or this build's `sac serve` (the built-in ones).
final class ServerProcess {
    enum Program { case gymBridge, sac }

    let process = Process()
    private(set) var endpoint = ""

    init(environment: String = "Pendulum-v1", numEnvs: Int = 1, bind: String = "tcp://127.0.0.1:*", extraArguments: [String] = [],
         program: Program = .gymBridge, prefix: [String] = []) throws {
        let arguments = ["serve", "--env", environment, "--bind", bind, "--num-envs", "\(numEnvs)"] + extraArguments
        switch program {
        case .gymBridge:
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = ["python3", "-m", "gym_bridge"] + arguments
            // Always this checkout's gym_bridge, whatever version pip installed.
            let checkout = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../protocol/python").standardized.path
            var environment = ProcessInfo.processInfo.environment
            environment["PYTHONPATH"] = checkout + (environment["PYTHONPATH"].map { ":" + $0 } ?? "")
            process.environment = environment
        case .sac:
            let sac = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("sac").path
            guard FileManager.default.isExecutableFile(atPath: sac) else { throw TestServerError.failedToStart("build the sac tool first (swift build)") }
            process.executableURL = URL(fileURLWithPath: sac)
            process.arguments = arguments
        }
        // A command that runs the server elsewhere, e.g. `ip netns exec NAME`.
        if let first = prefix.first, let executable = process.executableURL?.path {
            process.arguments = Array(prefix.dropFirst()) + [executable] + (process.arguments ?? [])
            process.executableURL = URL(fileURLWithPath: first)
        }
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        // The server announces its resolved endpoint on its first line of standard error.
        var line = Data()
        let handle = errors.fileHandleForReading
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline {
            let byte = handle.readData(ofLength: 1)
            if byte.isEmpty { break }
            if byte == Data("\n".utf8) { break }
            line.append(byte)
        }
        let text = String(decoding: line, as: UTF8.self)
        guard let range = text.range(of: "tcp://[0-9.]+:[0-9]+", options: .regularExpression) else {
            process.terminate()
            throw TestServerError.failedToStart("\(process.arguments ?? []) said: \(text) (is the gym-bridge package installed? scripts/install-dependencies --python)")
        }
        endpoint = String(text[range])
    }

    /// SIGTERM, then SIGKILL after 5 s. Polls instead of `waitUntilExit()`, which needs a run loop that
    /// test threads do not have.
    func stop() {
        let pid = process.processIdentifier
        guard !stopped, pid > 0 else { return }
        stopped = true
        kill(pid, SIGTERM)
        let deadline = Date().addingTimeInterval(5)
        while Date() < deadline {
            var status: Int32 = 0
            let result = waitpid(pid, &status, WNOHANG)
            if result == pid || result == -1 { return }   // reaped here, or already reaped by Foundation
            usleep(10_000)
        }
        kill(pid, SIGKILL)
    }

    private var stopped = false

    /// Kills the server at once (SIGKILL), as a crash would.
    func crash() {
        guard !stopped else { return }
        stopped = true
        kill(process.processIdentifier, SIGKILL)
        var status: Int32 = 0
        waitpid(process.processIdentifier, &status, 0)
    }

    deinit { stop() }
}

/// Unique endpoints per test, so parallel tests never collide.
enum Endpoints {
    /// A TCP endpoint on a port that was free a moment ago (for servers that must come back on the same address).
    static func freeTCP() throws -> String {
        let probe = try ZeroMQSocket(.reply)
        try probe.bind("tcp://127.0.0.1:*")
        defer { probe.close() }
        return probe.lastEndpoint!
    }
    static func inproc() -> String { "inproc://test-\(UUID().uuidString)" }
    static func ipc() -> String { "ipc:///tmp/sac-test-\(UUID().uuidString.prefix(8)).sock" }
    static let tcp = "tcp://127.0.0.1:*"
}

extension SACConfiguration {
    /// A small agent for training tests: `width`×`width` networks, batch `width`.
    static func small(width: Int) -> SACConfiguration {
        var agent = SACConfiguration()
        agent.hiddenSizes = [width, width]
        agent.batchSize = width
        return agent
    }
}

extension TrainerConfiguration {
    /// A short run that evaluates `evaluationEpisodes` episodes at the end only.
    static func short(steps: Int, learningStarts: Int, evaluationEpisodes: Int) -> TrainerConfiguration {
        var trainer = TrainerConfiguration()
        trainer.totalSteps = steps
        trainer.learningStarts = learningStarts
        trainer.evaluationInterval = 0
        trainer.evaluationEpisodes = evaluationEpisodes
        return trainer
    }
}

/// A loopback TCP port held by a socket that is bound but never listens: connecting to it is refused, and
/// no other socket can bind it until ``release()``.
final class ReservedPort: @unchecked Sendable {
    let port: Int
    private let lock = NSLock()
    private var descriptor: Int32

    init() throws {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw TestServerError.failedToStart("socket: errno \(errno)") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
                bind(descriptor, pointer, length) == 0 && getsockname(descriptor, pointer, &length) == 0
            }
        }
        guard bound else {
            close(descriptor)
            throw TestServerError.failedToStart("bind 127.0.0.1:0: errno \(errno)")
        }
        self.descriptor = descriptor
        port = Int(UInt16(bigEndian: address.sin_port))
    }

    /// Closes the socket, so that a server can bind the port.
    func release() {
        lock.withLock {
            if descriptor >= 0 { close(descriptor) }
            descriptor = -1
        }
    }

    deinit { release() }
}

/// A server started from another thread, kept until this object goes away.
final class LateServer: @unchecked Sendable {
    private let lock = NSLock()
    private var server: BackgroundEnvironmentServer?
    private var error: (any Error)?

    func start(endpoint: String) {
        do {
            let started = try BackgroundEnvironmentServer(endpoint: endpoint)
            lock.withLock { server = started }
        } catch {
            lock.withLock { self.error = error }
        }
    }

    /// Why the server did not start, if it did not.
    var failure: (any Error)? { lock.withLock { error } }
}
