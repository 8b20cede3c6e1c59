/// The protocol's error codes (`envbridge.v1.ErrorCode`); each names what the sender must change.
public enum BridgeErrorCode: Int, Sendable, CaseIterable {
    /// Undecodable bytes, no message kind, a multipart or oversized frame.
    case badRequest = 1
    /// The handshake's major version differs from the server's.
    case unsupportedVersion = 2
    /// A tensor's shape or byte length does not fit.
    case wrongShape = 3
    /// A tensor's dtype is unspecified or not allowed.
    case wrongDType = 4
    /// An action element is NaN or infinite.
    case nonFiniteAction = 5
    /// The simulator raised an error.
    case environmentFailure = 6
    /// The session id is unknown (expired, closed, or the server restarted).
    case unknownSession = 7
    /// A step before the session's first reset.
    case resetNeeded = 8
    /// A bug in the server.
    case internalError = 9

    /// The name used in the schema and the conformance vectors, e.g. `BAD_REQUEST`.
    public var name: String {
        switch self {
        case .badRequest: return "BAD_REQUEST"
        case .unsupportedVersion: return "UNSUPPORTED_VERSION"
        case .wrongShape: return "WRONG_SHAPE"
        case .wrongDType: return "WRONG_DTYPE"
        case .nonFiniteAction: return "NON_FINITE_ACTION"
        case .environmentFailure: return "ENVIRONMENT_FAILURE"
        case .unknownSession: return "UNKNOWN_SESSION"
        case .resetNeeded: return "RESET_NEEDED"
        case .internalError: return "INTERNAL"
        }
    }
}
