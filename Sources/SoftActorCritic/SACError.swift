import SACEnvironments
import Foundation

/// Errors from the agent and the trainer, with messages a user can act on.
public enum SACError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A hyperparameter is out of range.
    case invalidConfiguration(String)
    /// The environment's action space has infinite bounds, so a squashed action cannot be rescaled.
    case unboundedActionSpace(Box)
    /// The environment's spaces are not flat vectors of the expected sizes.
    case spaceMismatch(String)
    /// The environment produced a NaN or infinite observation or reward; it is not stored.
    case nonFiniteTransition(step: Int, detail: String)
    /// The agent's own numbers diverged (a NaN loss or action).
    case diverged(String)
    /// A run directory or file could not be written or read.
    case io(path: String, reason: String)
    /// A saved policy is not one this build can load.
    case invalidPolicyFile(path: String, reason: String)
    /// No usable checkpoint: missing, corrupt, or from an incompatible run.
    case invalidCheckpoint(path: String, reason: String)
    /// A remote environment stayed unreachable through every reconnection attempt.
    case environmentUnreachable(address: String, attempts: Int, waitedSeconds: Double, lastError: String)
    /// Servers were dropped after their reconnection attempts until fewer than `minimum` remained.
    case serversLost(remaining: Int, minimum: Int, lost: [LostServer])
    /// Evaluation episodes kept failing in the simulator (each failed one is discarded and replayed).
    case evaluationFailed(failures: Int, lastFailure: String)

    public var description: String {
        switch self {
        case let .invalidConfiguration(message):
            return "invalid configuration: \(message)"
        case let .unboundedActionSpace(box):
            return "the action space \(box) has infinite bounds; SAC's tanh-squashed actions need finite bounds"
        case let .spaceMismatch(message):
            return "space mismatch: \(message)"
        case let .nonFiniteTransition(step, detail):
            return "environment step \(step) returned a non-finite value (\(detail)); the transition was not stored"
        case let .diverged(message):
            return "training diverged: \(message); try a lower learning rate or check the rewards' scale"
        case let .io(path, reason):
            return "cannot access \(path): \(reason)"
        case let .invalidPolicyFile(path, reason):
            return "\(path) is not a usable policy file: \(reason)"
        case let .invalidCheckpoint(path, reason):
            return "cannot resume from \(path): \(reason)"
        case let .environmentUnreachable(address, attempts, waited, lastError):
            return
                "the environment at \(address) stayed unreachable through \(attempts) reconnection attempts over \(String(format: "%.1f", waited)) s (last error: \(lastError)); a checkpoint was written: resume the run (Trainer.resume) once it is back"
        case let .serversLost(remaining, minimum, lost):
            let each = lost.map {
                "\($0.address) (\($0.attempts) attempts over \(String(format: "%.1f", $0.waitedSeconds)) s; last error: \($0.lastError))"
            }
            return
                "only \(remaining) server\(remaining == 1 ? "" : "s") left, fewer than the \(minimum) required (the group's minimumMembers); lost: \(each.joined(separator: ", ")); a checkpoint was written: resume the run (Trainer.resume) once they are back"
        case let .evaluationFailed(failures, lastFailure):
            return
                "the simulator failed in \(failures) evaluation episodes (last: \(lastFailure)); each was discarded, and this many means the simulator cannot finish one"
        }
    }
}
