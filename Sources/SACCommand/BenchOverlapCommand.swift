import ArgumentParser
import EnvironmentBridge
import Environments
import Foundation
import SoftActorCritic

/// `sac bench overlap`: the cost of a step when a slow simulator and the updates overlap.
struct BenchOverlapCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "overlap",
        abstract: "Milliseconds per step against a simulator that takes --sim-ms per step, with updates run during or after each step.")

    @Option(help: "Simulated step time of the server, milliseconds.")
    var simMs: Double = 5

    @Option(help: "Timed environment steps (after 100 warm-up steps).")
    var steps: Int = 400

    func validate() throws {
        guard simMs > 0, steps >= 50 else { throw ValidationError("--sim-ms must be > 0 and --steps >= 50") }
    }

    func run() throws {
        let delay = simMs / 1e3
        let server = try BackgroundServer.start(endpoint: "tcp://127.0.0.1:*") {
            try EnvironmentServer { DelayedEnvironment(TimeLimit(Pendulum(), maxEpisodeSteps: 200), stepSeconds: delay) }
        }
        defer { server.stop() }
        func millisecondsPerStep(overlap: Bool) throws -> Double {
            var trainer = TrainerConfiguration()
            trainer.totalSteps = 100 + steps
            trainer.learningStarts = 50
            trainer.evaluationInterval = 0
            trainer.evaluationEpisodes = 1
            trainer.overlapUpdatesWithSteps = overlap
            let run = try Trainer(agentConfiguration: SACConfiguration(), configuration: trainer,
                                  environment: try RemoteEnvironment(address: server.endpoint),
                                  evaluationEnvironment: TimeLimit(Pendulum(), maxEpisodeSteps: 200), runDirectory: nil)
            let clock = ContinuousClock()
            var start: ContinuousClock.Instant?, end = clock.now, first = 0, last = 0
            run.onProgress = { progress in
                if progress.step >= 100, start == nil { start = clock.now; first = progress.step }
                if !progress.isFinal { end = clock.now; last = progress.step }
            }
            try run.run()
            return start.map { (end - $0).seconds * 1e3 / Double(max(last - first, 1)) } ?? .nan
        }
        let sequential = try millisecondsPerStep(overlap: false)
        let overlapped = try millisecondsPerStep(overlap: true)
        let rows: [(String, String)] = [
            ("simulator step", String(format: "%.2f ms", simMs)),
            ("updates after each step (sequential)", String(format: "%.2f ms per step", sequential)),
            ("updates during each step (overlapped)", String(format: "%.2f ms per step", overlapped)),
            ("overlapped / simulator step", String(format: "%.2f", overlapped / simMs)),
            ("overlapped / sequential", String(format: "%.2f", overlapped / sequential)),
        ]
        let width = rows.map(\.0.count).max() ?? 0
        for (name, value) in rows { print(name.padding(toLength: width, withPad: " ", startingAt: 0) + "  " + value) }
        print(#"{"bench": "overlap", "sim_ms": \#(simMs), "sequential_ms_per_step": \#(String(format: "%.3f", sequential)), "overlapped_ms_per_step": \#(String(format: "%.3f", overlapped)), "ratio_to_sim": \#(String(format: "%.3f", overlapped / simMs))}"#)
    }
}
