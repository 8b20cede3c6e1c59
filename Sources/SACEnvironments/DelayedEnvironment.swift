#if canImport(Glibc)
import Glibc
#endif

/// Wraps an environment and makes every step take at least `stepSeconds` of wall time, as a slow
/// simulator would: for benchmarks and tests of work overlapped with stepping.
public struct DelayedEnvironment<Base: Environment>: Environment {
    /// The wrapped environment.
    public private(set) var base: Base
    /// Minimum wall time of a step, seconds.
    public let stepSeconds: Double

    public init(_ base: Base, stepSeconds: Double) {
        self.base = base
        self.stepSeconds = stepSeconds
    }

    public var id: String { base.id }
    public var observationSpace: Box { base.observationSpace }
    public var actionSpace: Box { base.actionSpace }

    public mutating func reset(seed: UInt64?) throws -> [Float] { try base.reset(seed: seed) }

    public mutating func step(_ action: [Float]) throws -> StepResult {
        var start = timespec()
        clock_gettime(CLOCK_MONOTONIC, &start)
        let result = try base.step(action)
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        let elapsed = Double(now.tv_sec - start.tv_sec) + Double(now.tv_nsec - start.tv_nsec) * 1e-9
        if elapsed < stepSeconds { usleep(useconds_t((stepSeconds - elapsed) * 1e6)) }
        return result
    }

    public mutating func close() throws { try base.close() }
}
