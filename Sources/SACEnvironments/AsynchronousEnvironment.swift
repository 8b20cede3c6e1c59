/// An environment whose step can be split in two, so the caller can compute (e.g. run gradient
/// updates) while the step runs elsewhere. A remote simulator is one.
///
/// Contract: every ``beginStep(_:)`` is followed by exactly one ``finishStep()``, and no other call comes
/// between them. `step(a)` is equivalent to `beginStep(a)` then `finishStep()`.
public protocol AsynchronousEnvironment: AnyObject, Environment {
    /// Validates `action` and starts the step, returning at once.
    func beginStep(_ action: [Float]) throws
    /// Waits for the step begun by ``beginStep(_:)`` and returns its result.
    func finishStep() throws -> StepResult
}
