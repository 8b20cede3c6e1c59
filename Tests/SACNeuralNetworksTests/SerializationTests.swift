import Testing
import SACNeuralNetworks
import SACRandomness

@Suite struct SerializationTests {
    private func network() throws -> MultilayerPerceptron {
        var generator = Xoshiro256StarStar(seed: 5)
        return try MultilayerPerceptron(layerSizes: [3, 16, 16, 2], generator: &generator)
    }

    @Test func roundTripIsBitExact() throws {
        var original = try network()
        original.parameters[0] = -.zero
        original.parameters[1] = .leastNonzeroMagnitude
        let restored = try MultilayerPerceptron(serialized: original.serialized())
        #expect(restored.layerSizes == original.layerSizes)
        #expect(restored.parameters.map(\.bitPattern) == original.parameters.map(\.bitPattern))
    }

    @Test func layoutMatchesDocumentation() throws {
        let bytes = try network().serialized()
        let count = 3 * 16 + 16 + 16 * 16 + 16 + 16 * 2 + 2
        let body = 4 + 4 * 4 + 8 + 4 * count
        #expect(Array(bytes[0..<4]) == Array("SACN".utf8))
        #expect(bytes[4] == 1 && bytes[5...7].allSatisfy { $0 == 0 }) // version 1, little-endian
        #expect(bytes[8] == UInt8(body & 0xFF) && bytes[9] == UInt8(body >> 8)) // body length
        #expect(bytes[16] == 4) // four layer sizes
        #expect(bytes[20] == 3 && bytes[24] == 16 && bytes[28] == 16 && bytes[32] == 2)
        #expect(bytes[36] == UInt8(count & 0xFF) && bytes[37] == UInt8(count >> 8))
        #expect(bytes.count == 16 + body + 4)
    }

    @Test func corruptionIsDetected() throws {
        var bytes = try network().serialized()
        bytes[100] ^= 0x01
        #expect(throws: BinaryFormatError.self) { try MultilayerPerceptron(serialized: bytes) }
        do { _ = try MultilayerPerceptron(serialized: bytes) } catch {
            guard case .checksumMismatch = error else { Issue.record("expected checksumMismatch, got \(error)"); return }
        }
    }

    @Test func truncationBadMagicAndVersionAreTypedErrors() throws {
        let bytes = try network().serialized()
        for length in [0, 3, 10, 40, bytes.count - 1] {
            do {
                _ = try MultilayerPerceptron(serialized: Array(bytes[0..<length]))
                Issue.record("truncated file of \(length) bytes accepted")
            } catch {
                guard case .truncated = error else { Issue.record("length \(length): \(error)"); continue }
            }
        }
        var magic = bytes
        magic[0] = UInt8(ascii: "X")
        #expect(throws: BinaryFormatError.badMagic(expected: "SACN network", found: Array("XACN".utf8))) {
            try MultilayerPerceptron(serialized: magic)
        }
        var version = bytes
        version[4] = 9
        #expect(throws: BinaryFormatError.unsupportedVersion(found: 9, supported: 2)) { try MultilayerPerceptron(serialized: version) }
    }

    @Test func hugeDeclaredCountsDoNotAllocate() {
        // A parameter count far beyond the bytes present, in a correctly framed file.
        let framed = ChecksummedFile.encode(magic: Array("SACN".utf8), version: 1) { writer in
            writer.write(UInt32(2)); writer.write(UInt32(1)); writer.write(UInt32(1))
            writer.write(UInt64.max)
        }
        #expect(throws: BinaryFormatError.self) { try MultilayerPerceptron(serialized: framed) }
        // A body length far beyond the bytes present.
        var writer = BinaryWriter()
        writer.write(bytes: Array("SACN".utf8))
        writer.write(UInt32(1))
        writer.write(UInt64.max)
        #expect(throws: BinaryFormatError.self) { try MultilayerPerceptron(serialized: writer.bytes) }
    }

    /// A normalised network (CrossQ's) is version 2: its statistics, step count and hyperparameters come
    /// back bit for bit, and a damaged statistics count is a typed error.
    @Test func aNormalisedNetworkRoundTripsWithItsStatistics() throws {
        var generator = Xoshiro256StarStar(seed: 4)
        var configuration = BatchRenormalization.Configuration()
        configuration.warmupSteps = 123
        configuration.momentum = 0.02
        var original = try MultilayerPerceptron(layerSizes: [3, 8, 2], normalization: configuration, generator: &generator)
        let workspace = try original.makeWorkspace(batchSize: 4)
        for i in workspace.inputBuffer.indices { workspace.inputBuffer[i] = Float(i) * 0.1 }
        original.forwardTraining(workspace)
        let bytes = original.serialized()
        #expect(bytes[4] == 2)
        let restored = try MultilayerPerceptron(serialized: bytes)
        #expect(restored == original)
        #expect(restored.normalizationSteps == 1 && restored.normalization == configuration)
        #expect(restored.normalizationStatistics.map(\.bitPattern) == original.normalizationStatistics.map(\.bitPattern))

        var plain = try network()
        plain.parameters[0] = 1
        #expect(plain.serialized()[4] == 1, "a plain network stays version 1")
    }

    @Test func crc32MatchesTheStandardCheckValue() {
        #expect(CRC32.checksum(Array("123456789".utf8)) == 0xCBF4_3926)
    }
}
