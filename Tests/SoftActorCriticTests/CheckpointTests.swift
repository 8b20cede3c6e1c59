import Foundation
import Testing
import SoftActorCritic
import SACEnvironments
import SACNeuralNetworks

@Suite(.serialized) struct CheckpointTests {
    private func configurations(steps: Int, variant: SACVariant = .twinQ, precision: MatrixPrecision? = nil) -> (
        SACConfiguration, TrainerConfiguration
    ) {
        var agent = variant == .crossQ ? SACConfiguration.crossQ() : SACConfiguration()
        agent.precision = precision
        if variant == .crossQ {
            agent.criticHiddenSizes = [32, 32]
            // Past the warm-up within the run, so that resuming must restore the renormalising phase too.
            var renormalization = BatchRenormalization.Configuration()
            renormalization.warmupSteps = 250
            agent.batchRenormalization = renormalization
        }
        agent.hiddenSizes = [32, 32]
        agent.batchSize = 32
        agent.seed = 8
        var trainer = TrainerConfiguration()
        trainer.totalSteps = steps
        trainer.learningStarts = 100
        trainer.evaluationInterval = 0
        trainer.evaluationEpisodes = 1
        trainer.seed = 8
        return (agent, trainer)
    }

    private func directory() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("sac-ckpt-\(UUID().uuidString)").path
    }

    private func fresh(_ steps: Int, runDirectory: String?, variant: SACVariant = .twinQ, precision: MatrixPrecision? = nil) throws
        -> Trainer
    {
        let (agent, trainer) = configurations(steps: steps, variant: variant, precision: precision)
        return try Trainer(
            agentConfiguration: agent, configuration: trainer, environment: try EnvironmentRegistry.make("pendulum", seed: 8),
            evaluationEnvironment: try EnvironmentRegistry.make("pendulum"), runDirectory: runDirectory)
    }

    private func resumed(_ runDirectory: String, steps: Int? = nil) throws -> Trainer {
        try Trainer.resume(
            runDirectory: runDirectory, environment: try EnvironmentRegistry.make("pendulum", seed: 999),
            evaluationEnvironment: try EnvironmentRegistry.make("pendulum"), totalSteps: steps)
    }

    private func fingerprint(_ trainer: Trainer) -> [UInt32] {
        trainer.agent.actor.network.parameters.map(\.bitPattern) + trainer.agent.critics[1].parameters.map(\.bitPattern)
            + [trainer.agent.alpha.bitPattern, UInt32(trainer.buffer.totalAdded)]
            + (trainer.agent.actor.network.normalizationStatistics + trainer.agent.critics[0].normalizationStatistics).map(\.bitPattern)
            + [UInt32(trainer.agent.critics[0].normalizationSteps)]
            + (0..<trainer.buffer.count).flatMap { trainer.buffer.transition(at: $0).nextObservation.map(\.bitPattern) }
    }

    /// 300 steps, checkpoint, resume to 700 (mid-episode: episodes are 200 steps) equals 700 straight;
    /// for CrossQ, its normalisations' statistics and step counts included; with bf16 products, resumed
    /// in bf16.
    @Test(arguments: [(SACVariant.twinQ, nil), (.crossQ, nil), (.twinQ, MatrixPrecision.bfloat16)])
    func resumedRunEqualsUninterruptedRunBitForBit(variant: SACVariant, precision: MatrixPrecision?) throws {
        BLAS.setThreadCount(1)
        let straight = try fresh(700, runDirectory: nil, variant: variant, precision: precision)
        try straight.run()
        let path = directory()
        defer { try? FileManager.default.removeItem(atPath: path) }
        try fresh(300, runDirectory: path, variant: variant, precision: precision).run()
        let continued = try resumed(path, steps: 700)
        #expect(continued.agent.precision == straight.agent.precision)
        let summary = try continued.run()
        #expect(fingerprint(continued) == fingerprint(straight))
        #expect(summary.envSteps == 700 && summary.transitionsStored == 700 && summary.gradientUpdates == 600)
        let rows = try String(contentsOfFile: path + "/metrics.csv", encoding: .utf8).split(separator: "\n")
        #expect(rows.filter { $0.hasPrefix("kind,") }.count == 1) // appended to, not restarted
    }

    /// The same with three copies stepped together: every copy's state, episode and snapshot resumes.
    @Test func resumedRunOnThreeCopiesEqualsUninterruptedRunBitForBit() throws {
        BLAS.setThreadCount(1)
        func copies(_ seed: UInt64) throws -> EnvironmentVector {
            try EnvironmentVector((0..<3).map { _ in try EnvironmentRegistry.make("pendulum", seed: seed) })
        }
        func fresh(_ steps: Int, runDirectory: String?) throws -> Trainer {
            let (agent, trainer) = configurations(steps: steps)
            return try Trainer(
                agentConfiguration: agent, configuration: trainer, environment: try copies(8),
                evaluationEnvironment: EnvironmentVector(try EnvironmentRegistry.make("pendulum")), runDirectory: runDirectory)
        }
        let straight = try fresh(900, runDirectory: nil)
        try straight.run()
        let path = directory()
        defer { try? FileManager.default.removeItem(atPath: path) }
        try fresh(450, runDirectory: path).run()
        let continued = try Trainer.resume(
            runDirectory: path, environment: try copies(999),
            evaluationEnvironment: EnvironmentVector(try EnvironmentRegistry.make("pendulum")), totalSteps: 900)
        let summary = try continued.run()
        #expect(fingerprint(continued) == fingerprint(straight))
        #expect(summary.numEnvs == 3 && summary.envSteps == 900 && summary.transitionsStored == 900 && summary.gradientUpdates == 800)
        #expect(summary.episodes == 3) // 300 steps per copy: one 200-step episode each
        #expect(throws: SACError.self) {
            try Trainer.resume(
                runDirectory: path, environment: EnvironmentVector(try EnvironmentRegistry.make("pendulum")),
                evaluationEnvironment: EnvironmentVector(try EnvironmentRegistry.make("pendulum")))
        }
    }

    @Test func stopRequestWritesACheckpointAndResumingFinishesTheSameRun() throws {
        BLAS.setThreadCount(1)
        let straight = try fresh(500, runDirectory: nil)
        try straight.run()
        let path = directory()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let first = try fresh(500, runDirectory: path)
        var polls = 0
        first.shouldStop = {
            polls += 1; return polls > 250
        }
        let interrupted = try first.run()
        #expect(interrupted.status == .interrupted && interrupted.envSteps == 250)
        let second = try resumed(path)
        let status = try second.run().status
        #expect(status == .completed)
        #expect(fingerprint(second) == fingerprint(straight))
    }

    @Test func corruptLatestCheckpointFallsBackToThePreviousOneAndBothCorruptIsAnError() throws {
        let path = directory()
        defer { try? FileManager.default.removeItem(atPath: path) }
        var (agent, trainer) = configurations(steps: 300)
        trainer.checkpointInterval = 100
        try Trainer(
            agentConfiguration: agent, configuration: trainer, environment: try EnvironmentRegistry.make("pendulum"),
            evaluationEnvironment: try EnvironmentRegistry.make("pendulum"), runDirectory: path
        ).run()
        let latest = path + "/checkpoint.sacc", previous = path + "/checkpoint.prev.sacc"
        #expect(FileManager.default.fileExists(atPath: previous))
        var bytes = [UInt8](FileManager.default.contents(atPath: latest)!)
        bytes[bytes.count / 2] ^= 0x40
        #expect(FileManager.default.createFile(atPath: latest, contents: Data(bytes)))
        var warnings: [String] = []
        let fallback = try resumed(path)
        fallback.onWarning = { warnings.append($0) }
        try fallback.run()
        #expect(warnings.contains { $0.contains("previous") && $0.contains("corrupt") }, "\(warnings)")
        // Truncate both generations: a clear error naming each problem.
        for file in [latest, previous] {
            let data = FileManager.default.contents(atPath: file)!
            #expect(FileManager.default.createFile(atPath: file, contents: data.prefix(data.count / 3)))
        }
        do {
            _ = try resumed(path)
            Issue.record("resumed from truncated checkpoints")
        } catch let SACError.invalidCheckpoint(_, reason) {
            #expect(reason.contains("checkpoint.sacc") && reason.contains("checkpoint.prev.sacc"))
        }
        #expect(throws: SACError.self) { try resumed(directory()) } // no checkpoint at all
    }

    @Test func checkpointForAnotherEnvironmentIsRefused() throws {
        let path = directory()
        defer { try? FileManager.default.removeItem(atPath: path) }
        try fresh(150, runDirectory: path).run()
        #expect(throws: SACError.self) {
            try Trainer.resume(
                runDirectory: path, environment: try EnvironmentRegistry.make("mountaincar"),
                evaluationEnvironment: try EnvironmentRegistry.make("mountaincar"))
        }
    }

    @Test func skipEpisodePolicyDropsTheBadStepAndGoesOn() throws {
        var (agent, trainer) = configurations(steps: 60)
        trainer.onNonFinite = .skipEpisode
        var environment = ScriptedEnvironment()
        environment.nanAtStep = 7
        let run = try Trainer(
            agentConfiguration: agent, configuration: trainer, environment: environment,
            evaluationEnvironment: ScriptedEnvironment(), runDirectory: nil)
        let summary = try run.run()
        #expect(summary.skippedEpisodes == 1 && summary.envSteps == 60 && summary.transitionsStored == 60)
        // Episodes of 5 and 3 steps alternate; the second is abandoned after one stored step, so the 60 steps
        // finish the first and then 13 more (6 pairs and one 5-step episode in the 54 after the restart).
        // The abandoned one counts as skipped only, not as a finished episode.
        #expect(summary.episodes == 14)
        for i in 0..<run.buffer.count {
            let finite = run.buffer.transition(at: i).nextObservation.allSatisfy { $0.isFinite }
            #expect(finite)
        }
    }

    /// With several copies, a copy's non-finite step restarts that copy alone: the other copy's episodes run
    /// their whole length (5 and 3 steps alternately), none is cut short by its neighbour's restart.
    @Test func skipEpisodeRestartsTheBadCopyAlone() throws {
        let path = directory()
        defer { try? FileManager.default.removeItem(atPath: path) }
        var (agent, trainer) = configurations(steps: 80)
        trainer.onNonFinite = .skipEpisode
        var bad = ScriptedEnvironment()
        bad.nanAtStep = 7
        let run = try Trainer(
            agentConfiguration: agent, configuration: trainer, environment: try EnvironmentVector([bad, ScriptedEnvironment()]),
            evaluationEnvironment: EnvironmentVector(ScriptedEnvironment()), runDirectory: path)
        let summary = try run.run()
        // 81: the skipped step leaves an odd count, and the last vector step stores two.
        #expect(summary.skippedEpisodes == 1 && summary.envSteps == 81 && summary.transitionsStored == 81, "\(summary)")
        let rows = try String(contentsOfFile: path + "/metrics.csv", encoding: .utf8).split(separator: "\n").dropFirst()
        let lengths = rows.map { $0.split(separator: ",") }.filter { $0[0] == "episode" }.compactMap { Double($0[3]) }
        #expect(lengths.count == summary.episodes && !lengths.isEmpty)
        #expect(lengths.allSatisfy { $0 == 5 || $0 == 3 }, "\(lengths)")
    }
}
