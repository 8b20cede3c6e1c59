import ArgumentParser
import SACBridge
import SACEnvironments
import Foundation
import SoftActorCritic

/// `sac-dev bench overlap`: the cost of a step when a slow simulator and the updates overlap.
struct BenchOverlapCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "overlap",
        abstract: "Milliseconds per step against a simulator that takes --sim-ms per step, with updates run during or after each step.")

    @Option(
        help:
            "Simulated step time of the server, milliseconds (default: the measured time of one update, so that the simulator and the updates per step take equally long)."
    )
    var simMs: Double?

    @Option(help: "Timed environment steps per run (after 100 warm-up steps).")
    var steps: Int = 400

    @Option(help: "Rounds, each one run with updates after each step and one with updates during it.")
    var rounds: Int = 3

    func validate() throws {
        guard simMs.map({ $0 > 0 }) ?? true, steps >= 50, rounds >= 1 else {
            throw ValidationError("--sim-ms must be > 0, --steps >= 50 and --rounds >= 1")
        }
    }

    func run() throws {
        // The trainer's agent takes one update per step; on a shared machine its time varies by tens of
        // percent from one run to the next, so it is measured here and the simulator made as slow.
        let updateMs = try Self.millisecondsPerUpdate()
        let simMs = self.simMs ?? updateMs
        let delay = simMs / 1e3
        let server = try BackgroundEnvironmentServer(endpoint: "tcp://127.0.0.1:*") {
            try EnvironmentServer { DelayedEnvironment(TimeLimit(Pendulum(), maxEpisodeSteps: 200), stepSeconds: delay) }
        }
        defer { server.stop() }
        /// Milliseconds per step, and of them in gradient updates.
        func millisecondsPerStep(overlap: Bool) throws -> (step: Double, updates: Double) {
            var trainer = TrainerConfiguration()
            trainer.totalSteps = 100 + steps
            trainer.learningStarts = 50
            trainer.evaluationInterval = 0
            trainer.evaluationEpisodes = 1
            trainer.overlapUpdatesWithSteps = overlap
            let run = try Trainer(
                agentConfiguration: SACConfiguration(), configuration: trainer,
                environment: try RemoteEnvironment(address: server.endpoint),
                evaluationEnvironment: TimeLimit(Pendulum(), maxEpisodeSteps: 200), runDirectory: nil)
            let clock = ContinuousClock()
            var start: ContinuousClock.Instant?, end = clock.now, first = 0, last = 0, firstUpdates = 0.0, lastUpdates = 0.0
            run.onProgress = { progress in
                if progress.step >= 100, start == nil { (start, first, firstUpdates) = (clock.now, progress.step, progress.updateSeconds) }
                if !progress.isFinal { (end, last, lastUpdates) = (clock.now, progress.step, progress.updateSeconds) }
            }
            try run.run()
            let steps = Double(max(last - first, 1))
            return start.map { ((end - $0).seconds * 1e3 / steps, (lastUpdates - firstUpdates) * 1e3 / steps) } ?? (.nan, .nan)
        }
        // The two ways alternate, so that the machine's changing load falls on both alike.
        var sequential: [Double] = [], overlapped: [Double] = [], roundUpdates: [Double] = []
        for _ in 0..<rounds {
            sequential.append(try millisecondsPerStep(overlap: false).step)
            let run = try millisecondsPerStep(overlap: true)
            overlapped.append(run.step)
            roundUpdates.append(run.updates)
        }
        let (medianSequential, medianOverlapped) = (median(sequential), median(overlapped))
        // When the machine's load makes the updates slower than measured first, no overlap can bring a
        // step below them, so each overlapped run's step is also compared with the longer of the
        // simulator's step and that run's own updates per step (timed by the trainer).
        let toLonger = zip(overlapped, roundUpdates).map { $0 / max(simMs, $1) }
        func list(_ values: [Double]) -> String { values.map { String(format: "%.2f", $0) }.joined(separator: ", ") }
        let rows: [(String, String)] = [
            ("one update (measured first)", String(format: "%.2f ms", updateMs)),
            ("simulator step", String(format: "%.2f ms%@", simMs, self.simMs == nil ? " (as long as one update)" : "")),
            (
                "updates after each step (sequential)",
                String(format: "%.2f ms per step, median of %d rounds (%@)", medianSequential, rounds, list(sequential))
            ),
            ("updates during each step (overlapped)", String(format: "%.2f ms per step (%@)", medianOverlapped, list(overlapped))),
            ("overlapped / simulator step", String(format: "%.2f", medianOverlapped / simMs)),
            ("overlapped / sequential", String(format: "%.2f", medianOverlapped / medianSequential)),
            ("updates per step in each overlapped run", String(format: "%@ ms", list(roundUpdates))),
            (
                "overlapped / longer of simulator, updates",
                String(format: "%.2f, median of the rounds (%@)", median(toLonger), list(toLonger))
            ),
        ]
        let width = rows.map(\.0.count).max() ?? 0
        for (name, value) in rows { print(name.padding(toLength: width, withPad: " ", startingAt: 0) + "  " + value) }
        var record = BenchmarkRecord("overlap")
        record.set("sim_ms", simMs, digits: 3)
        record.set("update_ms", updateMs, digits: 3)
        record.set("rounds", rounds)
        record.set("sequential_ms_per_step", medianSequential, digits: 3)
        record.set("overlapped_ms_per_step", medianOverlapped, digits: 3)
        record.set("ratio_to_sim", medianOverlapped / simMs, digits: 3)
        record.set("ratio_to_longer_round_median", median(toLonger), digits: 3)
        print(record.line)
    }

    /// Milliseconds of one update of the trainer's default agent on Pendulum's shapes (the mean of 100 after
    /// 20 warm-up updates, on a buffer of random transitions).
    static func millisecondsPerUpdate() throws -> Double {
        let agent = try SACAgent(observationCount: 3, actionCount: 1, configuration: SACConfiguration())
        var replay = try RandomReplay(
            transitions: 2_000, observationCount: 3, actionCount: 1, batchSize: agent.configuration.batchSize, seed: 3)
        replay.update(agent, times: 20)
        let clock = ContinuousClock(), start = clock.now
        replay.update(agent, times: 100)
        return (clock.now - start).seconds * 10
    }
}
