import CSACZeroMQ

/// A failed libzmq call, with libzmq's own description (`zmq_strerror`).
public enum ZeroMQError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A send or receive did not complete within the socket's timeout.
    case timedOut(operation: String, endpoint: String, milliseconds: Int)
    /// Any other libzmq failure: the call, `errno`, and libzmq's message.
    case call(String, errno: Int32, message: String)
    /// A multipart message arrived where one frame was expected.
    case unexpectedMultipart(frames: Int)
    /// The socket was used after `close()`.
    case closed

    /// The error libzmq reports for the failed `call`.
    static func last(_ call: String) -> ZeroMQError {
        let number = zmq_errno()
        return .call(call, errno: number, message: String(cString: zmq_strerror(number)))
    }

    public var description: String {
        switch self {
        case let .timedOut(operation, endpoint, milliseconds):
            return "\(operation) on \(endpoint) timed out after \(milliseconds) ms (is the peer running and reachable?)"
        case let .call(call, errno, message):
            return "\(call) failed: \(message) (errno \(errno))"
        case let .unexpectedMultipart(frames):
            return "received a message of \(frames) frames; one was expected"
        case .closed:
            return "the socket is closed"
        }
    }
}
