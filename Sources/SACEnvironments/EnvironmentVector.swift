/// Copies of an `Environment` presented as one ``VectorEnvironment``: stepped one after another in this
/// process, each restarted by `reset(seed: nil)` as soon as its episode ends.
///
/// Copies that are ``ReconnectableEnvironment``s (remote simulators) keep their reconnection and step
/// elsewhere (``stepsElsewhere``), so a trainer written against ``VectorEnvironment`` treats
/// `EnvironmentVector(remote)` as it treats a batched remote session.
///
/// A copy whose step throws (other than a lost connection) is restarted alone, as a batched server
/// restarts a failed copy: its result carries the error in ``VectorStep/failures`` and the new
/// episode's first observation, and the other copies' steps stand. A copy that fails again on its next
/// step, or cannot be restarted, makes the step throw that error.
public final class EnvironmentVector: VectorEnvironment {
    /// The copies, in order.
    public private(set) var copies: [any Environment]
    /// The failed-copy rule: which copies failed on the previous step.
    private var failedCopies = FailedCopies()

    /// Wraps `copies` (at least one; all with the same spaces).
    public init(_ copies: [any Environment]) throws(EnvironmentError) {
        guard let first = copies.first else { throw .invalidSpace("a vector environment needs at least one copy") }
        for copy in copies.dropFirst() where copy.observationSpace != first.observationSpace || copy.actionSpace != first.actionSpace {
            throw .invalidSpace(
                "copies of \(first.id) disagree: \(copy.id) has observation space \(copy.observationSpace) and action space \(copy.actionSpace)"
            )
        }
        self.copies = copies
    }

    /// A vector of one.
    public init(_ environment: any Environment) {
        copies = [environment]
    }

    public var numEnvs: Int { copies.count }
    public var observationSpace: Box { copies[0].observationSpace }
    public var actionSpace: Box { copies[0].actionSpace }
    public var id: String { copies[0].id }

    public func reset(seeds: [UInt64?]) throws -> FloatRows {
        guard seeds.isEmpty || seeds.count == numEnvs else { throw EnvironmentError.copyCountMismatch(expected: numEnvs, got: seeds.count) }
        failedCopies.resetAll()
        return FloatRows(
            width: observationSpace.count, rows: try copies.indices.map { i in try copies[i].reset(seed: seeds.isEmpty ? nil : seeds[i]) })
    }

    /// Every copy here resets alone.
    public var resetsCopiesAlone: Bool { true }

    public func reset(copies indices: [Int], seeds: [UInt64?]) throws -> FloatRows {
        try checkCopies(indices, of: numEnvs)
        guard seeds.isEmpty || seeds.count == indices.count else {
            throw EnvironmentError.copyCountMismatch(expected: indices.count, got: seeds.count)
        }
        return FloatRows(
            width: observationSpace.count,
            rows: try indices.enumerated().map { k, i in
                failedCopies.reset(copy: i)
                return try copies[i].reset(seed: seeds.isEmpty ? nil : seeds[k])
            })
    }

    public func step(_ actions: FloatRows) throws -> VectorStep {
        try actionSpace.validate(actions, copies: numEnvs)
        var step = VectorStep(
            observations: FloatRows(width: observationSpace.count, count: numEnvs), rewards: Array(repeating: 0, count: numEnvs),
            terminated: Array(repeating: false, count: numEnvs), truncated: Array(repeating: false, count: numEnvs))
        var infos: [[String: Double]] = []
        var failed: Set<Int> = []
        for i in copies.indices {
            let transition: StepResult
            do {
                transition = try copies[i].step(Array(actions[i]))
            } catch {
                guard !isConnectionLoss(error), !failedCopies.failsAgain(i) else { throw error }
                step.observations[i] = try copies[i].reset(seed: nil)[...]
                step.failures[i] = error
                failed.insert(i)
                infos.append([:])
                continue
            }
            step.rewards[i] = transition.reward
            step.terminated[i] = transition.terminated
            step.truncated[i] = transition.truncated
            infos.append(transition.info)
            if transition.isLast {
                step.finalObservations[i] = transition.observation
                step.observations[i] = try copies[i].reset(seed: nil)[...]
            } else {
                step.observations[i] = transition.observation[...]
            }
        }
        if infos.contains(where: { !$0.isEmpty }) { step.infos = infos }
        failedCopies.finishStep(failed: failed)
        return step
    }

    /// Whether a copy is remote (a ``ReconnectableEnvironment``).
    public var stepsElsewhere: Bool { copies.contains { $0 is any ReconnectableEnvironment } }

    public var address: String? { (copies[0] as? any ReconnectableEnvironment)?.address }

    public func isConnectionLoss(_ error: any Error) -> Bool {
        copies.contains { ($0 as? any ReconnectableEnvironment)?.isConnectionLoss(error) == true }
    }

    public func reconnect() throws {
        failedCopies.resetAll()
        for copy in copies { try (copy as? any ReconnectableEnvironment)?.reconnect() }
    }

    /// Layout: for each copy, its word count then its words.
    public func snapshot() -> [UInt64]? {
        var parts: [[UInt64]] = []
        for copy in copies {
            guard let snapshottable = copy as? any SnapshottableEnvironment else { return nil }
            parts.append(snapshottable.snapshot())
        }
        return joinedSnapshot(parts)
    }

    public func restore(from snapshot: [UInt64]) throws {
        let parts = try splitSnapshot(snapshot, parts: numEnvs, of: "\(numEnvs) copies of \(id)")
        var restored = copies
        for i in restored.indices {
            guard var snapshottable = restored[i] as? any SnapshottableEnvironment else {
                throw EnvironmentError.invalidState("\(id) does not restore snapshots")
            }
            try snapshottable.restore(from: parts[i])
            restored[i] = snapshottable
        }
        copies = restored
    }

    public func close() throws {
        for i in copies.indices { try copies[i].close() }
    }
}
