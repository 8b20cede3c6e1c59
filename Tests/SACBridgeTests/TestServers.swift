import Foundation
import SACBridge
import SACEnvironments
import SACZeroMQ
import SoftActorCritic
import SACTestSupport

/// The tests' Swift servers, with the built-in Pendulum by default.
extension BackgroundEnvironmentServer {
    convenience init(endpoint: String, options: EnvironmentServer.Options = .init()) throws {
        try self.init(environment: "pendulum", endpoint: endpoint, options: options)
    }
}

extension ServerProcess {
    /// A server of `environment` with `numEnvs` copies bound to `bind`: `gym_bridge` from this checkout
    /// (Gymnasium's environments) or this build's `sac serve` (the built-in ones).
    convenience init(
        environment: String = "Pendulum-v1", numEnvs: Int = 1, bind: String = "tcp://127.0.0.1:*", extraArguments: [String] = [],
        program: Program = .gymBridge(pythonPath: nil), prefix: [String] = []
    ) throws {
        let arguments = ["--env", environment, "--bind", bind, "--num-envs", "\(numEnvs)"] + extraArguments
        // Always this checkout's gym_bridge, whatever version pip installed.
        let program: Program = if case .gymBridge = program { .gymBridge(pythonPath: PythonModules.checkout) } else { program }
        try self.init(program, arguments: arguments, prefix: prefix)
    }
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
        guard descriptor >= 0 else { throw POSIXError(.init(rawValue: errno) ?? .EIO) }
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
            throw POSIXError(.init(rawValue: errno) ?? .EIO)
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
