/// A reinforcement-learning environment with Gymnasium 1.x semantics, local or remote.
///
/// Contract:
/// - Call ``reset(seed:)`` before the first ``step(_:)`` and after every step whose result has
///   `terminated` or `truncated` set. A seed re-seeds the environment's generator; `nil` continues the
///   current stream (as `env.reset(seed=None)` does in Gymnasium).
/// - ``step(_:)`` takes one action of ``actionSpace``'s shape (flattened, row-major). An action of the wrong
///   length or with a NaN or infinite component is an ``EnvironmentError`` and changes nothing; a finite
///   action outside the bounds is clipped the way that environment's Gymnasium original clips it.
/// - `terminated` marks a true terminal state (no bootstrapping past it); `truncated` marks an episode cut
///   short by a time limit or an outside condition, whose observation is a real, non-terminal state.
/// - Every method may throw: toy environments throw only for bad input, a remote one also for transport
///   failures. A thrown error leaves the environment needing a ``reset(seed:)``.
///
/// Value types (the toy environments) and reference types (a remote adapter owning a socket) both
/// conform; callers hold either as `any Environment` and never need to know which.
public protocol Environment {
    /// Shape and bounds of observations.
    var observationSpace: Box { get }
    /// Shape and bounds of actions.
    var actionSpace: Box { get }
    /// A short identifier, e.g. "Pendulum-v1".
    var id: String { get }

    /// Starts a new episode and returns its first observation.
    mutating func reset(seed: UInt64?) throws -> [Float]

    /// Advances the environment by one action.
    mutating func step(_ action: [Float]) throws -> StepResult

    /// Releases what the environment holds (sockets, processes). Toy environments need nothing.
    mutating func close() throws
}

extension Environment {
    /// Continues the current random stream (`reset(seed: nil)`).
    public mutating func reset() throws -> [Float] { try reset(seed: nil) }

    public mutating func close() throws {}
}
