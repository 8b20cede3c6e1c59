#if canImport(Glibc)
    import Glibc
#endif

/// Wraps an environment and makes every step take at least `stepSeconds` of wall time, as a slow
/// simulator would: for benchmarks and tests of work overlapped with stepping.
package struct DelayedEnvironment<Base: Environment>: Environment {
    /// The wrapped environment.
    package private(set) var base: Base
    /// Minimum wall time of a step, seconds.
    package let stepSeconds: Double

    package init(_ base: Base, stepSeconds: Double) {
        self.base = base
        self.stepSeconds = stepSeconds
    }

    package var id: String { base.id }
    package var observationSpace: Box { base.observationSpace }
    package var actionSpace: Box { base.actionSpace }

    package mutating func reset(seed: UInt64?) throws -> [Float] { try base.reset(seed: seed) }

    package mutating func step(_ action: [Float]) throws -> StepResult {
        var start = timespec()
        clock_gettime(CLOCK_MONOTONIC, &start)
        let result = try base.step(action)
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        let elapsed = Double(now.tv_sec - start.tv_sec) + Double(now.tv_nsec - start.tv_nsec) * 1e-9
        if elapsed < stepSeconds { usleep(useconds_t((stepSeconds - elapsed) * 1e6)) }
        return result
    }

    package mutating func close() throws { try base.close() }
}
