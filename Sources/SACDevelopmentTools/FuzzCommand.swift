import ArgumentParser
import SACBridge
import Foundation

/// `sac-dev fuzz`: runs the seeded mutational fuzzer against the Swift server's request handling.
struct FuzzCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fuzz",
        abstract: "Fuzz the envbridge codec and server with mutated conformance vectors; every input must be answered.")

    @Option(help: "Inputs to generate.")
    var inputs: Int = 1_000_000

    @Option(help: "Seed of the mutations (a run is reproducible from it).")
    var seed: UInt64 = 1

    @Option(help: "Folder of seed messages (*.bin).")
    var vectors: String = "protocol/vectors"

    @Option(help: "Environment the server serves.")
    var env: String = "pendulum"

    func validate() throws {
        guard inputs >= 1 else { throw ValidationError("--inputs must be at least 1, got \(inputs)") }
    }

    func run() throws {
        let files = (try? FileManager.default.contentsOfDirectory(atPath: vectors))?.filter { $0.hasSuffix(".bin") }.sorted() ?? []
        guard !files.isEmpty else {
            throw ValidationError("no *.bin seed messages in \(vectors); run from the repository root or pass --vectors")
        }
        let corpus = files.compactMap { FileManager.default.contents(atPath: vectors + "/" + $0).map { [UInt8]($0) } }
        let clock = ContinuousClock(), start = clock.now
        let report = try ProtocolFuzzer.run(environment: env, vectors: corpus, inputs: inputs, seed: seed)
        let elapsed = clock.now - start
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
        print(
            "fuzz: \(report) in \(String(format: "%.1f", seconds)) s (\(Int(Double(report.inputs) / seconds)) inputs/s), 0 crashes, seed \(seed)"
        )
        if report.answered != report.inputs { throw ExitCode(1) }
    }
}
