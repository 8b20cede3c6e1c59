import Foundation
import SACEnvironments
import SACZeroMQ

/// An ``EnvironmentServer`` answering on a thread of its own, from `init` (which returns once the socket is
/// bound) until ``stop()`` or deinitialisation. The way to serve an environment inside a process that does
/// something else: a test, a benchmark, an example, or a simulator written in Swift.
///
/// ```swift
/// let server = try BackgroundEnvironmentServer(environment: "pendulum", endpoint: "tcp://127.0.0.1:*")
/// let env = try RemoteEnvironment(address: server.endpoint)
/// ```
public final class BackgroundEnvironmentServer: Sendable {
    /// The endpoint actually bound, ports resolved (`tcp://127.0.0.1:*` becomes `tcp://127.0.0.1:41234`).
    public let endpoint: String
    private let state: State

    /// Serves the built-in environment `environment` (an `EnvironmentRegistry` name) on `endpoint`.
    public convenience init(
        environment: String, endpoint: String, options: EnvironmentServer.Options = .init(),
        context: ZeroMQContext = .shared
    ) throws(EnvironmentServerError) {
        try self.init(endpoint: endpoint, context: context) { try EnvironmentServer(environment: environment, options: options) }
    }

    /// Serves what `makeServer` makes (called on the server's thread) on `endpoint`; throws if the server
    /// cannot be made or bound within `startTimeoutSeconds`.
    public init(
        endpoint: String, context: ZeroMQContext = .shared, startTimeoutSeconds: Double = 10,
        makeServer: @escaping @Sendable () throws -> EnvironmentServer
    ) throws(EnvironmentServerError) {
        let state = State()
        Thread {
            do {
                let server = try makeServer()
                try server.serve(on: endpoint, context: context, onBound: { state.bound($0) }, until: { state.stopRequested })
            } catch {
                state.failed("\(error)")
            }
            state.finish()
        }.start()
        let deadline = Date().addingTimeInterval(startTimeoutSeconds)
        while state.endpoint == nil && state.failure == nil && Date() < deadline { usleep(1_000) }
        if let failure = state.failure { throw .failedToStart(endpoint: endpoint, reason: failure) }
        guard let bound = state.endpoint else {
            state.stop()
            throw .failedToStart(endpoint: endpoint, reason: "not bound within \(startTimeoutSeconds) s")
        }
        self.endpoint = bound
        self.state = state
    }

    /// Asks the server to stop and waits (up to 5 s; the server looks every 100 ms) until its socket is closed.
    public func stop() {
        state.stop()
        let deadline = Date().addingTimeInterval(5)
        while !state.isFinished && Date() < deadline { usleep(1_000) }
    }

    deinit { stop() }

    /// What the server's thread and its owner share.
    private final class State: @unchecked Sendable {
        private let lock = NSLock()
        private var _endpoint: String?, _failure: String?, _stop = false, _finished = false
        var endpoint: String? { lock.withLock { _endpoint } }
        var failure: String? { lock.withLock { _failure } }
        var stopRequested: Bool { lock.withLock { _stop } }
        var isFinished: Bool { lock.withLock { _finished } }
        func bound(_ endpoint: String) { lock.withLock { _endpoint = endpoint } }
        func failed(_ message: String) { lock.withLock { _failure = message } }
        func stop() { lock.withLock { _stop = true } }
        func finish() { lock.withLock { _finished = true } }
    }
}

/// Why a ``BackgroundEnvironmentServer`` did not start.
public enum EnvironmentServerError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The server could not be made (e.g. an unknown environment) or bound (e.g. the address is in use).
    case failedToStart(endpoint: String, reason: String)

    public var description: String {
        switch self {
        case let .failedToStart(endpoint, reason): return "the environment server for \(endpoint) did not start: \(reason)"
        }
    }
}
