import ArgumentParser
import Foundation
import Testing
@testable import SACCommand
import SACBridge
import SACNeuralNetworks
import SACZeroMQ
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
        ["train", "--env", "tcp://127.0.0.1:5555", "--env", "tcp://127.0.0.1:5556", "--min-servers", "3"],
        ["train", "--min-servers", "0"],
        ["serve", "--max-sessions", "0"],
        ["serve", "--eviction-grace", "-1"],
        ["train", "--env", "tcp://127.0.0.1:5555", "--env", "tcp://127.0.0.1:5556", "--collect", "fastest"],
        ["train", "--variant", "crossq", "--critic-hidden", "256,0"],
        ["train", "--critic-hidden", "wide"],
        ["export", "--run-dir", "a", "--format", "tflite"],
        ["export", "--format", "onnx"],
        ["export", "--run-dir", "a", "--format", "c", "--name", "int"],
        ["train", "--precision", "fp16"],
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
        var train = try SACTool.parseAsRoot([
            "train", "--env", "reach1d", "--steps", "300", "--learning-starts", "100", "--hidden", "16,16",
            "--batch-size", "16", "--eval-episodes", "2", "--run-dir", directory, "--quiet",
        ])
        try train.run()
        #expect(FileManager.default.fileExists(atPath: directory + "/summary.json"))
        var eval = try SACTool.parseAsRoot(["eval", "--run-dir", directory, "--episodes", "2"])
        try eval.run()
        var missing = try SACTool.parseAsRoot(["eval", "--run-dir", directory + "/nothing"])
        #expect(throws: SACError.self) { try missing.run() }
    }

    /// `--precision bf16` trains; where libxsmm may not use AVX512_BF16 (forbidden here through
    /// `LIBXSMM_TARGET`, as on a CPU without it) the run falls back to float32 and says so.
    @Test(arguments: [false, true])
    func bf16TrainsOrFallsBackWithALogLine(forbidden: Bool) throws {
        let sac = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("sac").path
        try #require(FileManager.default.isExecutableFile(atPath: sac), "build the sac tool first (swift build)")
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sac-bf16-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: sac)
        process.arguments = [
            "train", "--env", "reach1d", "--precision", "bf16", "--steps", "300", "--learning-starts", "100",
            "--hidden", "32,32", "--batch-size", "16", "--eval-episodes", "2", "--run-dir", directory, "--quiet",
        ]
        var environment = ProcessInfo.processInfo.environment
        if forbidden { environment["LIBXSMM_TARGET"] = "skx" }
        process.environment = environment
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let log = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "\(log)")
        #expect(FileManager.default.fileExists(atPath: directory + "/summary.json"))
        let fellBack = log.contains("bf16 products are not available here")
        #expect(fellBack == (forbidden || MatrixPrecision.bfloat16Unavailability != nil), "\(log)")
        let summary =
            try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: directory + "/summary.json"))) as? [String: Any]
        #expect(summary?["precision"] as? String == (fellBack ? "float32" : "bf16"))
    }

    /// `sac plot` groups runs by environment, variant and precision, so bf16 runs get their own curve.
    @Test func plotGroupsRunsByPrecision() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("sac-plot-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        var groups: [String] = []
        for (name, precision) in [("a-seed1", nil), ("b-seed1", "float32"), ("c-seed1", "bf16")] as [(String, String?)] {
            let directory = root.appendingPathComponent(name)
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            let summary =
                "{\"env\": \"Pendulum-v1\", \"variant\": \"twin-q\"" + (precision.map { ", \"precision\": \"\($0)\"" } ?? "") + "}"
            try summary.write(to: directory.appendingPathComponent("summary.json"), atomically: true, encoding: .utf8)
            groups.append(PlotCommand.group(of: directory.path))
        }
        #expect(groups == ["Pendulum-v1 twin-q", "Pendulum-v1 twin-q", "Pendulum-v1 twin-q bf16"])
    }

    @Test func numEnvsStepsCopiesTogether() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sac-cli-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var train = try SACTool.parseAsRoot([
            "train", "--env", "reach1d", "--num-envs", "4", "--steps", "400", "--learning-starts", "100",
            "--hidden", "16,16", "--batch-size", "16", "--eval-episodes", "2", "--run-dir", directory, "--quiet",
        ])
        try train.run()
        let summary = try JSONDecoder().decode(
            SummaryCounts.self, from: Data(contentsOf: URL(fileURLWithPath: directory + "/summary.json")))
        #expect(summary.num_envs == 4 && summary.env_steps == 400 && summary.transitions_stored == 400 && summary.gradient_updates == 300)
    }

    private struct SummaryCounts: Decodable {
        var num_envs: Int, env_steps: Int, transitions_stored: Int, gradient_updates: Int
        var servers: [ServerCounts]?
    }

    private struct ServerCounts: Decodable {
        var address: String, copies: Int, env_steps: Int, reconnects: Int, round_trip_ms: Double?, server_step_ms: Double?, state: String
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
        let (a, b, c) = (
            try BackgroundEnvironmentServer(environment: "reach1d", endpoint: "tcp://127.0.0.1:*", options: two),
            try BackgroundEnvironmentServer(environment: "reach1d", endpoint: "tcp://127.0.0.1:*"),
            try BackgroundEnvironmentServer(environment: "reach1d", endpoint: "tcp://127.0.0.1:*")
        )
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sac-cli-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let envFile = directory + "/servers.txt"
        try "# the third server\n\n\(c.endpoint)\n".write(toFile: envFile, atomically: true, encoding: .utf8)
        var train = try SACTool.parseAsRoot([
            "train", "--env", a.endpoint, "--env", b.endpoint, "--env-file", envFile, "--steps", "400",
            "--learning-starts", "100", "--hidden", "16,16", "--batch-size", "16", "--eval-episodes", "2",
            "--run-dir", directory + "/run", "--quiet",
        ])
        try train.run()
        let summary = try JSONDecoder().decode(
            SummaryCounts.self, from: Data(contentsOf: URL(fileURLWithPath: directory + "/run/summary.json")))
        #expect(summary.num_envs == 4 && summary.env_steps == 400 && summary.transitions_stored == 400)
        let servers = try #require(summary.servers)
        #expect(servers.map(\.address) == [a.endpoint, b.endpoint, c.endpoint] && servers.map(\.copies) == [2, 1, 1])
        #expect(servers.map(\.env_steps).reduce(0, +) == 400 && servers.allSatisfy { $0.state == "ok" && $0.reconnects == 0 })
        #expect(servers.allSatisfy { ($0.round_trip_ms ?? 0) > 0 && ($0.server_step_ms ?? -1) >= 0 })
        try "# nothing here\n".write(toFile: envFile, atomically: true, encoding: .utf8)
        #expect(parseFailureCode(["train", "--env-file", envFile]) != nil)
    }

    /// A server that cannot be reached at the start is left out with a warning while --min-servers remain,
    /// and is an error naming it, before any training, otherwise.
    @Test func anUnreachableServerAtTheStartIsLeftOutOrAnError() throws {
        let server = try BackgroundEnvironmentServer(environment: "reach1d", endpoint: "tcp://127.0.0.1:*")
        let dead = try deadAddress()
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sac-cli-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let common = [
            "train", "--env", server.endpoint, "--env", dead, "--timeout", "200", "--steps", "200", "--learning-starts", "100",
            "--hidden", "16,16", "--batch-size", "16", "--eval-episodes", "1", "--quiet",
        ]
        var strict = try SACTool.parseAsRoot(common + ["--min-servers", "2", "--run-dir", directory + "/strict"])
        do {
            try strict.run()
            Issue.record("trained without \(dead)")
        } catch {
            #expect("\(error)".contains(dead) && "\(error)".contains("--min-servers 2"), "\(error)")
        }
        #expect(!FileManager.default.fileExists(atPath: directory + "/strict/metrics.csv"))
        var lenient = try SACTool.parseAsRoot(common + ["--run-dir", directory + "/lenient"])
        try lenient.run()
        let summary = try JSONDecoder().decode(
            SummaryCounts.self, from: Data(contentsOf: URL(fileURLWithPath: directory + "/lenient/summary.json")))
        #expect(summary.servers?.map(\.address) == [server.endpoint] && summary.env_steps == 200)
    }

    /// A loopback TCP address nothing listens on.
    private func deadAddress() throws -> String {
        let probe = try ZeroMQSocket(.reply)
        try probe.bind("tcp://127.0.0.1:*")
        let address = probe.lastEndpoint!
        probe.close()
        return address
    }

    /// A server's environment id never leaves `runs/`: it becomes one safe path component.
    @Test func environmentIDsBecomeOneSafePathComponent() {
        #expect(TrainCommand.pathComponent("Pendulum-v1") == "Pendulum-v1")
        #expect(TrainCommand.pathComponent("ALE/Pong-v5") == "ALE-Pong-v5")
        #expect(TrainCommand.pathComponent("../../escaped") == "-.-..-escaped")
        #expect(TrainCommand.pathComponent(".hidden") == "-hidden" && TrainCommand.pathComponent("") == "env")
        #expect(TrainCommand.pathComponent("a\u{0}b\nc d") == "a-b-c-d")
        #expect(TrainCommand.pathComponent(String(repeating: "x", count: 1 << 20)).count == 64)
    }
}
