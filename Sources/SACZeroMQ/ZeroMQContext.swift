import CSACZeroMQ

/// A libzmq context: the owner of I/O threads and the namespace of `inproc://` endpoints.
///
/// Sockets that talk over `inproc://` must share one context. A context is thread-safe. It is terminated
/// when the last reference goes away, which waits for its sockets; they are closed with linger 0, so it
/// does not block on unsent messages.
public final class ZeroMQContext: @unchecked Sendable {
    let handle: UnsafeMutableRawPointer

    /// A new context with one I/O thread.
    public init() throws(ZeroMQError) {
        guard let handle = zmq_ctx_new() else { throw .last("zmq_ctx_new") }
        self.handle = handle
    }

    deinit { zmq_ctx_term(handle) }

    /// A process-wide context, for callers that have no reason to make their own.
    public static let shared: ZeroMQContext = {
        // zmq_ctx_new fails only when the process is out of file descriptors or memory at start-up.
        guard let context = try? ZeroMQContext() else { preconditionFailure("libzmq could not create a context") }
        return context
    }()
}
