import Foundation
import SACEnvironments

/// The periodic and final evaluations: deterministic episodes on the evaluation environment.
extension Trainer {
    /// Deterministic episodes on the evaluation environment. A lost connection is reconnected by the
    /// evaluation group with back-off, as a training member is, and the evaluation starts over.
    func evaluate() throws -> EvaluationResult {
        let evaluator = Evaluator(actor: agent.actor, scaling: scaling)
        var result: EvaluationResult
        while true {
            do {
                result = try evaluator.run(episodes: configuration.evaluationEpisodes, in: evaluationGroup)
                break
            } catch  where evaluationGroup.isConnectionLoss(error) {
                try awaitReconnection(after: error)
            }
        }
        state.lastEvaluationReturn = result.mean
        appendRow(kind: "eval", value: result.mean, length: result.meanLength, std: result.standardDeviation)
        return result
    }

    /// Waits while the evaluation group reconnects its member after `error`; a stop request (Ctrl-C) ends
    /// the waiting, the run then checkpoints and stops as interrupted. Throws
    /// ``SACError/environmentUnreachable(address:attempts:waitedSeconds:lastError:)`` when the member is dropped.
    private func awaitReconnection(after error: any Error) throws {
        try evaluationGroup.beginRecovery(member: 0, after: error)
        let address = evaluationGroup.name(ofMember: 0)
        while true {
            for event in try evaluationGroup.collect(timeout: .milliseconds(250)) {
                switch event {
                case let .rejoined(_, _, attempts, seconds):
                    state.reconnects += 1
                    onWarning?(
                        "lost \(address) (\(error)); reconnected after \(String(format: "%.1f", seconds)) s (attempt \(attempts)); the evaluation starts over"
                    )
                    return
                case let .dropped(_, lastError, attempts, seconds):
                    throw SACError.environmentUnreachable(
                        address: address, attempts: attempts, waitedSeconds: seconds, lastError: lastError)
                default:
                    continue
                }
            }
            if shouldStop?() == true { throw StopRequested() }
        }
    }
}
