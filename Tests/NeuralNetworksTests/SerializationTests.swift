import Testing
import NeuralNetworks
import Randomness

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
        #expect(Array(bytes[0..<4]) == Array("SACN".utf8))
        #expect(bytes[4] == 1 && bytes[5...7].allSatisfy { $0 == 0 })          // version 1, little-endian
        #expect(bytes[8] == 4)                                                // four layer sizes
        #expect(bytes[12] == 3 && bytes[16] == 16 && bytes[20] == 16 && bytes[24] == 2)
        let count = 3 * 16 + 16 + 16 * 16 + 16 + 16 * 2 + 2
        #expect(bytes[28] == UInt8(count & 0xFF) && bytes[29] == UInt8(count >> 8))
        #expect(bytes.count == 28 + 8 + 4 * count + 4)
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
        #expect(throws: BinaryFormatError.unsupportedVersion(found: 9, supported: 1)) { try MultilayerPerceptron(serialized: version) }
    }

    @Test func hugeDeclaredCountsDoNotAllocate() {
        var writer = BinaryWriter()
        writer.write(bytes: Array("SACN".utf8))
        writer.write(UInt32(1))
        writer.write(UInt32(2)); writer.write(UInt32(1)); writer.write(UInt32(1))
        writer.write(UInt64.max)   // parameter count far beyond the bytes present
        #expect(throws: BinaryFormatError.self) { try MultilayerPerceptron(serialized: writer.bytes) }
    }

    @Test func crc32MatchesTheStandardCheckValue() {
        #expect(CRC32.checksum(Array("123456789".utf8)) == 0xCBF4_3926)
    }
}
