import Testing
import SACEnvironments

@Suite struct EnvironmentRegistryTests {
    @Test func makesEachEnvironmentByIdAndAlias() throws {
        #expect(try EnvironmentRegistry.make("Pendulum-v1").id == "Pendulum-v1")
        #expect(try EnvironmentRegistry.make("PENDULUM").id == "Pendulum-v1")
        #expect(try EnvironmentRegistry.make("mountaincar").id == "MountainCarContinuous-v0")
        #expect(try EnvironmentRegistry.make("reach1d").id == "Reach1D-v0")
    }

    @Test func unknownNameListsTheKnownOnes() {
        do {
            _ = try EnvironmentRegistry.make("CartPole-v1")
            Issue.record("unknown environment accepted")
        } catch {
            #expect(error.description.contains("CartPole-v1"))
            #expect(error.description.contains("Pendulum-v1"))
        }
    }

    @Test(arguments: [("Pendulum-v1", 200), ("MountainCarContinuous-v0", 999), ("Reach1D-v0", 25)])
    func timeLimitTruncatesAtGymnasiumLength(id: String, limit: Int) throws {
        var env = try EnvironmentRegistry.make(id)
        _ = try env.reset(seed: 3)
        var steps = 0
        var last: StepResult
        repeat {
            // A zero action never reaches the mountain car's goal from the bottom of the valley.
            last = try env.step([0])
            steps += 1
        } while !last.isLast
        #expect(steps == limit)
        #expect(last.truncated && !last.terminated)
    }

    @Test func seededResetIsReproducibleAndUnseededContinues() throws {
        var a = try EnvironmentRegistry.make("pendulum"), b = try EnvironmentRegistry.make("pendulum")
        let first = try a.reset(seed: 42)
        #expect(try b.reset(seed: 42) == first)
        let second = try a.reset(seed: nil)
        #expect(second != first)
        #expect(try b.reset() == second)
        #expect(try a.reset(seed: 43) != first)
    }

    @Test func resetStaysInsideGymnasiumStartDistribution() throws {
        var pendulum = Pendulum(seed: 7)
        var car = MountainCarContinuous(seed: 7)
        for _ in 0..<200 {
            _ = try pendulum.reset()
            let (angle, velocity) = try #require(pendulum.state)
            #expect(angle >= -Double.pi && angle < Double.pi && abs(velocity) <= 1)
            let start = try car.reset()
            #expect(start[0] >= -0.6 && start[0] <= -0.4 && start[1] == 0)
        }
    }

    @Test func angleNormalisationFollowsNumpyFloorModulo() {
        #expect(abs(Pendulum.normalizeAngle(3 * Double.pi / 2) - -Double.pi / 2) < 1e-12)
        #expect(abs(Pendulum.normalizeAngle(-3 * Double.pi / 2) - Double.pi / 2) < 1e-12)
        #expect(abs(Pendulum.normalizeAngle(0.5) - 0.5) < 1e-12)
        #expect(Pendulum.normalizeAngle(Double.pi) == -Double.pi)
    }

    @Test func reach1DMovesTowardTheActionAndRewardsCloseness() throws {
        var env = Reach1D()
        _ = try env.reset(seed: 0)
        let start = Double(try #require(env.position))
        let result = try env.step([1])
        #expect(abs(Double(result.observation[0]) - min(start + 0.25, 1)) < 1e-6)
        #expect(abs(result.reward + abs(Double(result.observation[0]))) < 1e-6)
    }
}
