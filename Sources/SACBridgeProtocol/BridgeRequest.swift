/// A request from client to server, in the library's own types (see `protocol/envbridge.proto`).
public struct BridgeRequest: Equatable, Sendable {
    /// Chosen by the client and echoed by the reply; a retry reuses it.
    public var requestID: UInt64
    /// From the handshake reply; empty in a handshake.
    public var sessionID: String
    /// What is asked.
    public var kind: Kind

    /// The message kinds.
    public enum Kind: Equatable, Sendable {
        /// Open a session.
        case handshake(Handshake)
        /// Start new episodes in every environment of the session.
        case reset(Reset)
        /// Step every environment of the session.
        case step(actions: Tensor)
        /// End the session.
        case close
    }

    /// Opening a session.
    public struct Handshake: Equatable, Sendable {
        public var protocolMajor: UInt32
        public var protocolMinor: UInt32
        /// Free text for the server's logs.
        public var clientName: String
        /// `nil`: observations in the environment's dtype; `.float32`: cast on the server.
        public var observationDType: TensorDType?
        /// Protocol 1.1: random, one per handshake attempt, so that a retried handshake (its reply lost)
        /// gets the session the first one opened rather than a second; empty: none.
        public var clientNonce: String

        public init(
            protocolMajor: UInt32 = ProtocolVersion.major, protocolMinor: UInt32 = ProtocolVersion.minor,
            clientName: String = "", observationDType: TensorDType? = nil, clientNonce: String = ""
        ) {
            self.protocolMajor = protocolMajor
            self.protocolMinor = protocolMinor
            self.clientName = clientName
            self.observationDType = observationDType
            self.clientNonce = clientNonce
        }
    }

    /// Resetting the session's environments: every one, or (protocol 1.1) those in ``environmentIndices``.
    public struct Reset: Equatable, Sendable {
        /// Empty, or one per environment reset; `nil` = no seed (continue), which differs from seed 0.
        public var seeds: [UInt64?]
        /// Empty, or one per environment reset: a start state (the state hook), `nil` = the environment's own reset.
        public var states: [Tensor?]
        /// Protocol 1.1: empty resets every environment; otherwise the environments to reset, strictly
        /// increasing, while the others' episodes go on. Only for a server whose handshake says minor ≥ 1.
        public var environmentIndices: [Int]

        public init(seeds: [UInt64?] = [], states: [Tensor?] = [], environmentIndices: [Int] = []) {
            self.seeds = seeds
            self.states = states
            self.environmentIndices = environmentIndices
        }
    }

    public init(requestID: UInt64, sessionID: String, kind: Kind) {
        self.requestID = requestID
        self.sessionID = sessionID
        self.kind = kind
    }
}
