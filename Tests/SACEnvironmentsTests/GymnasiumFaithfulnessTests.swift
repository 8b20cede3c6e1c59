import Foundation
import Testing
import SACEnvironments

/// Reference trajectories recorded from Gymnasium 1.4.0 by `ReferenceData/generate_gymnasium_trajectories.py`.
struct ReferenceTrajectories: Decodable {
    struct Step: Decodable {
        let action: [Float]
        let observation: [Float]
        let reward: Double
        let terminated: Bool
        let truncated: Bool
    }
    struct Trajectory: Decodable {
        let env: String
        let seed: Int
        let start_state: [Double]
        let steps: [Step]
    }
    let gymnasium_version: String
    let trajectories: [Trajectory]

    static func load() throws -> ReferenceTrajectories {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("ReferenceData/gymnasium_trajectories.json")
        return try JSONDecoder().decode(ReferenceTrajectories.self, from: Data(contentsOf: url))
    }
}

/// Same start state and same actions as Gymnasium 1.4 → same observations and rewards within 1e-5
/// (absolute for observations; absolute-or-relative for rewards, which reach ~16 on Pendulum), and the
/// same `terminated` / `truncated` flags at every step, including the time limits.
@Suite struct GymnasiumFaithfulnessTests {
    static let tolerance = 1e-5

    @Test func referenceDataIsFromGymnasium140() throws {
        let data = try ReferenceTrajectories.load()
        #expect(data.gymnasium_version == "1.4.0")
        #expect(data.trajectories.count == 7)
    }

    @Test(arguments: 0..<4) func pendulumMatchesGymnasium(index: Int) throws {
        let trajectory = try ReferenceTrajectories.load().trajectories.filter { $0.env == "Pendulum-v1" }[index]
        var env = TimeLimit(Pendulum(), maxEpisodeSteps: 200)
        _ = try env.reset { try $0.reset(angle: trajectory.start_state[0], angularVelocity: trajectory.start_state[1]) }
        try compare(&env, with: trajectory)
    }

    @Test(arguments: 0..<3) func mountainCarMatchesGymnasium(index: Int) throws {
        let trajectory = try ReferenceTrajectories.load().trajectories.filter { $0.env == "MountainCarContinuous-v0" }[index]
        var env = TimeLimit(MountainCarContinuous(), maxEpisodeSteps: 999)
        _ = try env.reset { try $0.reset(position: trajectory.start_state[0], velocity: trajectory.start_state[1]) }
        try compare(&env, with: trajectory)
    }

    @Test func referenceTrajectoriesCoverTerminationTruncationWallAndClipping() throws {
        let car = try ReferenceTrajectories.load().trajectories.filter { $0.env == "MountainCarContinuous-v0" }
        #expect(car[0].steps.count == 999 && car[0].steps.last!.truncated)
        #expect(car[1].steps.last!.terminated && car[1].steps.last!.reward > 99)
        #expect(car[2].steps.contains { $0.observation[0] <= -1.2 && $0.observation[1] == 0 })
        let pendulum = try ReferenceTrajectories.load().trajectories.filter { $0.env == "Pendulum-v1" }
        #expect(pendulum.allSatisfy { $0.steps.count == 200 && $0.steps.last!.truncated })
        #expect(pendulum[0].steps.contains { abs($0.action[0]) > 2 })
    }

    private func compare<E: Environment>(_ env: inout E, with trajectory: ReferenceTrajectories.Trajectory) throws {
        for (t, expected) in trajectory.steps.enumerated() {
            let result = try env.step(expected.action)
            for (ours, theirs) in zip(result.observation, expected.observation) {
                #expect(
                    abs(Double(ours) - Double(theirs)) <= Self.tolerance,
                    "\(trajectory.env) seed \(trajectory.seed) step \(t): observation \(result.observation) vs Gymnasium \(expected.observation)"
                )
            }
            #expect(
                abs(result.reward - expected.reward) <= Self.tolerance * max(1, abs(expected.reward)),
                "\(trajectory.env) seed \(trajectory.seed) step \(t): reward \(result.reward) vs Gymnasium \(expected.reward)")
            #expect(result.terminated == expected.terminated, "step \(t) terminated")
            #expect(result.truncated == expected.truncated, "step \(t) truncated")
        }
    }
}

/// First observations recorded from Gymnasium 1.4 by `ReferenceData/generate_gymnasium_resets.py`: for 103
/// seeds, `reset(seed=s)` and then two unseeded resets that continue its generator.
struct ReferenceResets: Decodable {
    struct Case: Decodable {
        let env: String
        let seed: String
        let observations: [[Float]]
    }
    let gymnasium_version: String
    let cases: [Case]

    static func load() throws -> ReferenceResets {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("ReferenceData/gymnasium_resets.json")
        return try JSONDecoder().decode(ReferenceResets.self, from: Data(contentsOf: url))
    }
}

/// A seed means what it means in Gymnasium: the same start, bit for bit in float32, and unseeded resets
/// continue the same stream.
@Suite struct GymnasiumSeedingTests {
    @Test(arguments: ["Pendulum-v1", "MountainCarContinuous-v0"]) func seededAndContinuedResetsMatchGymnasium(id: String) throws {
        let reference = try ReferenceResets.load()
        #expect(reference.gymnasium_version == "1.4.0")
        let cases = reference.cases.filter { $0.env == id }
        #expect(cases.count == 103)
        var environment = try EnvironmentRegistry.make(id)
        for reference in cases {
            let seed: UInt64 = try #require(UInt64(reference.seed))
            let observations = [
                try environment.reset(seed: seed), try environment.reset(seed: nil),
                try environment.reset(seed: nil),
            ]
            #expect(
                observations.map { $0.map(\.bitPattern) } == reference.observations.map { $0.map(\.bitPattern) },
                "\(id) seed \(reference.seed): \(observations) vs Gymnasium's \(reference.observations)")
        }
    }
}
