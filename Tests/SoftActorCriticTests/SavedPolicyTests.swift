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

    /// A policy keeps its environment's shapes (a 2×2 observation, a scalar action), and a version 1 file,
    /// written before shapes were saved, still loads with flat ones.
    @Test func shapesAreKeptAndVersionOneFilesStillLoad() throws {
        var generator = Xoshiro256StarStar(seed: 2)
        let actor = try SquashedGaussianActor(observationCount: 4, actionCount: 1, hiddenSizes: [8], generator: &generator)
        let shaped = SavedPolicy(
            environmentID: "Shaped-v0", variant: "twin-q", actor: actor, scaling: ActionScaling(low: [-1], high: [1]),
            observationShape: [2, 2], actionShape: [])
        let loaded = try SavedPolicy(serialized: shaped.serialized())
        #expect(loaded == shaped && loaded.observationShape == [2, 2] && loaded.actionShape == [])
        let old = try policy()
        let versionOne = ChecksummedFile.encode(magic: SavedPolicy.magic, version: 1) { writer in
            writer.write(string: old.environmentID)
            writer.write(string: old.variant)
            writer.write(floats: old.scaling.low)
            writer.write(floats: old.scaling.high)
            let network = old.actor.network.serialized()
            writer.write(UInt64(network.count))
            writer.write(bytes: network)
        }
        let fromVersionOne = try SavedPolicy(serialized: versionOne)
        #expect(fromVersionOne == old && fromVersionOne.observationShape == [3] && fromVersionOne.actionShape == [1])
        #expect(throws: BinaryFormatError.self) {
            try SavedPolicy(serialized: ChecksummedFile.encode(magic: SavedPolicy.magic, version: 3) { _ in })
        }
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
