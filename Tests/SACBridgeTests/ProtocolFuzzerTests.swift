import Foundation
import Testing
import SACBridge

/// 10,000 mutated messages against the Swift server: no crash, every input answered with a
/// well-formed reply, and the mutations reach past decoding into every handler.
@Suite struct ProtocolFuzzerTests {
    static let vectors = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../protocol/vectors")
        .standardized

    @Test func tenThousandMutatedInputsAreAllAnswered() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: Self.vectors.path).filter { $0.hasSuffix(".bin") }.sorted()
        let corpus = try files.map { [UInt8](try Data(contentsOf: Self.vectors.appendingPathComponent($0))) }
        let report = try ProtocolFuzzer.run(environment: "pendulum", vectors: corpus, inputs: 10_000, seed: 42)
        #expect(report.inputs == 10_000 && report.answered == 10_000, "\(report)")
        for kind in ["BAD_REQUEST", "step", "reset", "WRONG_SHAPE", "UNKNOWN_SESSION"] {
            #expect((report.replies[kind] ?? 0) > 0, "no \(kind) reply in \(report)")
        }
    }

    @Test func theSameSeedGivesTheSameInputs() {
        var a = ProtocolFuzzer(corpus: [[1, 2, 3], [4, 5]], seed: 7), b = ProtocolFuzzer(corpus: [[1, 2, 3], [4, 5]], seed: 7)
        #expect((0..<100).map { _ in a.next() } == (0..<100).map { _ in b.next() })
    }
}
