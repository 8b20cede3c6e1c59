/// `numEnvs` copies of one environment stepped together, as Gymnasium's vector environments and a batched
/// envbridge session are: one call carries an action for every copy and returns a result for every copy.
///
/// Batches travel flat: observations and actions as ``FloatRows`` (one row per copy in one buffer), a
/// step's results as one ``VectorStep``. Episodes restart by themselves: when copy i's episode ends, the
/// step's ``VectorStep/finalObservations`` hold its true final observation and its row of
/// ``VectorStep/observations`` the first observation of its next episode (Gymnasium's "same-step"
/// autoreset), so the caller never resets a single copy.
///
/// A step is one synchronous call; overlapping it with other work is a `VectorEnvironmentGroup`'s job,
/// which steps a member whose copies live elsewhere (``stepsElsewhere``) on a thread of its own. A remote
/// implementation also reports lost connections (``isConnectionLoss(_:)``) and re-opens them
/// (``reconnect()``); the defaults describe an in-process environment that cannot lose its connection.
public protocol VectorEnvironment: AnyObject {
    /// Copies stepped per call, at least 1.
    var numEnvs: Int { get }
    /// Shape and bounds of one copy's observation.
    var observationSpace: Box { get }
    /// Shape and bounds of one copy's action.
    var actionSpace: Box { get }
    /// The environment's identifier, e.g. "Pendulum-v1".
    var id: String { get }

    /// Resets every copy and returns their first observations. `seeds` is empty (continue every copy's
    /// random stream) or holds one entry per copy (`nil`: continue that copy's stream).
    func reset(seeds: [UInt64?]) throws -> FloatRows

    /// Whether ``reset(copies:seeds:)`` restarts copies alone; when false, only every copy at once can be reset.
    var resetsCopiesAlone: Bool { get }

    /// Resets the copies `copies` (strictly increasing indices) and returns their first observations, while
    /// the other copies' episodes go on. `seeds` is empty or one per copy reset. Throws
    /// ``EnvironmentError/cannotResetCopiesAlone(_:)`` where ``resetsCopiesAlone`` is false.
    func reset(copies: [Int], seeds: [UInt64?]) throws -> FloatRows

    /// Validates one action per copy (each row in ``actionSpace``) and steps every copy.
    func step(_ actions: FloatRows) throws -> VectorStep

    /// Whether the copies step outside this process (a remote simulator), so that a step spends its time
    /// waiting: a `VectorEnvironmentGroup` then steps this member on a thread of its own and its caller's
    /// work overlaps with the step.
    var stepsElsewhere: Bool { get }

    /// Where the copies live, for messages (`tcp://…`); `nil` in process.
    var address: String? { get }

    /// Whether `error`, thrown by this environment, means its connection was lost, so that
    /// ``reconnect()`` may help.
    func isConnectionLoss(_ error: any Error) -> Bool

    /// Re-opens a lost connection; every copy then needs a ``reset(seeds:)``.
    func reconnect() throws

    /// The complete state of every copy, if every copy supports snapshots (see ``SnapshottableEnvironment``).
    func snapshot() -> [UInt64]?

    /// Restores a ``snapshot()``; throws ``EnvironmentError/invalidState(_:)`` for one that does not fit.
    func restore(from snapshot: [UInt64]) throws

    /// Seconds the environment reported spending in its steps so far, summed (a server's own stepping time,
    /// without the network); `nil` when it does not report them.
    var reportedStepSeconds: Double? { get }

    /// Releases what the copies hold (sockets, processes).
    func close() throws
}

extension VectorEnvironment {
    public var stepsElsewhere: Bool { false }
    public var address: String? { nil }
    public var reportedStepSeconds: Double? { nil }
    public var resetsCopiesAlone: Bool { false }
    public func reset(copies: [Int], seeds: [UInt64?]) throws -> FloatRows {
        throw EnvironmentError.cannotResetCopiesAlone("\(address ?? id) resets only every copy at once")
    }
    public func isConnectionLoss(_ error: any Error) -> Bool { false }
    public func reconnect() throws {}
    public func snapshot() -> [UInt64]? { nil }
    public func restore(from snapshot: [UInt64]) throws {
        throw EnvironmentError.invalidState("\(id) does not restore snapshots")
    }
}
