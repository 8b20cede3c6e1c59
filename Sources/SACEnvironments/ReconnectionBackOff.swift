/// The schedule on which a lost remote environment is reconnected, shared by a group's members and the
/// trainer's evaluation environment: up to `attempts` tries, the first after 0.25 s, each wait doubling up
/// to 8 s.
package enum ReconnectionBackOff {
    package enum Outcome<T> {
        /// `body` succeeded at try `attempt`, `seconds` after the loss.
        case succeeded(T, attempt: Int, seconds: Double)
        /// Every try failed; `lastError` is the last one's.
        case gaveUp(lastError: String, seconds: Double)
        /// `wait` returned false before a try.
        case stopped
    }

    /// Runs `body` until it succeeds, at most `attempts` times (0: not at all), calling `wait(seconds)`
    /// before each try; `wait` returns false (or throws) to stop waiting. `lostBecause` is what the loss
    /// threw, reported as the last error when there is no try.
    package static func run<T, E: Error>(
        attempts: Int, lostBecause error: any Error, wait: (Double) throws(E) -> Bool,
        _ body: () throws -> T
    ) throws(E) -> Outcome<T> {
        let clock = ContinuousClock(), lostAt = clock.now
        var delay = 0.25
        var lastError = "\(error)"
        for attempt in 1...max(1, attempts) where attempts > 0 {
            guard try wait(delay) else { return .stopped }
            do {
                return .succeeded(try body(), attempt: attempt, seconds: (clock.now - lostAt).seconds)
            } catch {
                lastError = "\(error)"
                delay = min(delay * 2, 8)
            }
        }
        return .gaveUp(lastError: lastError, seconds: (clock.now - lostAt).seconds)
    }
}
