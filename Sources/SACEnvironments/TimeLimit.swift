/// Truncates episodes after a fixed number of steps, as Gymnasium's `TimeLimit` wrapper does.
///
/// The step that reaches `maxEpisodeSteps` returns `truncated = true` (unless the base environment
/// terminated on that step, in which case both flags may be set, as in Gymnasium). The observation is the
/// base environment's real one: truncation is not a terminal state.
public struct TimeLimit<Base: Environment>: Environment {
    /// The wrapped environment.
    public internal(set) var base: Base
    /// Steps per episode before truncation.
    public let maxEpisodeSteps: Int
    /// Steps taken in the current episode.
    public internal(set) var elapsedSteps = 0

    /// Wraps `base`, truncating its episodes after `maxEpisodeSteps` steps (> 0).
    public init(_ base: Base, maxEpisodeSteps: Int) {
        precondition(maxEpisodeSteps > 0, "maxEpisodeSteps must be > 0, got \(maxEpisodeSteps)")
        self.base = base
        self.maxEpisodeSteps = maxEpisodeSteps
    }

    public var id: String { base.id }
    public var observationSpace: Box { base.observationSpace }
    public var actionSpace: Box { base.actionSpace }

    public mutating func reset(seed: UInt64?) throws -> [Float] {
        elapsedSteps = 0
        return try base.reset(seed: seed)
    }

    /// Resets through a custom call on the base environment (e.g. a reset to a given state), restarting
    /// the step count.
    public mutating func reset(_ body: (inout Base) throws -> [Float]) rethrows -> [Float] {
        elapsedSteps = 0
        return try body(&base)
    }

    public mutating func step(_ action: [Float]) throws -> StepResult {
        var result = try base.step(action)
        elapsedSteps += 1
        if elapsedSteps >= maxEpisodeSteps { result.truncated = true }
        return result
    }

    public mutating func close() throws { try base.close() }
}

extension TimeLimit: Sendable where Base: Sendable {}
