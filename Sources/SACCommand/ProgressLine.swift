#if canImport(Glibc)
    import Glibc
#endif
import Foundation
import SoftActorCritic

/// Shows training progress on standard error: one line rewritten in place on a terminal, and a plain
/// line every 10 % of the run (or final) otherwise, so logs from CI stay readable.
final class ProgressLine {
    private let enabled: Bool
    private let isTerminal = isatty(STDERR_FILENO) != 0
    private var lastDecile = -1
    private var wroteInPlace = false

    init(enabled: Bool) { self.enabled = enabled }

    func show(_ progress: TrainingProgress) {
        guard enabled else { return }
        let text = describe(progress)
        if isTerminal {
            FileHandle.standardError.write(Data(("\r\u{1B}[K" + text).utf8))
            wroteInPlace = true
        } else {
            let decile = progress.step * 10 / max(progress.totalSteps, 1)
            guard decile > lastDecile || progress.isFinal else { return }
            lastDecile = decile
            FileHandle.standardError.write(Data((text + "\n").utf8))
        }
    }

    /// Ends the in-place line so another message can be printed cleanly.
    func interrupt() {
        if wroteInPlace {
            FileHandle.standardError.write(Data("\n".utf8))
            wroteInPlace = false
        }
    }

    func finish() {
        if wroteInPlace { FileHandle.standardError.write(Data("\n".utf8)) }
    }

    private func describe(_ p: TrainingProgress) -> String {
        let percent = 100 * Double(p.step) / Double(max(p.totalSteps, 1))
        var parts = [
            String(format: "step %d/%d (%.0f%%)", p.step, p.totalSteps, percent),
            String(format: "%.0f steps/s", p.stepsPerSecond),
        ]
        if let last = p.lastEpisodeReturn { parts.append(String(format: "return %.1f", last)) }
        if let eval = p.lastEvaluationReturn { parts.append(String(format: "eval %.1f", eval)) }
        parts.append(String(format: "α %.3f", p.alpha))
        if p.servers > 1 || p.serversUp < p.servers { parts.append("servers \(p.serversUp)/\(p.servers) up") }
        parts.append("ETA " + Self.duration(p.secondsRemaining))
        return parts.joined(separator: " | ")
    }

    private static func duration(_ seconds: Double) -> String {
        let s = Int(seconds.rounded())
        return s >= 3600 ? String(format: "%dh%02dm", s / 3600, (s % 3600) / 60) : String(format: "%dm%02ds", s / 60, s % 60)
    }
}
