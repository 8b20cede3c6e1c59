import CSACZeroMQ
#if canImport(Glibc)
    import Glibc
#endif

/// A ZeroMQ socket. Owns its libzmq socket and closes it in `close()` or, as a safety net, in `deinit`.
///
/// Not thread-safe (libzmq sockets are not): use a socket from one thread at a time. Every failing libzmq
/// call becomes a ``ZeroMQError``. Linger is 0 by default so closing never blocks.
public final class ZeroMQSocket {
    /// Socket patterns used by the bridge.
    public enum Kind: Int32, Sendable {
        case request = 3 // ZMQ_REQ
        case reply = 4 // ZMQ_REP
        case dealer = 5 // ZMQ_DEALER
        case router = 6 // ZMQ_ROUTER
        case pair = 0 // ZMQ_PAIR
    }

    private var handle: UnsafeMutableRawPointer?
    /// Kept so the context outlives the socket.
    public let context: ZeroMQContext
    /// The socket's pattern.
    public let kind: Kind
    /// The last endpoint bound or connected, for messages.
    public private(set) var endpoint = "(unconnected)"
    /// Receive timeout in milliseconds (−1 = wait forever).
    public private(set) var receiveTimeout: Int = -1
    /// Send timeout in milliseconds (−1 = wait forever).
    public private(set) var sendTimeout: Int = -1

    /// A new socket of `kind` in `context`, with linger 0.
    public init(_ kind: Kind, context: ZeroMQContext = .shared) throws(ZeroMQError) {
        guard let handle = zmq_socket(context.handle, kind.rawValue) else { throw .last("zmq_socket") }
        self.handle = handle
        self.context = context
        self.kind = kind
        try setOption(ZMQ_LINGER, Int32(0), name: "ZMQ_LINGER")
    }

    deinit { close() }

    /// Closes the socket; later calls throw ``ZeroMQError/closed``. Idempotent.
    public func close() {
        if let handle { zmq_close(handle) }
        handle = nil
    }

    /// Whether ``close()`` has been called.
    public var isClosed: Bool { handle == nil }

    // MARK: Options

    /// Sets how long a receive waits before throwing ``ZeroMQError/timedOut(operation:endpoint:milliseconds:)``.
    public func setReceiveTimeout(milliseconds: Int) throws(ZeroMQError) {
        try setOption(ZMQ_RCVTIMEO, Int32(clamping: milliseconds), name: "ZMQ_RCVTIMEO")
        receiveTimeout = milliseconds
    }

    /// Sets how long a send waits when it cannot queue the message.
    public func setSendTimeout(milliseconds: Int) throws(ZeroMQError) {
        try setOption(ZMQ_SNDTIMEO, Int32(clamping: milliseconds), name: "ZMQ_SNDTIMEO")
        sendTimeout = milliseconds
    }

    /// Messages larger than `bytes` are refused by libzmq before they are allocated, and the
    /// offending peer is disconnected (`ZMQ_MAXMSGSIZE`).
    public func setMaximumMessageSize(bytes: Int) throws(ZeroMQError) {
        try setOption(ZMQ_MAXMSGSIZE, Int64(bytes), name: "ZMQ_MAXMSGSIZE")
    }

    /// Milliseconds to keep unsent messages after close (0 by default).
    public func setLinger(milliseconds: Int) throws(ZeroMQError) {
        try setOption(ZMQ_LINGER, Int32(clamping: milliseconds), name: "ZMQ_LINGER")
    }

    /// Sets an integer or raw option by its libzmq number.
    public func setOption<T: FixedWidthInteger>(_ option: Int32, _ value: T, name: String) throws(ZeroMQError) {
        let handle = try open()
        let status = withUnsafeBytes(of: value) { zmq_setsockopt(handle, option, $0.baseAddress, $0.count) }
        if status != 0 { throw .last("zmq_setsockopt(\(name))") }
    }

    /// Sets a byte-string option (e.g. CURVE keys, ZMQ_ROUTING_ID).
    public func setOption(_ option: Int32, bytes: [UInt8], name: String) throws(ZeroMQError) {
        let handle = try open()
        let status = bytes.withUnsafeBytes { zmq_setsockopt(handle, option, $0.baseAddress, $0.count) }
        if status != 0 { throw .last("zmq_setsockopt(\(name))") }
    }

    /// Makes this socket a CURVE server: traffic is encrypted and clients must know the server's public key.
    public func makeCurveServer(secretKey: String) throws(ZeroMQError) {
        try setOption(ZMQ_CURVE_SERVER, Int32(1), name: "ZMQ_CURVE_SERVER")
        try setOption(ZMQ_CURVE_SECRETKEY, bytes: Array(secretKey.utf8), name: "ZMQ_CURVE_SECRETKEY")
    }

    /// Makes this socket a CURVE client of the server whose public key is `serverPublicKey`.
    public func makeCurveClient(serverPublicKey: String, keyPair: CurveKeyPair) throws(ZeroMQError) {
        try setOption(ZMQ_CURVE_SERVERKEY, bytes: Array(serverPublicKey.utf8), name: "ZMQ_CURVE_SERVERKEY")
        try setOption(ZMQ_CURVE_PUBLICKEY, bytes: Array(keyPair.publicKey.utf8), name: "ZMQ_CURVE_PUBLICKEY")
        try setOption(ZMQ_CURVE_SECRETKEY, bytes: Array(keyPair.secretKey.utf8), name: "ZMQ_CURVE_SECRETKEY")
    }

    // MARK: Endpoints

    /// Binds to `endpoint` (`tcp://127.0.0.1:5555`, `ipc:///tmp/sim.sock`, `inproc://name`).
    public func bind(_ endpoint: String) throws(ZeroMQError) {
        let handle = try open()
        if zmq_bind(handle, endpoint) != 0 { throw .last("zmq_bind(\(endpoint))") }
        self.endpoint = lastEndpoint ?? endpoint
    }

    /// Connects to `endpoint`. libzmq connects asynchronously; messages queue until it does.
    public func connect(_ endpoint: String) throws(ZeroMQError) {
        let handle = try open()
        if zmq_connect(handle, endpoint) != 0 { throw .last("zmq_connect(\(endpoint))") }
        self.endpoint = endpoint
    }

    /// Publishes the socket's `events` (`ZMQ_EVENT_*` flags) on a PAIR socket at `endpoint` (inproc), as
    /// libzmq's socket monitor does; see ``ZeroMQConnectionMonitor``.
    public func monitor(events: Int32, on endpoint: String) throws(ZeroMQError) {
        let handle = try open()
        if zmq_socket_monitor(handle, endpoint, events) != 0 { throw .last("zmq_socket_monitor(\(endpoint))") }
    }

    /// Stops a ``monitor(events:on:)``.
    public func stopMonitoring() {
        if let handle { zmq_socket_monitor(handle, nil, 0) }
    }

    /// The endpoint actually bound (resolves `tcp://127.0.0.1:*` to its port).
    public var lastEndpoint: String? {
        guard let handle else { return nil }
        var buffer = [CChar](repeating: 0, count: 512)
        var size = buffer.count
        guard zmq_getsockopt(handle, ZMQ_LAST_ENDPOINT, &buffer, &size) == 0 else { return nil }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    // MARK: Messages

    /// Sends one frame.
    public func send(_ bytes: [UInt8]) throws(ZeroMQError) {
        let handle = try open()
        let status = bytes.withUnsafeBytes { zmq_send(handle, $0.baseAddress, $0.count, 0) }
        if status < 0 {
            if zmq_errno() == EAGAIN { throw .timedOut(operation: "send", endpoint: endpoint, milliseconds: sendTimeout) }
            throw .last("zmq_send")
        }
    }

    /// Sends one message of several frames.
    public func sendMultipart(_ frames: [[UInt8]]) throws(ZeroMQError) {
        let handle = try open()
        for (index, frame) in frames.enumerated() {
            let flags = index < frames.count - 1 ? ZMQ_SNDMORE : 0
            let status = frame.withUnsafeBytes { zmq_send(handle, $0.baseAddress, $0.count, flags) }
            if status < 0 {
                if zmq_errno() == EAGAIN { throw .timedOut(operation: "send", endpoint: endpoint, milliseconds: sendTimeout) }
                throw .last("zmq_send")
            }
        }
    }

    /// Receives one message as its frames, waiting at most the receive timeout.
    public func receiveMultipart() throws(ZeroMQError) -> [[UInt8]] {
        try receiveMultipart(spinMicroseconds: 0)
    }

    /// Receives one message as its frames, first checking for it without blocking for up to
    /// `spinMicroseconds` before waiting (at most the receive timeout) as ``receiveMultipart()`` does.
    ///
    /// A thread that blocks gives up its core; on a virtual machine an idle core halts, and waking it
    /// for the reply costs tens of microseconds, often more than the peer took to answer. Checking
    /// for the reply for a few tens of microseconds first keeps a quick round trip off that path, at the
    /// price of that much processor time when the reply is slow.
    public func receiveMultipart(spinMicroseconds: Int) throws(ZeroMQError) -> [[UInt8]] {
        let (first, rest) = try receiveMessage(spinMicroseconds: spinMicroseconds)
        return [first] + rest
    }

    /// Receives a one-frame message; a multipart one is drained and reported as an error.
    public func receive() throws(ZeroMQError) -> [UInt8] {
        try receive(spinMicroseconds: 0)
    }

    /// ``receive()`` after checking for the message for up to `spinMicroseconds` without blocking (see
    /// ``receiveMultipart(spinMicroseconds:)``).
    public func receive(spinMicroseconds: Int) throws(ZeroMQError) -> [UInt8] {
        var bytes: [UInt8] = []
        try receive(into: &bytes, spinMicroseconds: spinMicroseconds)
        return bytes
    }

    /// ``receive(spinMicroseconds:)`` into `buffer`, replacing its contents and keeping its storage when
    /// the frame has its size: a client or server that receives messages of one size into one buffer
    /// allocates nothing per message. A multipart message is drained and reported as an error (`buffer`
    /// then holds its first frame).
    public func receive(into buffer: inout [UInt8], spinMicroseconds: Int = 0) throws(ZeroMQError) {
        if try spin(spinMicroseconds, { () throws(ZeroMQError) in try receiveFrame(into: &buffer, dontWait: true) }) { return }
        _ = try receiveFrame(into: &buffer, dontWait: false)
    }

    /// Calls `attempt` (a receive that does not wait) until it succeeds or `microseconds` have passed;
    /// whether it succeeded. Never calls it for 0.
    private func spin(_ microseconds: Int, _ attempt: () throws(ZeroMQError) -> Bool) throws(ZeroMQError) -> Bool {
        guard microseconds > 0 else { return false }
        var start = timespec(), now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &start)
        repeat {
            if try attempt() { return true }
            clock_gettime(CLOCK_MONOTONIC, &now)
        } while (now.tv_sec - start.tv_sec) * 1_000_000 + (now.tv_nsec - start.tv_nsec) / 1_000 < microseconds
        return false
    }

    /// One one-frame message into `buffer`; false when `dontWait` and none has arrived.
    private func receiveFrame(into buffer: inout [UInt8], dontWait: Bool) throws(ZeroMQError) -> Bool {
        let handle = try open()
        var message = zmq_msg_t()
        zmq_msg_init(&message)
        defer { zmq_msg_close(&message) }
        if zmq_msg_recv(&message, handle, dontWait ? ZMQ_DONTWAIT : 0) < 0 {
            if zmq_errno() == EAGAIN {
                if dontWait { return false }
                throw .timedOut(operation: "receive", endpoint: endpoint, milliseconds: receiveTimeout)
            }
            throw .last("zmq_msg_recv")
        }
        let frame = UnsafeRawBufferPointer(start: zmq_msg_data(&message), count: zmq_msg_size(&message))
        if buffer.count == frame.count {
            buffer.withUnsafeMutableBytes { $0.copyMemory(from: frame) }
        } else {
            buffer = Array(frame)
        }
        guard zmq_msg_more(&message) != 0 else { return true }
        // The rest of a message arrives with its first frame.
        var frames = 1, more = true
        while more {
            var part = zmq_msg_t()
            zmq_msg_init(&part)
            defer { zmq_msg_close(&part) }
            guard zmq_msg_recv(&part, handle, 0) >= 0 else { throw .last("zmq_msg_recv") }
            frames += 1
            more = zmq_msg_more(&part) != 0
        }
        throw .unexpectedMultipart(frames: frames)
    }

    /// One message as its first frame and the others, for ``receiveMultipart(spinMicroseconds:)`` (a
    /// one-frame receive goes through ``receive(into:spinMicroseconds:)``).
    private func receiveMessage(spinMicroseconds: Int) throws(ZeroMQError) -> (first: [UInt8], rest: [[UInt8]]) {
        var message: (first: [UInt8], rest: [[UInt8]])?
        if try spin(
            spinMicroseconds,
            { () throws(ZeroMQError) in
                message = try receiveMessage(dontWait: true)
                return message != nil
            }), let message
        {
            return message
        }
        // A blocking receive never answers "nothing yet".
        return try receiveMessage(dontWait: false) ?? ([], [])
    }

    /// One message, or nil when `dontWait` and none has arrived.
    private func receiveMessage(dontWait: Bool) throws(ZeroMQError) -> (first: [UInt8], rest: [[UInt8]])? {
        let handle = try open()
        var first: [UInt8]?
        var rest: [[UInt8]] = []
        var more = true
        while more {
            var message = zmq_msg_t()
            zmq_msg_init(&message)
            defer { zmq_msg_close(&message) }
            // Only the first frame may be missing: the rest of a message arrives with it.
            if zmq_msg_recv(&message, handle, first == nil && dontWait ? ZMQ_DONTWAIT : 0) < 0 {
                if zmq_errno() == EAGAIN {
                    if first == nil && dontWait { return nil }
                    throw .timedOut(operation: "receive", endpoint: endpoint, milliseconds: receiveTimeout)
                }
                throw .last("zmq_msg_recv")
            }
            let size = zmq_msg_size(&message)
            let bytes = size == 0 ? [] : Array(UnsafeRawBufferPointer(start: zmq_msg_data(&message), count: size))
            if first == nil { first = bytes } else { rest.append(bytes) }
            // Read before the message is closed.
            more = zmq_msg_more(&message) != 0
        }
        return (first ?? [], rest)
    }

    /// Waits up to `milliseconds` for a message to arrive; true when one can be received now.
    public func waitForMessage(milliseconds: Int) throws(ZeroMQError) -> Bool {
        let handle = try open()
        var item = zmq_pollitem_t(socket: handle, fd: 0, events: Int16(ZMQ_POLLIN), revents: 0)
        let count = zmq_poll(&item, 1, milliseconds)
        if count < 0 {
            if zmq_errno() == EINTR { return false }
            throw .last("zmq_poll")
        }
        return count > 0 && (item.revents & Int16(ZMQ_POLLIN)) != 0
    }

    /// Waits up to `milliseconds` for any of `sockets` to have a message; returns which have one.
    public static func waitForMessages(_ sockets: [ZeroMQSocket], milliseconds: Int) throws(ZeroMQError) -> [Bool] {
        var items: [zmq_pollitem_t] = []
        for socket in sockets { items.append(zmq_pollitem_t(socket: try socket.open(), fd: 0, events: Int16(ZMQ_POLLIN), revents: 0)) }
        let count = zmq_poll(&items, Int32(items.count), milliseconds)
        if count < 0 {
            if zmq_errno() == EINTR { return Array(repeating: false, count: sockets.count) }
            throw .last("zmq_poll")
        }
        return items.map { ($0.revents & Int16(ZMQ_POLLIN)) != 0 }
    }

    private func open() throws(ZeroMQError) -> UnsafeMutableRawPointer {
        guard let handle else { throw .closed }
        return handle
    }
}
