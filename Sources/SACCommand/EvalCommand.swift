import ArgumentParser
import SACBridge
import SACEnvironments
import Foundation
import SoftActorCritic

/// `sac eval`: runs a saved policy deterministically and prints its returns.
struct EvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Evaluate a saved policy deterministically and print mean ± std return.")

    @Option(help: "Run directory written by 'sac train' (reads its policy.sacp).")
    var runDir: String?

    @Option(help: "Policy file to evaluate instead of a run directory's.")
    var policy: String?

    @Option(
        help:
            "Environment to evaluate in: a built-in name or the ZeroMQ address of an envbridge server (default: the built-in environment the policy was trained on)."
    )
    var env: String?

    @Option(help: "Episodes to run; episode i resets with seed 10000 + i.")
    var episodes: Int = 10

    @Flag(help: "Print one JSON object (policy, environment, episode returns and lengths, mean, std) instead of the table.")
    var json = false

    func validate() throws {
        guard (runDir == nil) != (policy == nil) else { throw ValidationError("give exactly one of --run-dir or --policy") }
        guard episodes >= 1 else { throw ValidationError("--episodes must be at least 1, got \(episodes)") }
    }

    func run() throws {
        let path = policy ?? (runDir! + "/policy.sacp")
        let saved = try SavedPolicy(contentsOf: path)
        let name = env ?? saved.environmentID
        // A remote server may step several copies per request; the evaluator shares the episodes among them.
        let environment: any VectorEnvironment =
            name.contains("://")
            ? try RemoteVectorEnvironment(address: name) : EnvironmentVector(try EnvironmentRegistry.make(name))
        defer { try? environment.close() }
        let result = try Evaluator(actor: saved.actor, scaling: saved.scaling).run(episodes: episodes, in: environment)
        if json {
            var object: [String: Any] = [
                "policy": path, "variant": saved.variant, "trained_on": saved.environmentID, "environment": environment.id,
                "returns": result.returns, "lengths": result.lengths, "mean": result.mean, "std": result.standardDeviation,
            ]
            // With one copy, episode i is the one reset with seed 10000 + i; several copies share the episodes.
            if environment.numEnvs == 1 { object["seeds"] = (0..<episodes).map { Int(Evaluator.seedBase) + $0 } }
            let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
            print(String(decoding: data, as: UTF8.self))
            return
        }
        print("policy \(path) (\(saved.variant), trained on \(saved.environmentID)) on \(environment.id):")
        print(EvaluationTable(result).text)
        print(String(format: "mean return %.1f ± %.1f over %d episodes", result.mean, result.standardDeviation, episodes))
    }
}

/// A small table of an evaluation: episodes, mean, std, min, max return, mean length.
struct EvaluationTable {
    let result: EvaluationResult
    init(_ result: EvaluationResult) { self.result = result }

    var text: String {
        let header = ["episodes", "mean", "std", "min", "max", "mean length"]
        let row = [
            "\(result.returns.count)", String(format: "%.1f", result.mean), String(format: "%.1f", result.standardDeviation),
            String(format: "%.1f", result.minimum), String(format: "%.1f", result.maximum), String(format: "%.1f", result.meanLength),
        ]
        let widths = zip(header, row).map { max($0.count, $1.count) }
        func line(_ cells: [String]) -> String {
            zip(cells, widths).map { String(repeating: " ", count: $1 - $0.count) + $0 }.joined(separator: "  ")
        }
        return line(header) + "\n" + line(row)
    }
}
