import SACBridgeProtocol
import SACZeroMQ

/// Why a remote environment call failed. Every case names the address, so a message in a log is enough
/// to find the simulator.
public enum RemoteEnvironmentError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The socket layer failed (bad address, closed socket, …).
    case transport(address: String, ZeroMQError)
    /// No reply within the timeout and its retries; `milliseconds` is the total time waited.
    case timedOut(address: String, milliseconds: Int)
    /// The server answered with an error reply.
    case server(address: String, BridgeError)
    /// One environment of the batch failed; the server started a new episode in it.
    case environmentFailure(address: String, index: Int, BridgeError)
    /// Every connection attempt for `milliseconds` was refused: nothing listens at the address.
    case refused(address: String, milliseconds: Int)
    /// The reply did not fit the request (wrong id, wrong kind, wrong shape).
    case protocolViolation(address: String, String)
    /// The server's instance id changed: it restarted and the session is gone.
    case serverRestarted(address: String, previous: String, current: String)
    /// Actions that do not fit the session (their count is not environments × action elements).
    case invalidActions(address: String, String)
    /// The remote spaces cannot be used here (e.g. more than one environment per request for a single environment).
    case unsupported(address: String, String)

    public var description: String {
        switch self {
        case let .transport(address, error): return "\(address): \(error)"
        case let .timedOut(address, milliseconds):
            return
                "\(address): no reply after waiting \(milliseconds) ms in all (timeout and retries); is the simulator running and not hung (with CURVE: is the server key right and this client's key allowed)?"
        case let .refused(address, milliseconds):
            return
                "\(address) refused every connection for \(milliseconds) ms: no server listens there (is it started, and is the address right?)"
        case let .server(address, error): return "\(address) refused the request: \(error)"
        case let .environmentFailure(address, index, error): return "\(address): environment \(index) failed: \(error.message)"
        case let .protocolViolation(address, detail): return "\(address) broke the protocol: \(detail)"
        case let .serverRestarted(address, previous, current):
            return "\(address) restarted (instance \(previous) → \(current)); its session is gone"
        case let .invalidActions(address, detail): return "\(address): \(detail)"
        case let .unsupported(address, detail): return "\(address): \(detail)"
        }
    }
}

extension RemoteEnvironmentError {
    /// Timeouts, transport failures, a restarted server and a forgotten session: the connection or the
    /// server was lost, so reconnecting may help (bad input or a failing environment it would not).
    public var isConnectionLoss: Bool {
        switch self {
        case .timedOut, .transport, .serverRestarted, .refused: return true
        case let .server(_, bridgeError): return bridgeError.code == .unknownSession
        case .environmentFailure, .protocolViolation, .invalidActions, .unsupported: return false
        }
    }
}
