/// An environment reached over a connection that can be lost and re-established: a remote simulator
/// that crashes, hangs or restarts. Trainers use this to recover instead of failing the run.
public protocol ReconnectableEnvironment: AnyObject, Environment {
    /// Where the environment lives, for messages (e.g. `tcp://127.0.0.1:5555`).
    var address: String { get }
    /// Opens a fresh session with the server (a new handshake), discarding the old one. The next call
    /// must be a `reset`. Throws if the server is still unreachable.
    func reconnect() throws
    /// Whether `error`, thrown by this environment, means the connection or the server was lost, so that
    /// reconnecting may help (as opposed to bad input, which it would not).
    func isConnectionLoss(_ error: any Error) -> Bool
}
