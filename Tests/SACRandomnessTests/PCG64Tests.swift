import Foundation
import Testing
import SACRandomness

/// ``SeedSequence`` and ``PCG64`` against numpy's own output, recorded by
/// `ReferenceData/generate_numpy_pcg64.py` (numpy 2.4): pools, state words, raw outputs and uniform draws
/// for 105 seeds, among them 0, 2³² − 1, 2³², 2⁶³ and 2⁶⁴ − 1.
@Suite struct PCG64Tests {
    struct Case: Decodable {
        let seed: String
        let pool: [UInt32]
        let generate_state: [String]
        let state: String
        let increment: String
        let raw: [String]
        let uniforms: [Double]
    }
    struct Reference: Decodable {
        let numpy_version: String
        let cases: [Case]
    }

    static let reference: Reference = {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("ReferenceData/numpy_pcg64.json")
        // A missing or unreadable file fails every test below with a message, not a crash.
        return (try? JSONDecoder().decode(Reference.self, from: Data(contentsOf: url))) ?? Reference(numpy_version: "missing", cases: [])
    }()

    @Test func referenceDataCoversTheEdgeSeeds() {
        #expect(Self.reference.cases.count == 105, "numpy \(Self.reference.numpy_version)")
        #expect(
            Set(Self.reference.cases.map(\.seed)).isSuperset(of: [
                "0", "4294967295", "4294967296", "9223372036854775808", "18446744073709551615",
            ]))
    }

    @Test func seedSequenceMixesAsNumpyDoes() throws {
        for reference in Self.reference.cases {
            let sequence = SeedSequence(seed: try #require(UInt64(reference.seed)))
            #expect(sequence.pool == reference.pool, "seed \(reference.seed)")
            #expect(sequence.generateState(words: 4).map(String.init) == reference.generate_state, "seed \(reference.seed)")
        }
    }

    @Test func pcg64StartsAndRunsAsNumpysDoes() throws {
        for reference in Self.reference.cases {
            var generator = PCG64(seed: try #require(UInt64(reference.seed)))
            #expect(
                String(generator.state) == reference.state && String(generator.increment) == reference.increment, "seed \(reference.seed)")
            let raw = (0..<5).map { _ in String(generator.next()) }
            #expect(raw == reference.raw, "seed \(reference.seed)")
        }
    }

    /// The doubles Gymnasium's Pendulum and MountainCarContinuous draw at a seeded reset, bit for bit.
    @Test func uniformDrawsAreNumpysBitForBit() throws {
        for reference in Self.reference.cases {
            var generator = PCG64(seed: try #require(UInt64(reference.seed)))
            let drawn = [generator.uniform(-Double.pi, Double.pi), generator.uniform(-1, 1), generator.uniform(-0.6, -0.4)]
            #expect(
                drawn.map(\.bitPattern) == reference.uniforms.map(\.bitPattern), "seed \(reference.seed): \(drawn) vs \(reference.uniforms)"
            )
        }
    }
}
