import CSACZeroMQ

/// What libzmq's socket monitor says about a connecting socket: whether it reached its peer, and whether
/// its connection attempts are being refused (a closed TCP port, a missing ipc socket file). A socket
/// cannot tell a refused connection from a slow one otherwise: it queues messages and retries in the
/// background, and only a reply's timeout would show that nobody listens.
///
/// Create the monitor before ``ZeroMQSocket/connect(_:)``, so that no event is missed. It owns the PAIR
/// socket the events arrive on and closes it in `deinit`.
public final class ZeroMQConnectionMonitor {
    /// What the monitor has seen so far.
    public enum State: Sendable, Equatable {
        /// No connection yet, and no attempt failed.
        case connecting
        /// The peer was reached (TCP connected).
        case connected
        /// Every attempt so far failed and libzmq is retrying.
        case refused
    }

    private let watched: ZeroMQSocket, events: ZeroMQSocket
    public private(set) var state = State.connecting

    /// Starts monitoring `socket`'s connection events.
    public init(watching socket: ZeroMQSocket) throws(ZeroMQError) {
        let endpoint = "inproc://sac-monitor-\(UInt64.random(in: 0...UInt64.max))"
        try socket.monitor(events: ZMQ_EVENT_CONNECTED | ZMQ_EVENT_CONNECT_RETRIED | ZMQ_EVENT_DISCONNECTED, on: endpoint)
        watched = socket
        events = try ZeroMQSocket(.pair, context: socket.context)
        try events.connect(endpoint)
    }

    deinit {
        watched.stopMonitoring()
        events.close()
    }

    /// Reads the events that arrived, waiting up to `milliseconds` for the first, and returns the state.
    @discardableResult
    public func update(waitingMilliseconds milliseconds: Int = 0) throws(ZeroMQError) -> State {
        var wait = milliseconds
        while try events.waitForMessage(milliseconds: wait) {
            wait = 0
            let frames = try events.receiveMultipart()
            // The first frame: the event (16 bits) and its value (32 bits), little-endian; the second: the endpoint.
            guard let first = frames.first, first.count >= 2 else { continue }
            switch Int32(first[0]) | Int32(first[1]) << 8 {
            case ZMQ_EVENT_CONNECTED: state = .connected
            case ZMQ_EVENT_CONNECT_RETRIED where state != .connected: state = .refused
            case ZMQ_EVENT_DISCONNECTED: state = .connecting
            default: break
            }
        }
        return state
    }
}
