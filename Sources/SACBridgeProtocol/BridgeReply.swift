import SACEnvironments

/// A reply from server to client.
public struct BridgeReply: Equatable, Sendable {
    /// The request's id (0 when the request could not be decoded).
    public var requestID: UInt64
    /// Random per server process: a change means the server restarted.
    public var serverInstanceID: String
    /// What is answered.
    public var kind: Kind

    /// The reply kinds.
    public enum Kind: Equatable, Sendable {
        case handshake(Handshake)
        case reset(Reset)
        case step(Step)
        case close
        case error(BridgeError)
    }

    /// A Box space with its travelling dtype; bounds may be infinite.
    public struct Space: Equatable, Sendable {
        public var low: Tensor
        public var high: Tensor

        public init(low: Tensor, high: Tensor) {
            self.low = low
            self.high = high
        }

        /// The space as the library's ``Box`` (bounds rounded to float32, infinities kept).
        public func box() throws(BridgeError) -> Box {
            do {
                return try Box(low: low.floats(), high: high.floats(), shape: low.shape)
            } catch {
                throw BridgeError(.wrongShape, "invalid space: \(error)")
            }
        }
    }

    /// The session the server opened.
    public struct Handshake: Equatable, Sendable {
        public var protocolMajor: UInt32
        public var protocolMinor: UInt32
        public var environmentID: String
        public var observationSpace: Space
        public var actionSpace: Space
        /// Environments stepped per request.
        public var numEnvs: Int
        public var sessionID: String
        /// The time limit, 0 when unknown.
        public var maxEpisodeSteps: Int

        public init(
            protocolMajor: UInt32 = ProtocolVersion.major, protocolMinor: UInt32 = ProtocolVersion.minor, environmentID: String,
            observationSpace: Space, actionSpace: Space, numEnvs: Int, sessionID: String, maxEpisodeSteps: Int
        ) {
            self.protocolMajor = protocolMajor
            self.protocolMinor = protocolMinor
            self.environmentID = environmentID
            self.observationSpace = observationSpace
            self.actionSpace = actionSpace
            self.numEnvs = numEnvs
            self.sessionID = sessionID
            self.maxEpisodeSteps = maxEpisodeSteps
        }
    }

    /// First observations of new episodes.
    public struct Reset: Equatable, Sendable {
        /// `[num_envs, *observation_shape]`.
        public var observations: Tensor
        /// The seed each environment was reset with (`nil` = none).
        public var seedsUsed: [UInt64?]

        public init(observations: Tensor, seedsUsed: [UInt64?]) {
            self.observations = observations
            self.seedsUsed = seedsUsed
        }
    }

    /// Outcome of stepping every environment of a session.
    public struct Step: Equatable, Sendable {
        /// `[num_envs, *observation_shape]`; for an ended episode, the first observation of the next.
        public var observations: Tensor
        public var rewards: [Double]
        public var terminated: [Bool]
        public var truncated: [Bool]
        /// The true last observation of each environment whose episode ended, by index.
        public var finalObservations: [Int: Tensor]
        /// Environments whose step failed: no transition for them; their row starts a new episode.
        public var failures: [Failure]
        /// Numeric info per environment (empty when the server sends none).
        public var infos: [[String: Double]]
        /// Seconds the server spent stepping the environments.
        public var serverStepSeconds: Double

        public init(
            observations: Tensor, rewards: [Double], terminated: [Bool], truncated: [Bool], finalObservations: [Int: Tensor] = [:],
            failures: [Failure] = [], infos: [[String: Double]] = [], serverStepSeconds: Double = 0
        ) {
            self.observations = observations
            self.rewards = rewards
            self.terminated = terminated
            self.truncated = truncated
            self.finalObservations = finalObservations
            self.failures = failures
            self.infos = infos
            self.serverStepSeconds = serverStepSeconds
        }

        /// A step of no environments: the value a client reads every reply into
        /// (`StepReplyView/read(into:)`), whose arrays the first reply sizes.
        public static var empty: Step { Step(observations: Tensor(float32: []), rewards: [], terminated: [], truncated: []) }
    }

    /// One environment's failed step.
    public struct Failure: Equatable, Sendable {
        public var index: Int
        public var error: BridgeError

        public init(index: Int, error: BridgeError) {
            self.index = index
            self.error = error
        }
    }

    public init(requestID: UInt64, serverInstanceID: String, kind: Kind) {
        self.requestID = requestID
        self.serverInstanceID = serverInstanceID
        self.kind = kind
    }
}
