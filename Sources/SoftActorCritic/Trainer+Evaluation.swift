import Foundation
import SACEnvironments

/// The periodic and final evaluations: deterministic episodes on the evaluation environment.
extension Trainer {
    /// Deterministic episodes on the evaluation environment, reconnecting it with back-off when it is lost.
    func evaluate() throws -> EvaluationResult {
        let evaluator = Evaluator(actor: agent.actor, scaling: scaling)
        var result: EvaluationResult
        while true {
            do {
                result = try evaluator.run(episodes: configuration.evaluationEpisodes, in: evaluationEnvironment)
                break
            } catch {
                try recover(from: error, environment: evaluationEnvironment)
            }
        }
        state.lastEvaluationReturn = result.mean
        appendRow(kind: "eval", value: result.mean, length: result.meanLength, std: result.standardDeviation)
        return result
    }

    /// Reconnects the lost evaluation environment with exponential back-off, or rethrows errors that are not
    /// connection losses. Past the attempt budget: ``SACError/environmentUnreachable(address:attempts:waitedSeconds:lastError:)``.
    private func recover(from error: any Error, environment: any VectorEnvironment) throws {
        guard environment.isConnectionLoss(error) else { throw error }
        let address = environment.address ?? environment.id
        let outcome = try ReconnectionBackOff.run(attempts: configuration.reconnectAttempts, lostBecause: error, wait: { delay in
            // A stop request (Ctrl-C) ends the waiting: the run checkpoints and stops as interrupted.
            if shouldStop?() == true { throw StopRequested() }
            Thread.sleep(forTimeInterval: delay)
            return true
        }) { try environment.reconnect() }
        switch outcome {
        case let .succeeded(_, attempt, seconds):
            state.reconnects += 1
            onWarning?("lost \(address) (\(error)); reconnected after \(String(format: "%.1f", seconds)) s (attempt \(attempt)); the episodes in flight end as truncated")
        case let .gaveUp(lastError, seconds):
            throw SACError.environmentUnreachable(address: address, attempts: configuration.reconnectAttempts, waitedSeconds: seconds, lastError: lastError)
        case .stopped:
            throw StopRequested()
        }
    }
}
