import Testing
import SACEnvironments

@Suite struct ActionValidationTests {
    @Test(arguments: EnvironmentRegistry.entries.map(\.id))
    func wrongLengthIsTypedError(id: String) throws {
        var env = try EnvironmentRegistry.make(id)
        _ = try env.reset(seed: 1)
        #expect(throws: EnvironmentError.actionShapeMismatch(expected: [1], count: 2)) { try env.step([0, 0]) }
        #expect(throws: EnvironmentError.actionShapeMismatch(expected: [1], count: 0)) { try env.step([]) }
    }

    @Test(arguments: EnvironmentRegistry.entries.map(\.id))
    func nonFiniteActionIsTypedError(id: String) throws {
        var env = try EnvironmentRegistry.make(id)
        _ = try env.reset(seed: 1)
        #expect(throws: EnvironmentError.nonFiniteAction(index: 0, value: .infinity)) { try env.step([.infinity]) }
        do {
            _ = try env.step([.nan])
            Issue.record("NaN action was accepted")
        } catch let EnvironmentError.nonFiniteAction(index, value) {
            #expect(index == 0 && value.isNaN)
        }
        // The rejected actions changed nothing: a valid step still works.
        _ = try env.step([0])
    }

    @Test func stepBeforeResetIsTypedError() throws {
        var env = try EnvironmentRegistry.make("pendulum")
        #expect(throws: EnvironmentError.resetNeeded(id: "Pendulum-v1")) { try env.step([0]) }
    }

    @Test func pendulumClipsTorqueToTwo() throws {
        var a = Pendulum(), b = Pendulum()
        _ = try a.reset(angle: 0.3, angularVelocity: -0.2)
        _ = try b.reset(angle: 0.3, angularVelocity: -0.2)
        #expect(try a.step([5]) == b.step([2]))
        #expect(try a.step([-7]) == b.step([-2]))
    }

    @Test func mountainCarClipsForceButPenalisesRawAction() throws {
        var a = MountainCarContinuous(), b = MountainCarContinuous()
        _ = try a.reset(position: -0.5, velocity: 0)
        _ = try b.reset(position: -0.5, velocity: 0)
        let raw = try a.step([3]), clipped = try b.step([1])
        #expect(raw.observation == clipped.observation)
        // Gymnasium's reward uses the unclipped action: -0.1·3² versus -0.1·1².
        #expect(abs(raw.reward - -0.9) < 1e-12 && abs(clipped.reward - -0.1) < 1e-12)
    }

    @Test func boxRejectsInconsistentBounds() {
        #expect(throws: EnvironmentError.self) { try Box(low: [0, 1], high: [1]) }
        #expect(throws: EnvironmentError.self) { try Box(low: [2], high: [1]) }
        #expect(throws: EnvironmentError.self) { try Box(low: [.nan], high: [1]) }
        #expect(throws: EnvironmentError.self) { try Box(low: [0, 0], high: [1, 1], shape: [3]) }
    }

    @Test func boxAcceptsInfiniteBoundsAndClips() throws {
        let box = try Box(low: [-.infinity, -1], high: [.infinity, 1])
        #expect(!box.isBounded)
        #expect(box.clip([1e30, 5]) == [1e30, 1])
        #expect(box.contains([3, 0]) && !box.contains([3, 2]) && !box.contains([0]))
    }
}
