import Foundation
import Testing
import SoftActorCritic
import SACEnvironments
import SACNeuralNetworks

@Suite(.serialized) struct TrainerTests {
    private func smallConfigurations(steps: Int, seed: UInt64 = 1) -> (SACConfiguration, TrainerConfiguration) {
        var agent = SACConfiguration()
        agent.hiddenSizes = [32, 32]
        agent.batchSize = 32
        agent.seed = seed
        var trainer = TrainerConfiguration()
        trainer.totalSteps = steps
        trainer.learningStarts = 50
        trainer.evaluationInterval = 0
        trainer.evaluationEpisodes = 2
        trainer.seed = seed
        return (agent, trainer)
    }

    private func temporaryDirectory() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("sac-test-\(UUID().uuidString)").path
    }

    @Test func terminatedDoesNotBootstrapButTruncatedStoresTheTrueFinalObservation() throws {
        let (agent, trainer) = smallConfigurations(steps: 40)
        let run = try Trainer(
            agentConfiguration: agent, configuration: trainer, environment: ScriptedEnvironment(),
            evaluationEnvironment: ScriptedEnvironment(), runDirectory: nil)
        let summary = try run.run()
        #expect(summary.transitionsStored == 40 && summary.envSteps == 40)
        var sawTermination = false, sawTruncation = false
        for i in 0..<run.buffer.count {
            let transition = run.buffer.transition(at: i)
            let t = transition.nextObservation[0], episode = Int(transition.nextObservation[1])
            // The next observation is always the step's own (t ≥ 1), never the reset observation (t = 0).
            #expect(t == transition.observation[0] + 1 && transition.nextObservation[1] == transition.observation[1])
            if episode % 2 == 1 && t == 3 {
                #expect(transition.terminated); sawTermination = true
            } else if episode % 2 == 0 && t == 5 {
                #expect(!transition.terminated); sawTruncation = true
            } else {
                #expect(!transition.terminated)
            }
        }
        #expect(sawTermination && sawTruncation)
        #expect(summary.episodes == 40 / 8 * 2) // episodes of 5 and 3 steps alternate
    }

    @Test func runDirectoryHoldsSummaryMetricsAndPolicy() throws {
        let directory = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var (agent, trainer) = smallConfigurations(steps: 300)
        trainer.evaluationInterval = 150
        let run = try Trainer(
            agentConfiguration: agent, configuration: trainer, environment: try EnvironmentRegistry.make("reach1d"),
            evaluationEnvironment: try EnvironmentRegistry.make("reach1d"), runDirectory: directory)
        try run.run()
        let json =
            try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: directory + "/summary.json"))) as! [String: Any]
        for key in [
            "env", "variant", "seed", "env_steps", "gradient_updates", "wall_seconds", "updates_per_second",
            "eval_return_mean", "eval_return_std", "transitions_stored",
        ] {
            #expect(json[key] != nil, "summary.json lacks \(key)")
        }
        #expect(json["env_steps"] as? Int == 300 && json["gradient_updates"] as? Int == 250 && json["transitions_stored"] as? Int == 300)
        #expect(json["status"] as? String == "completed")
        let csv = try String(contentsOfFile: directory + "/metrics.csv", encoding: .utf8).split(separator: "\n")
        #expect(csv.first.map(String.init) == MetricsLog.header)
        #expect(csv.filter { $0.hasPrefix("episode,") }.count == 12) // 300 steps / 25-step episodes
        #expect(csv.filter { $0.hasPrefix("eval,") }.count == 2) // at step 150 and the final one
        let policy = try SavedPolicy(contentsOf: directory + "/policy.sacp")
        #expect(policy.environmentID == "Reach1D-v0" && policy.actor.network.parameters == run.agent.actor.network.parameters)
    }

    @Test func sameSeedsGiveTheSameRunBitForBit() throws {
        BLAS.setThreadCount(1)
        func train() throws -> (TrainingSummary, [Float]) {
            let (agent, trainer) = smallConfigurations(steps: 400, seed: 5)
            let run = try Trainer(
                agentConfiguration: agent, configuration: trainer, environment: try EnvironmentRegistry.make("pendulum", seed: 5),
                evaluationEnvironment: try EnvironmentRegistry.make("pendulum"), runDirectory: nil)
            return (try run.run(), run.agent.actor.network.parameters)
        }
        let (first, firstParameters) = try train()
        let (second, secondParameters) = try train()
        #expect(firstParameters.map(\.bitPattern) == secondParameters.map(\.bitPattern))
        #expect(first.evalReturnMean == second.evalReturnMean && first.finalAlpha == second.finalAlpha)
        let (agent, trainer) = smallConfigurations(steps: 400, seed: 6)
        let other = try Trainer(
            agentConfiguration: agent, configuration: trainer, environment: try EnvironmentRegistry.make("pendulum", seed: 6),
            evaluationEnvironment: try EnvironmentRegistry.make("pendulum"), runDirectory: nil)
        try other.run()
        #expect(other.agent.actor.network.parameters != firstParameters)
    }

    /// SAC must solve the tiny Reach1D task: a uniformly random policy scores about −12, moving straight to
    /// the origin about −0.6. 2,000 steps with small networks take a few seconds in a debug build.
    @Test(arguments: SACVariant.allCases)
    func learnsReach1D(variant: SACVariant) throws {
        var (agent, trainer) = smallConfigurations(steps: 2_000, seed: 3)
        agent.variant = variant
        agent.hiddenSizes = [64, 64]
        agent.batchSize = 64
        agent.learningRate = 1e-3
        trainer.learningStarts = 250
        trainer.evaluationEpisodes = 10
        let run = try Trainer(
            agentConfiguration: agent, configuration: trainer, environment: try EnvironmentRegistry.make("reach1d"),
            evaluationEnvironment: try EnvironmentRegistry.make("reach1d"), runDirectory: nil)
        let summary = try run.run()
        let mean = try #require(summary.evalReturnMean)
        #expect(mean > -2.0, "\(variant) reached only \(mean) on Reach1D")
    }

    @Test func nonFiniteObservationIsATypedErrorAndTheRunIsKept() throws {
        let directory = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let (agent, trainer) = smallConfigurations(steps: 100)
        var environment = ScriptedEnvironment()
        environment.nanAtStep = 30
        let run = try Trainer(
            agentConfiguration: agent, configuration: trainer, environment: environment,
            evaluationEnvironment: ScriptedEnvironment(), runDirectory: directory)
        #expect(throws: SACError.nonFiniteTransition(step: 30, detail: "observation[0] = nan")) { try run.run() }
        #expect(run.buffer.count == 29)
        let summary = try String(contentsOfFile: directory + "/summary.json", encoding: .utf8)
        #expect(summary.contains("failed: environment step 30") && summary.contains("\"transitions_stored\" : 29"))
        let rows = try String(contentsOfFile: directory + "/metrics.csv", encoding: .utf8).split(separator: "\n")
        #expect(rows.count > 1)
    }

    @Test func unboundedActionSpaceAndUnwritableRunDirectoryAreTypedErrors() throws {
        let (agent, trainer) = smallConfigurations(steps: 10)
        var unbounded = ScriptedEnvironment()
        unbounded.actionSpace = try Box(low: [-.infinity], high: [.infinity])
        #expect(throws: SACError.self) {
            try Trainer(
                agentConfiguration: agent, configuration: trainer, environment: unbounded, evaluationEnvironment: unbounded,
                runDirectory: nil)
        }
        do {
            _ = try Trainer(
                agentConfiguration: agent, configuration: trainer, environment: ScriptedEnvironment(),
                evaluationEnvironment: ScriptedEnvironment(), runDirectory: "/proc/sac-cannot-write-here")
            Issue.record("unwritable run directory accepted")
        } catch let error as SACError {
            guard case .io = error else { Issue.record("expected .io, got \(error)"); return }
        }
    }

    /// Box spaces of any shape, as SB3's MlpPolicy takes them: a [2, 2] observation is 4 features, a scalar
    /// action `[]` one; the agent learns on them (Reach1D's task seen through a 2×2 observation).
    @Test func spacesOfAnyShapeAreFlattened() throws {
        struct Shaped: Environment {
            let id = "Shaped-v0"
            let observationSpace = try! Box(low: -2, high: 2, shape: [2, 2])
            let actionSpace = try! Box(low: -1, high: 1, shape: [])
            var inner = TimeLimit(Reach1D(), maxEpisodeSteps: 25)
            mutating func reset(seed: UInt64?) throws -> [Float] { Self.view(try inner.reset(seed: seed)) }
            mutating func step(_ action: [Float]) throws -> StepResult {
                try actionSpace.validate(action)
                var result = try inner.step(action)
                result.observation = Self.view(result.observation)
                return result
            }
            static func view(_ x: [Float]) -> [Float] { [x[0], 1, -x[0], 0] }
        }
        #expect(Shaped().actionSpace.count == 1 && Shaped().observationSpace.count == 4)
        var (agent, trainer) = smallConfigurations(steps: 1_500)
        trainer.learningStarts = 300
        let summary = try Trainer(
            agentConfiguration: agent, configuration: trainer, environment: Shaped(), evaluationEnvironment: Shaped(),
            runDirectory: nil
        ).run()
        // A uniformly random policy earns about -12 per episode on Reach1D; moving to the origin about -0.6.
        #expect(summary.envSteps == 1_500 && (summary.evalReturnMean ?? -100) > -6, "\(summary.evalReturnMean ?? .nan)")
    }

    @Test func invalidConfigurationsAreRejected() {
        var agent = SACConfiguration()
        agent.gamma = 1.5
        #expect(throws: SACError.self) { try agent.validate() }
        var trainer = TrainerConfiguration()
        trainer.updatesPerStep = -1
        #expect(throws: SACError.self) { try trainer.validate() }
    }

    @Test func statusTravelsAsOneStringAndAnUnknownOneIsAnError() throws {
        for status in [TrainingStatus.completed, .interrupted, .failed(reason: "the simulator at tcp://a:1 hung")] {
            let data = try JSONEncoder().encode([status])
            #expect(try JSONDecoder().decode([TrainingStatus].self, from: data) == [status])
        }
        #expect(String(decoding: try JSONEncoder().encode([TrainingStatus.failed(reason: "x")]), as: UTF8.self) == #"["failed: x"]"#)
        #expect(throws: DecodingError.self) { try JSONDecoder().decode([TrainingStatus].self, from: Data(#"["finished"]"#.utf8)) }
    }

    @Test func oneCallTrainerUsesTheDefaultsAndTheGivenSeedAndSteps() throws {
        var made = 0
        let trainer = try Trainer(steps: 300, seed: 3) {
            made += 1
            return try EnvironmentRegistry.make("reach1d")
        }
        #expect(made == 2)
        #expect(trainer.configuration.totalSteps == 300 && trainer.configuration.seed == 3 && trainer.agent.configuration.seed == 3)
        var defaults = SACConfiguration()
        defaults.seed = 3
        #expect(trainer.agent.configuration == defaults)
    }
}
