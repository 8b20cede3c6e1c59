import ArgumentParser
import Foundation
import SACBridge
import SACEnvironments
import SACNeuralNetworks
import SoftActorCritic

/// `sac-dev bench scale`: one learner's environment steps per second over 1, 2, 4, 8 `sac serve` processes,
/// with synchronous and first-ready collection, and with one straggler among four.
struct BenchScaleCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scale",
        abstract: "Environment steps/s of the trainer over several local sac serve processes (sync, first-ready, a straggler).",
        discussion: """
            Starts the servers itself on loopback (sac serve --step-delay-ms, --spin-us 0 so that they leave this machine's \
            cores to the learner) and trains the default agent against them for --seconds per configuration, with \
            --updates-per-step small enough that the learner is not the bottleneck. Rows: sync over each server count; \
            the three fast servers alone; four servers one of which is 10× slower, sync and first-ready.
            """)

    @Option(help: "Server counts, comma-separated.")
    var servers: String = "1,2,4,8"

    @Option(help: "Copies each server steps per request.")
    var numEnvs: Int = 4

    @Option(help: "Milliseconds each server sleeps per step (the straggler sleeps 10 times as long).")
    var stepDelayMs: Double = 5

    @Option(help: "Seconds measured per configuration (after one second of warm-up).")
    var seconds: Double = 5

    @Option(
        help:
            "Gradient updates per environment step (default: sized so that updates take at most half of the learner's time at the largest count)."
    )
    var updatesPerStep: Double?

    @Option(help: "Also train Pendulum-v1 for this many steps against 2 gym_bridge servers and against 1 with as many copies (0: skip).")
    var realSteps: Int = 0

    @Flag(help: "Print one JSON line per configuration instead of the table.")
    var json = false

    private var counts: [Int] { servers.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) } }

    func validate() throws {
        guard !counts.isEmpty, counts.allSatisfy({ $0 >= 1 }) else {
            throw ValidationError("--servers must be positive counts such as 1,2,4,8")
        }
        guard numEnvs >= 1, stepDelayMs > 0, seconds > 0, realSteps >= 0 else {
            throw ValidationError("--num-envs >= 1, --step-delay-ms > 0, --seconds > 0 and --real-steps >= 0 are needed")
        }
    }

    func run() throws {
        // As sac train runs: one OpenBLAS thread per product, the critics side by side on two update threads.
        BLAS.setThreadCount(1)
        let updateMs = try BenchOverlapCommand.millisecondsPerUpdate()
        let peakStepsPerSecond = Double(max(counts.max() ?? 1, 4) * numEnvs) * 1e3 / stepDelayMs
        let updatesPerStep = self.updatesPerStep ?? min(1, 0.5 / (peakStepsPerSecond * updateMs / 1e3))
        let fast = try (0..<max(counts.max() ?? 1, 4)).map { _ in
            try ServerProcess(
                .sac,
                arguments: [
                    "--env", "pendulum", "--num-envs", "\(numEnvs)", "--step-delay-ms", "\(stepDelayMs)", "--spin-us", "0", "--bind",
                    "tcp://127.0.0.1:*",
                ])
        }
        let straggler = try ServerProcess(
            .sac,
            arguments: [
                "--env", "pendulum", "--num-envs", "\(numEnvs)", "--step-delay-ms", "\(10 * stepDelayMs)", "--spin-us", "0", "--bind",
                "tcp://127.0.0.1:*",
            ])
        if !json {
            print(
                String(
                    format:
                        "one update %.2f ms; %.4f updates per step; servers step %d copies in %.1f ms (straggler %.1f ms); %.0f s per row",
                    updateMs, updatesPerStep, numEnvs, stepDelayMs, 10 * stepDelayMs, seconds))
            print("servers  collect      straggler  env steps/s  updates/s  cpu µs/reply  ratio")
        }
        var oneServer = Double.nan
        func row(
            _ addresses: [String], _ collection: VectorEnvironmentGroup.Collection, straggler: Bool, ratio: (Double) -> (Double, String)
        ) throws -> Double {
            let measured = try measure(addresses, collection, updatesPerStep: updatesPerStep)
            let (steps, updates) = (measured.stepsPerSecond, measured.updatesPerSecond)
            let (value, meaning) = ratio(steps)
            if json {
                var record = BenchmarkRecord("scale")
                record.set("servers", addresses.count)
                record.set("collect", collection.rawValue)
                record.set("straggler", straggler)
                record.set("env_steps_per_second", steps, digits: 1)
                record.set("updates_per_second", updates, digits: 1)
                record.set("learner_cpu_us_per_reply", measured.cpuMicrosecondsPerReply, digits: 1)
                record.set("ratio", value, digits: 3)
                record.set("ratio_of", meaning)
                print(record.line)
            } else {
                print(
                    String(format: "%7d  ", addresses.count) + collection.rawValue.padding(toLength: 11, withPad: " ", startingAt: 0)
                        + "  " + (straggler ? "yes" : "no").padding(toLength: 9, withPad: " ", startingAt: 0)
                        + String(format: "  %11.0f  %9.1f  %12.0f  %5.2f ", steps, updates, measured.cpuMicrosecondsPerReply, value)
                        + meaning)
            }
            return steps
        }
        for count in counts {
            let steps = try row(fast.prefix(count).map(\.endpoint), .sync, straggler: false) { steps in
                count == counts.first ? (1, "(the reference)") : (steps / (Double(count) * oneServer), "of \(count) × one server")
            }
            if count == counts.first { oneServer = steps / Double(count) }
        }
        let three = try row(fast.prefix(3).map(\.endpoint), .firstReady, straggler: false) { steps in
            (steps / (3 * oneServer), "of 3 × one server")
        }
        let withStraggler = [straggler.endpoint] + fast.prefix(3).map(\.endpoint)
        for collection in [VectorEnvironmentGroup.Collection.sync, .firstReady] {
            _ = try row(withStraggler, collection, straggler: true) { steps in (steps / three, "of the 3 fast servers alone") }
        }
        // The servers live until every row has run (a local's lifetime may otherwise end at its last use).
        withExtendedLifetime((fast, straggler)) {}
        if realSteps > 0 { try realRows() }
    }

    /// What one configuration measured.
    private struct Measurement {
        var stepsPerSecond = Double.nan, updatesPerSecond = Double.nan
        /// The learner process's CPU time (every thread: acting, collecting, updates) per server reply.
        var cpuMicrosecondsPerReply = Double.nan
    }

    /// Environment steps and gradient updates per second of the default agent trained against `addresses`
    /// for ``seconds`` after one second of warm-up.
    private func measure(_ addresses: [String], _ collection: VectorEnvironmentGroup.Collection, updatesPerStep: Double) throws
        -> Measurement
    {
        var options = VectorEnvironmentGroup.Options()
        options.collection = collection
        let group = try VectorEnvironmentGroup(try addresses.map { try RemoteVectorEnvironment(address: $0) }, options: options)
        defer { try? group.close() }
        var trainer = TrainerConfiguration()
        trainer.totalSteps = 1 << 40
        trainer.learningStarts = 256
        trainer.updatesPerStep = updatesPerStep
        trainer.evaluationInterval = 0
        trainer.evaluationEpisodes = 1
        let run = try Trainer(
            agentConfiguration: SACConfiguration(), configuration: trainer, environment: group,
            evaluationEnvironment: EnvironmentVector(try EnvironmentRegistry.make("pendulum")), runDirectory: nil)
        run.agent.updateThreads = 2
        let clock = ContinuousClock(), began = clock.now
        var first: (ContinuousClock.Instant, Int, Int, Double)?, last: (ContinuousClock.Instant, Int, Int, Double)?
        run.onProgress = { progress in
            let now = clock.now
            if first == nil, now - began > .seconds(1) { first = (now, progress.step, progress.gradientUpdates, Self.cpuSeconds()) }
            if first != nil, !progress.isFinal { last = (now, progress.step, progress.gradientUpdates, Self.cpuSeconds()) }
        }
        let end = began + .milliseconds(Int((1 + seconds) * 1e3))
        run.shouldStop = { clock.now > end }
        try run.run()
        guard let first, let last, last.0 > first.0 else { return Measurement() }
        let elapsed = (last.0 - first.0).seconds
        let replies = Double(last.1 - first.1) / Double(numEnvs)
        return Measurement(
            stepsPerSecond: Double(last.1 - first.1) / elapsed, updatesPerSecond: Double(last.2 - first.2) / elapsed,
            cpuMicrosecondsPerReply: (last.3 - first.3) / replies * 1e6)
    }

    /// CPU seconds this process has used, user and system, every thread.
    private static func cpuSeconds() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) * 1e-6
    }

    /// Pendulum-v1 trained for ``realSteps`` against 2 gym_bridge servers of `numEnvs` copies each, and against
    /// 1 of twice as many: the final evaluation's return and the wall time of each. Both evaluate on a server
    /// of one copy (episode i from seed 10000 + i), so that their evaluations are the same episodes.
    private func realRows() throws {
        let evaluation = try ServerProcess(
            .gymBridge(pythonPath: FileManager.default.currentDirectoryPath + "/protocol/python"),
            arguments: ["--env", "Pendulum-v1", "--num-envs", "1", "--bind", "tcp://127.0.0.1:*"])
        if !json {
            print(
                "\nPendulum-v1 against gym_bridge, \(realSteps) steps, \(2 * numEnvs) copies in all\nservers  copies each  eval return  wall s"
            )
        }
        for (count, copies) in [(1, 2 * numEnvs), (2, numEnvs)] {
            let servers = try (0..<count).map { _ in
                try ServerProcess(
                    .gymBridge(pythonPath: FileManager.default.currentDirectoryPath + "/protocol/python"),
                    arguments: ["--env", "Pendulum-v1", "--num-envs", "\(copies)", "--bind", "tcp://127.0.0.1:*"])
            }
            let members = try servers.map { try RemoteVectorEnvironment(address: $0.endpoint) }
            let environment: any VectorEnvironment = count == 1 ? members[0] : try VectorEnvironmentGroup(members)
            var trainer = TrainerConfiguration()
            trainer.totalSteps = realSteps
            trainer.evaluationInterval = 0
            let run = try Trainer(
                agentConfiguration: SACConfiguration(), configuration: trainer, environment: environment,
                evaluationEnvironment: try RemoteVectorEnvironment(address: evaluation.endpoint), runDirectory: nil)
            run.agent.updateThreads = 2
            let summary = try withExtendedLifetime((servers, evaluation)) { try run.run() }
            if json {
                var record = BenchmarkRecord("scale-real")
                record.set("servers", count)
                record.set("copies_per_server", copies)
                record.set("env_steps", summary.envSteps)
                record.set("eval_return_mean", summary.evalReturnMean ?? .nan, digits: 1)
                record.set("wall_seconds", summary.wallSeconds, digits: 1)
                print(record.line)
            } else {
                print(String(format: "%7d  %11d  %11.1f  %6.1f", count, copies, summary.evalReturnMean ?? .nan, summary.wallSeconds))
            }
        }
    }
}
