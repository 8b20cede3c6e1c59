import ArgumentParser
import Foundation
import Testing
@testable import SACCommand
import SACBridge
import SoftActorCritic

@Suite(.serialized) struct CommandLineTests {
    /// Parses like the shell would and returns the exit code ArgumentParser would use for a parse error.
    private func parseFailureCode(_ arguments: [String]) -> Int32? {
        do {
            _ = try SACTool.parseAsRoot(arguments)
            return nil
        } catch {
            return SACTool.exitCode(for: error).rawValue
        }
    }

    @Test(arguments: [
        ["train", "--env", "cartpole"],
        ["train", "--steps", "0"],
        ["train", "--updates-per-step", "-1"],
        ["train", "--variant", "td3"],
        ["train", "--hidden", "256,abc"],
        ["train", "--threads", "0"],
        ["train", "--num-envs", "0"],
        ["eval"],
        ["eval", "--run-dir", "a", "--policy", "b"],
        ["train", "--env", "tcp://127.0.0.1:5555", "--env", "tcp://127.0.0.1:5555"],
        ["train", "--env", "tcp://127.0.0.1:5555", "--env", "pendulum"],
        ["train", "--env", "tcp://127.0.0.1:5555", "--env", "tcp://127.0.0.1:5556", "--num-envs", "2"],
        ["train", "--env-file", "/nonexistent/servers.txt"],
    ])
    func badFlagsFailWithNonZeroExitCode(arguments: [String]) {
        let code = parseFailureCode(arguments)
        #expect(code != nil && code != 0, "\(arguments) parsed, or exited 0")
    }

    @Test func helpListsEveryTrainOption() {
        let help = SACTool.helpMessage(for: TrainCommand.self)
        for option in ["--env", "--variant", "--steps", "--seed", "--run-dir", "--updates-per-step", "--eval-episodes", "--num-envs"] {
            #expect(help.contains(option), "train --help lacks \(option)")
        }
    }

    @Test func trainThenEvalThroughTheCommandLine() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sac-cli-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var train = try SACTool.parseAsRoot(["train", "--env", "reach1d", "--steps", "300", "--learning-starts", "100", "--hidden", "16,16",
                                             "--batch-size", "16", "--eval-episodes", "2", "--run-dir", directory, "--quiet"])
        try train.run()
        #expect(FileManager.default.fileExists(atPath: directory + "/summary.json"))
        var eval = try SACTool.parseAsRoot(["eval", "--run-dir", directory, "--episodes", "2"])
        try eval.run()
        var missing = try SACTool.parseAsRoot(["eval", "--run-dir", directory + "/nothing"])
        #expect(throws: SACError.self) { try missing.run() }
    }

    @Test func numEnvsStepsCopiesTogether() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sac-cli-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var train = try SACTool.parseAsRoot(["train", "--env", "reach1d", "--num-envs", "4", "--steps", "400", "--learning-starts", "100",
                                             "--hidden", "16,16", "--batch-size", "16", "--eval-episodes", "2", "--run-dir", directory, "--quiet"])
        try train.run()
        let summary = try JSONDecoder().decode(SummaryCounts.self, from: Data(contentsOf: URL(fileURLWithPath: directory + "/summary.json")))
        #expect(summary.num_envs == 4 && summary.env_steps == 400 && summary.transitions_stored == 400 && summary.gradient_updates == 300)
    }

    private struct SummaryCounts: Decodable {
        var num_envs: Int, env_steps: Int, transitions_stored: Int, gradient_updates: Int
    }

    @Test func unwritableRunDirectoryIsAnError() throws {
        var train = try SACTool.parseAsRoot(["train", "--env", "reach1d", "--steps", "10", "--run-dir", "/proc/not-writable", "--quiet"])
        #expect(throws: SACError.self) { try train.run() }
    }

    @Test func evaluationTableHasEveryColumn() {
        let table = EvaluationTable(EvaluationResult(returns: [-1, -3], lengths: [10, 20])).text
        for column in ["episodes", "mean", "std", "min", "max", "mean length"] { #expect(table.contains(column)) }
        #expect(table.contains("-2.0") && table.contains("1.0") && table.contains("15.0"))
    }

    /// `--env` repeated and `--env-file`: one run over several servers, each stepping its own number of
    /// copies; the summary counts all of them.
    @Test func severalServersFromTheCommandLineAndAnEnvFile() throws {
        var two = EnvironmentServer.Options()
        two.numEnvs = 2
        let (a, b, c) = (try BackgroundEnvironmentServer(environment: "reach1d", endpoint: "tcp://127.0.0.1:*", options: two),
                         try BackgroundEnvironmentServer(environment: "reach1d", endpoint: "tcp://127.0.0.1:*"),
                         try BackgroundEnvironmentServer(environment: "reach1d", endpoint: "tcp://127.0.0.1:*"))
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sac-cli-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let envFile = directory + "/servers.txt"
        try "# the third server\n\n\(c.endpoint)\n".write(toFile: envFile, atomically: true, encoding: .utf8)
        var train = try SACTool.parseAsRoot(["train", "--env", a.endpoint, "--env", b.endpoint, "--env-file", envFile, "--steps", "400",
                                             "--learning-starts", "100", "--hidden", "16,16", "--batch-size", "16", "--eval-episodes", "2",
                                             "--run-dir", directory + "/run", "--quiet"])
        try train.run()
        let summary = try JSONDecoder().decode(SummaryCounts.self, from: Data(contentsOf: URL(fileURLWithPath: directory + "/run/summary.json")))
        #expect(summary.num_envs == 4 && summary.env_steps == 400 && summary.transitions_stored == 400)
        try "# nothing here\n".write(toFile: envFile, atomically: true, encoding: .utf8)
        #expect(parseFailureCode(["train", "--env-file", envFile]) != nil)
    }
}
