/// A ZeroMQ authentication (ZAP, RFC 27) handler that admits CURVE clients whose public key is on an
/// allow-list. libzmq asks the handler bound at `inproc://zeromq.zap.01` of a context about every
/// connection to a CURVE server socket of that context; the owner calls ``handleRequest()`` whenever
/// ``socket`` has a message (poll it together with the server socket).
public final class ZAPAuthenticator {
    /// The REP socket libzmq sends ZAP requests to.
    public let socket: ZeroMQSocket
    /// Z85 public keys of the clients to admit.
    public let allowedClientKeys: Set<String>
    /// Connections admitted and refused so far.
    public private(set) var admitted = 0, refused = 0

    /// Binds the handler in `context` (one per context).
    public init(context: ZeroMQContext, allowedClientKeys: Set<String>) throws(ZeroMQError) {
        socket = try ZeroMQSocket(.reply, context: context)
        try socket.bind("inproc://zeromq.zap.01")
        self.allowedClientKeys = allowedClientKeys
    }

    deinit { socket.close() }

    /// Answers one pending ZAP request: 200 for an allowed CURVE key, 400 otherwise.
    public func handleRequest() throws(ZeroMQError) {
        let frames = try socket.receiveMultipart()
        // version, request id, domain, address, routing id, mechanism, then the mechanism's credentials.
        let requestID = frames.count > 1 ? frames[1] : []
        var ok = false
        if frames.count >= 7, String(decoding: frames[0], as: UTF8.self) == "1.0", String(decoding: frames[5], as: UTF8.self) == "CURVE",
            let key = CurveKeyPair.z85(frames[6])
        {
            ok = allowedClientKeys.contains(key)
        }
        if ok { admitted += 1 } else { refused += 1 }
        try socket.sendMultipart([
            Array("1.0".utf8), requestID, Array((ok ? "200" : "400").utf8),
            Array((ok ? "OK" : "client key not allowed").utf8), [], [],
        ])
    }
}
