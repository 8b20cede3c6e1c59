/// The client side's rule for a copy whose simulator fails during a step: the copy restarts alone and the
/// step's other transitions stand; a copy that fails again on its very next step (its restart did not
/// take) is out of service, and that step throws. Both `EnvironmentVector` and a remote session keep one
/// of these, so the rule is written once; a server applies the same rule to its own copies (see the
/// envbridge specification).
package struct FailedCopies: Sendable {
    /// Copies that failed on the last step.
    private var lastStep: Set<Int> = []

    /// No copy has failed.
    package init() {}

    /// Whether copy `i` failing now makes it out of service: it failed on the step before too.
    package func failsAgain(_ i: Int) -> Bool { lastStep.contains(i) }

    /// Records the copies that failed on the step just taken (and forgets the earlier step's).
    package mutating func finishStep(failed: some Sequence<Int>) { lastStep = Set(failed) }

    /// Copy `i` was reset: a failure on its next step is a first one.
    package mutating func reset(copy i: Int) { lastStep.remove(i) }

    /// Every copy was reset (or reconnected).
    package mutating func resetAll() { lastStep = [] }
}
