import Testing
import SoftActorCritic
import SACNeuralNetworks
import SACRandomness

@Suite struct SavedPolicyTests {
    private func policy() throws -> SavedPolicy {
        var generator = Xoshiro256StarStar(seed: 2)
        let actor = try SquashedGaussianActor(observationCount: 3, actionCount: 1, hiddenSizes: [8], generator: &generator)
        return SavedPolicy(environmentID: "Pendulum-v1", variant: "twin-q", actor: actor, scaling: ActionScaling(low: [-2], high: [2]))
    }

    @Test func roundTrips() throws {
        let original = try policy()
        #expect(try SavedPolicy(serialized: original.serialized()) == original)
    }

    @Test func corruptOrTruncatedFilesAreTypedErrors() throws {
        var bytes = try policy().serialized()
        #expect(throws: BinaryFormatError.self) { try SavedPolicy(serialized: Array(bytes.dropLast(9))) }
        bytes[bytes.count / 2] ^= 0xFF
        #expect(throws: BinaryFormatError.self) { try SavedPolicy(serialized: bytes) }
        #expect(throws: SACError.self) { try SavedPolicy(contentsOf: "/nonexistent/policy.sacp") }
    }

    @Test func scalingMapsUnitBoxToBounds() {
        let scaling = ActionScaling(low: [-2, 0], high: [2, 10])
        #expect(scaling.toEnvironment([-1, 1]) == [-2, 10])
        #expect(scaling.toEnvironment([0, 0]) == [0, 5])
        #expect(scaling.toNormalized([1, 2.5]) == [0.5, -0.5])
    }
}
